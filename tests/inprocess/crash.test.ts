/**
 * Crash at every step: a run is cut at each of its writes in turn, then run again unchanged. Whatever the
 * cut, the re-run succeeds and leaves exactly the state one clean run leaves: the same identities,
 * credentials, role assignments and connections, each once.
 */
import { strict as assert } from 'node:assert';
import { type FaultRule } from '../support/emulator';
import { answerLost, crashAfterApply, refused } from '../support/emulator/faults';
import type { TaskRun } from '../support/taskRun';
import { useConnection } from '../support/useConnection';
import { assertConverged, assertRemoved, canonicalState, failed, IDENTITY_SCENARIOS, printed, succeeded, type WritePoint } from '../support/scenarios';
import { cleanRun, run } from './runs';
import { Emulator } from './harness';

interface Cut {
  title: string;
  /** The fault at the cut point; `kill` ends the task process (a crash). */
  rule(point: WritePoint, kill: () => void): FaultRule;
  /** What the cut run must have done. */
  check(run: TaskRun): void;
}

const CUTS: Cut[] = [
  {
    title: 'a write refused (nothing applied, the run fails)',
    rule: (point) => refused(point.service, { method: point.method, path: point.path, writesOnly: true }),
    check: (cut) => failed(cut, /\(HTTP 403/),
  },
  {
    title: 'a crash right after the service applied the write',
    // In process, a crash is the run abandoned where it stands: the service applies the write, the answer
    // never leaves, and nothing of that run is served again (FaultRule.crash).
    rule: (point, kill) => ({ ...crashAfterApply(point.service, { method: point.method, path: point.path, writesOnly: true }), onFire: kill }),
    check: (cut) => assert.ok(cut.killed, 'the run was killed at the cut'),
  },
  {
    title: 'a write applied whose answer was lost (the run carries on)',
    rule: (point) => answerLost(point.service, { method: point.method, path: point.path, writesOnly: true }),
    check: (cut) => succeeded(cut),
  },
];

for (const scenario of IDENTITY_SCENARIOS) {
  describe(`a ${scenario.identityType} run cut at each of its writes, then run again unchanged`, function () {
    this.timeout(60_000);
    let reference: Record<string, string[]>;

    before(async () => {
      const clean = await cleanRun(scenario);
      const { writes } = clean;
      assert.equal(
        writes.length,
        scenario.writes.length,
        `a clean run writes ${scenario.writes.length} times: ${writes.map((w) => `${w.method} ${w.path}`).join(', ')}`,
      );
      for (const point of scenario.writes) {
        assert.equal(
          writes.filter((w) => w.service === point.service && w.method === point.method && point.path.test(w.path)).length,
          1,
          `one write of ${point.what}`,
        );
      }
      reference = clean.state;
    });

    for (const point of scenario.writes) {
      for (const cut of CUTS) {
        it(`${cut.title} at ${point.what}: the re-run ends as one clean run`, async () => {
          const emulator = await Emulator.start();
          try {
            const crash = new AbortController();
            emulator.faults.add(cut.rule(point, () => crash.abort()));
            const first = await run(emulator, scenario.inputs, { signal: crash.signal });
            cut.check(first);
            assert.ok(
              emulator.writes().some((w) => w.service === point.service && w.method === point.method && point.path.test(w.path)),
              `the run reached the cut at ${point.what}`,
            );
            assert.deepEqual(emulator.faults.pending(), [], 'the cut happened');
            emulator.faults.clear();

            const again = await run(emulator, scenario.inputs);
            succeeded(again);
            assert.deepEqual(canonicalState(emulator), reference, 'the same state as one clean run');
            assertConverged(emulator, scenario);
            const used = await useConnection(emulator, again.outputs.serviceConnectionId);
            assert.equal(used.status, 200, `the connection works: ${JSON.stringify(used.body)}`);
            if (first.killed) {
              // The abandoned run stays dead: nothing of it reaches the services after the re-run either.
              const served = emulator.requests.length;
              await new Promise((resolve) => setTimeout(resolve, 30));
              assert.equal(emulator.requests.length, served, 'no request after the re-run ended');
              assert.deepEqual(canonicalState(emulator), reference, 'still the state of one clean run');
            }
          } finally {
            await emulator.stop();
          }
        });
      }
    }
  });
}

/**
 * A removal (action: remove) cut at each of its deletes by a crash right after the service applied it, then
 * run again unchanged: the re-run finishes the job, and nothing of the connection is left, nor a role
 * assignment pointing at a missing principal. The cuts share one emulator per identity type (the connection is
 * provisioned again before each, 30 days after the last removal for an application, whose uniqueName the
 * deleted one holds until then); a refused delete and a lost answer are removal.test.ts's.
 */
for (const scenario of IDENTITY_SCENARIOS) {
  it(`a ${scenario.identityType} removal cut at each of its deletes, then run again unchanged, ends removed`, async function () {
    this.timeout(60_000);
    const removal = { ...scenario.inputs, action: 'remove' };
    const emulator = await Emulator.start();
    try {
      // An application's role assignment and connection deletes are the managed identity's code paths: its own
      // cuts are the two Graph deletes.
      const points = scenario.identityType === 'managedIdentity' ? scenario.removalWrites : scenario.removalWrites.filter((point) => point.service === 'graph');
      for (const point of points) {
        emulator.purgeDeletedApplications();
        succeeded(await run(emulator, scenario.inputs));
        const crash = new AbortController();
        emulator.faults.add({ ...crashAfterApply(point.service, { method: 'DELETE', path: point.path }), onFire: () => crash.abort() });
        const first = await run(emulator, removal, { signal: crash.signal });
        assert.ok(first.killed, `the removal was killed at ${point.what}'s delete`);
        assert.deepEqual(emulator.faults.pending(), [], `the cut at ${point.what}'s delete happened`);
        emulator.faults.clear();
        succeeded(await run(emulator, removal));
        assertRemoved(emulator, scenario);
      }
    } finally {
      await emulator.stop();
    }
  });
}

/**
 * A migration (action migrate, issue 21) cut by a crash right after each of its writes was applied, then run again
 * unchanged: the re-run finishes (converted, or prepared), a third run writes nothing, and no identity holds two
 * credentials for one pair. One emulator over the seeded fleet; each cut migrates a connection of its own.
 */
it('a migration cut at each of its writes, then run again unchanged, converges with no duplicate and no half-converted connection', async function () {
  this.timeout(60_000);
  const emulator = await Emulator.start({ fleet: {}, bootstrapDevOpsRole: 'Administrator' });
  const points: { what: string; service: 'graph' | 'devops' | 'arm'; method: string; path: RegExp; connection: string; outcome: string }[] = [
    {
      what: "the application's credential",
      service: 'graph',
      method: 'PATCH',
      path: /federatedIdentityCredentials/,
      connection: 'secret-manual-expired',
      outcome: 'converted',
    },
    {
      what: 'ConvertAuthenticationScheme',
      service: 'devops',
      method: 'PUT',
      path: /serviceendpoint\/endpoints\//,
      connection: 'certificate-manual',
      outcome: 'already',
    },
    {
      what: "the managed identity's credential",
      service: 'arm',
      method: 'PUT',
      path: /federatedIdentityCredentials/,
      connection: 'wif-mi-devops',
      outcome: 'prepared',
    },
  ];
  const base = { action: 'migrate', bootstrapConnection: 'platform-bootstrap', inventoryScope: 'project', devOpsAuth: 'bootstrapIdentity' };
  const changes = (): number => emulator.writes().filter((w) => !w.path.endsWith('/$batch')).length;
  try {
    for (const point of points) {
      // Its own project only: the Entra prefix is copied from a connection of that project.
      const inputs = { ...base, project: emulator.fleetFacts!.connections[point.connection].project };
      const crash = new AbortController();
      emulator.faults.add({ ...crashAfterApply(point.service, { method: point.method, path: point.path, writesOnly: true }), onFire: () => crash.abort() });
      const first = await run(emulator, { ...inputs, migrateConnections: point.connection }, { signal: crash.signal });
      assert.ok(first.killed, `the migration was killed after ${point.what}`);
      assert.deepEqual(emulator.faults.pending(), [], `the cut after ${point.what} happened`);
      emulator.faults.clear();
      const again = await run(emulator, { ...inputs, migrateConnections: point.connection });
      assert.match(printed(again), new RegExp(`${point.outcome}: '${point.connection}'`), printed(again));
    }
    const writes = changes();
    const third = await run(emulator, { ...base, inventoryScope: 'organization', migrateConnections: points.map((p) => p.connection).join('\n') });
    assert.equal(changes(), writes, 'a third run writes nothing');
    for (const point of points) assert.match(printed(third), new RegExp(`(already|prepared): '${point.connection}'`));
    // Used once every cut is over: a crash ends every connection open at that moment, the test's own keep-alive ones too.
    for (const point of points) {
      const id = emulator.fleetFacts!.connections[point.connection].id;
      const used = await useConnection(emulator, id);
      assert.equal(used.status, 200, `'${point.connection}' works: ${JSON.stringify(used.body)}`);
    }
    for (const [name, credentials] of Object.entries(emulator.federatedCredentialPairs())) {
      assert.equal(new Set(credentials).size, credentials.length, `no duplicate credential on ${name}`);
    }
  } finally {
    await emulator.stop();
  }
});
