/**
 * Concurrency: two runs of the same request started together (two pipelines, or a re-run clicked twice)
 * both succeed and end with one identity, one credential, one role assignment, one connection. The
 * races they meet are the real ones: identity PUTs that cross, a duplicate connection name, federated
 * credential writes refused with 409 while the other run's write holds the identity, a connection seen
 * by one run before its identity was. Both runs share the process and the emulator's virtual clock; where
 * an interleaving matters, the emulator holds a request until the other run has got where it must be, so
 * the interleaving happens on any machine.
 */
import { strict as assert } from 'node:assert';
import type { RequestLogEntry } from '../support/emulator';
import { held } from '../support/emulator/faults';
import { assertConverged, canonicalState, IDENTITY_SCENARIOS, type IdentityScenario, succeeded } from '../support/scenarios';
import { cleanRun, run } from './runs';
import { Emulator } from './harness';

interface Interleaving {
  title: string;
  setup(emulator: Emulator, scenario: IdentityScenario): void;
  /** That the runs met as the title says. */
  check?(emulator: Emulator, scenario: IdentityScenario): void;
}

/** Resolves the n-th time it is awaited, releasing all n at once. */
function barrier(n: number): () => Promise<void> {
  let arrived = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    arrived += 1;
    if (arrived >= n) open();
    return opened;
  };
}

/** Resolves once the emulator's log holds an entry that `matches` (checked every few milliseconds). */
function until(emulator: Emulator, matches: (log: RequestLogEntry[]) => boolean): () => Promise<void> {
  return async () => {
    while (!matches(emulator.requests)) await new Promise((resolve) => setTimeout(resolve, 5));
  };
}

const answered = (entry: RequestLogEntry, point: { service: string; method: string; path: RegExp }): boolean =>
  entry.service === point.service && entry.method === point.method && point.path.test(entry.path) && entry.status >= 200 && entry.status < 300;

const INTERLEAVINGS: Interleaving[] = [
  {
    title: 'when both finish reading before either writes',
    // Both identity reads are held until both have arrived, so both runs find nothing and both write everything.
    setup: (emulator, scenario) => emulator.faults.add(held(scenario.identityRead.service, barrier(2), { ...scenario.identityRead, times: 2 })),
    check: (emulator, scenario) => {
      const reads = emulator.requests.filter(
        (r) => r.service === scenario.identityRead.service && r.method === 'GET' && scenario.identityRead.path.test(r.path),
      );
      assert.deepEqual(
        reads.slice(0, 2).map((r) => r.status),
        [404, 404],
        `both runs read before either wrote: neither found the identity (${reads.map((r) => r.status).join(', ')})`,
      );
    },
  },
  {
    title: 'with 40 ms latency and federated credential writes that hold the identity for 400 ms',
    setup: (emulator) => {
      emulator.configure({ latencyMs: 40, ficWriteWindowMs: 400 });
    },
  },
  {
    title: 'when one run finds the connection the other created, but not yet its identity',
    // The first connection lookup is held until the other run has made every write: the held run read the
    // identity before it existed and now finds the finished connection.
    setup: (emulator, scenario) =>
      emulator.faults.add(
        held(
          'devops',
          until(emulator, (log) => scenario.writes.every((point) => log.some((entry) => answered(entry, point)))),
          { method: 'GET', path: /endpointNames=/ },
        ),
      ),
    check: (emulator) => {
      const lookups = emulator.requests.filter((r) => r.service === 'devops' && r.method === 'GET' && /endpointNames=/.test(r.path));
      const creations = emulator.requests.filter((r) => r.service === 'devops' && r.method === 'POST' && /serviceendpoint\/endpoints(\?|$)/.test(r.path));
      assert.ok(
        creations.length >= 1 && lookups.some((l) => l.endedAt > creations[0].endedAt),
        'a lookup was answered after the other run created the connection',
      );
    },
  },
];

for (const scenario of IDENTITY_SCENARIOS) {
  describe(`two ${scenario.identityType} runs of the same request, started together`, function () {
    this.timeout(60_000);
    let reference: Record<string, string[]>;

    before(async () => {
      reference = (await cleanRun(scenario)).state;
    });

    for (const interleaving of INTERLEAVINGS) {
      it(`both succeed and leave one of each, ${interleaving.title}`, async () => {
        const emulator = await Emulator.start();
        try {
          interleaving.setup(emulator, scenario);
          const [first, second] = await Promise.all([run(emulator, scenario.inputs), run(emulator, scenario.inputs)]);
          succeeded(first);
          succeeded(second);
          assert.equal(first.outputs.serviceConnectionId, second.outputs.serviceConnectionId, 'both report the same connection');
          assert.equal(first.outputs.clientId, second.outputs.clientId, 'both report the same identity');
          assertConverged(emulator, scenario);
          assert.deepEqual(canonicalState(emulator), reference, 'the state of one clean run');
          interleaving.check?.(emulator, scenario);
        } finally {
          await emulator.stop();
        }
      });
    }
  });
}
