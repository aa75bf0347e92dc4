/**
 * Concurrency: two runs of the same request started together (two pipelines, or a re-run clicked twice)
 * both succeed and end with one identity, one credential, one role assignment, one connection. The
 * races they meet are the real ones: identity PUTs that cross, a duplicate connection name, federated
 * credential writes refused with 409 while the other run's write holds the identity, a connection seen
 * by one run before its identity was.
 */
import { strict as assert } from 'node:assert';
import { Emulator } from '../emulator';
import { slow } from '../emulator/faults';
import { assertConverged, canonicalState, cleanRun, IDENTITY_SCENARIOS, type IdentityScenario, run, succeeded } from './scenarios';

interface Interleaving {
  title: string;
  setup(emulator: Emulator, scenario: IdentityScenario): void;
}

const INTERLEAVINGS: Interleaving[] = [
  {
    title: 'when both finish reading before either writes',
    // Both identity reads are held 800 ms, so both runs find nothing and both write everything.
    setup: (emulator, scenario) => emulator.faults.add(slow(scenario.identityRead.service, 800, { ...scenario.identityRead, times: 2 })),
  },
  {
    title: 'with 40 ms latency and federated credential writes that hold the identity for 400 ms',
    setup: (emulator) => {
      emulator.setLatencyMs(40);
      emulator.setFicWriteWindowMs(400);
    },
  },
  {
    title: 'when one run finds the connection the other created, but not yet its identity',
    // The first connection lookup takes 2.5 s: the other run creates everything meanwhile.
    setup: (emulator) => emulator.faults.add(slow('devops', 2500, { method: 'GET', path: /endpointNames=/ })),
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
        } finally {
          await emulator.stop();
        }
      });
    }
  });
}
