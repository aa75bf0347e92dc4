/**
 * action: remove, end to end in process, for both identity types: a full removal (after its dry run) and
 * its re-run, a connection shared with two projects, an identity another connection signs in with (kept), a
 * connection the task did not make (refused), missing permissions (the preflight), throttled and failing
 * deletes. After each case the emulator's state is checked: no role assignment points at a missing
 * principal. The crash matrix's removal cut points are in crash.test.ts.
 */
import { strict as assert } from 'node:assert';
import { createConnection, createIdentity, unassignRole } from '../support/admin';
import { throttled, unavailable } from '../support/emulator/faults';
import { assertRemoved, failed, IDENTITY_SCENARIOS, succeeded, type IdentityScenario } from '../support/scenarios';
import type { TaskRun } from '../support/taskRun';
import { Emulator } from './harness';
import { run } from './runs';

/** The provisioning inputs of the scenario, with action remove. */
const removal = (scenario: IdentityScenario, extra: Record<string, string> = {}): Record<string, string> => ({
  ...scenario.inputs,
  action: 'remove',
  ...extra,
});

const deletes = (emulator: Emulator, since = 0): string[] =>
  emulator.requests
    .slice(since)
    .filter((r) => r.method === 'DELETE')
    .map((r) => `${r.service} ${r.path}`);

async function provision(emulator: Emulator, inputs: Record<string, string>): Promise<TaskRun> {
  const made = await run(emulator, inputs);
  succeeded(made);
  return made;
}

/** Role Based Access Control Administrator's built-in role definition id. */
const RBAC_ADMINISTRATOR = 'f58310d9-a9f6-439a-9e8d-f62e7b41a168';

interface Case {
  title: string;
  body(emulator: Emulator, scenario: IdentityScenario): Promise<void>;
}

const CASES: Case[] = [
  {
    title:
      'a dry run says what it would remove and writes nothing; the removal then takes down everything in order, the connection from both projects it is in, saying when it was last used; a re-run has nothing to remove',
    async body(emulator, scenario) {
      emulator.addProject({ name: 'app2', state: 'wellFormed' });
      const made = await provision(emulator, { ...scenario.inputs, shareWithProjects: 'app2' });
      emulator.recordExecution(made.outputs.serviceConnectionId, { pipeline: 'app1-deploy', daysAgo: 3 });
      const before = emulator.writes().length;
      const dry = await run(emulator, removal(scenario, { dryRun: 'true' }));
      succeeded(dry);
      assert.equal(emulator.writes().length, before, 'a dry run writes nothing');
      assert.equal(dry.stdout.match(/^Would remove: /gm)?.length, 4, dry.stdout);
      assert.match(dry.message ?? '', /^Dry run: nothing was written\. A run would remove 4 and keep 0 of 4 resources\./);

      const removed = await run(emulator, removal(scenario));
      succeeded(removed);
      assert.match(removed.stdout, /last used 3 days ago by pipeline app1-deploy/);
      assert.equal(removed.stdout.match(/^Removed: /gm)?.length, 4, removed.stdout);
      assert.match(removed.summaries.join('\n'), /\*\*removed\*\* \| service connection/);
      if (scenario.identityType === 'appRegistration') {
        assert.match(removed.stdout, /^Removed: application .*deleted items for 30 days, where it can be restored/m);
        assert.equal(emulator.state().deletedApplications.length, 1, 'the application waits in deleted items');
      }
      const sent = deletes(emulator);
      assert.deepEqual(
        sent.map((d) => scenario.removalWrites.findIndex((point) => d.startsWith(`${point.service} `) && point.path.test(d.slice(point.service.length + 1)))),
        scenario.removalWrites.map((_, index) => index),
        `each delete once, in order: ${sent.join(', ')}`,
      );
      const connection = sent.find((d) => /serviceendpoint/.test(d)) ?? '';
      assert.match(connection, /[?&]deep=false(&|$)/, 'deep=false is sent explicitly');
      assert.equal(decodeURIComponent(/projectIds=([^&]+)/.exec(connection)?.[1] ?? '').split(',').length, 2, `from both projects: ${connection}`);
      assertRemoved(emulator, scenario);

      const again = await run(emulator, removal(scenario));
      succeeded(again);
      assert.match(again.message ?? '', /^Nothing to remove: no service connection 'app1-dev' in project 'platform'/);
    },
  },
  {
    title: 'an identity another connection signs in with is kept, naming that connection, with the grants that connection needs',
    async body(emulator, scenario) {
      const made = await provision(emulator, scenario.inputs);
      await createConnection(emulator, 'app1-dev-copy', made.outputs.clientId);
      const removed = await run(emulator, removal(scenario));
      succeeded(removed);
      assert.match(removed.stdout, /^Kept: .*'app1-dev-copy' in project 'platform' signs in with its client id/m);
      assert.equal(emulator.state().serviceConnections.filter((c) => c.name === 'app1-dev').length, 0, 'the connection is gone');
      const owned = scenario.owned(emulator, 'app1-dev');
      assert.equal(owned.identities ?? owned.applications, 1, 'the identity stays');
      assert.equal(owned.roleAssignments, 0, 'the grant the request names is removed');
    },
  },
  {
    title: 'a connection the task did not make is refused, saying what was found and whose it looks like; nothing is removed',
    async body(emulator, scenario) {
      const foreign = await createIdentity(emulator, 'rg-identities', 'id-app1-dev');
      await createConnection(emulator, 'app1-dev', foreign.clientId);
      const refused = await run(emulator, removal(scenario));
      failed(
        refused,
        /^Could not remove the service connection 'app1-dev': the service connection 'app1-dev' in project 'platform' signs in as client id .*it looks like .*Nothing was removed/,
      );
      assert.deepEqual(deletes(emulator), [], 'nothing is deleted');
      console.log(`refusal: ${refused.message}`);
    },
  },
  {
    title: 'missing permissions stop the run before any delete, naming each',
    async body(emulator, scenario) {
      await provision(emulator, scenario.inputs);
      // The bootstrap keeps Contributor and loses Role Based Access Control Administrator: it may no longer delete role assignments.
      const rbac = emulator
        .state()
        .roleAssignments.filter((a) => a.properties.principalId.toLowerCase() === emulator.world.bootstrap.objectId.toLowerCase())
        .find((a) => a.properties.roleDefinitionId.toLowerCase().endsWith(RBAC_ADMINISTRATOR));
      await unassignRole(emulator, rbac!.id);
      const before = emulator.requests.length;
      const refused = await run(emulator, removal(scenario));
      failed(
        refused,
        /^Permission check failed before any write: .*lacks Microsoft\.Authorization\/roleAssignments\/delete at \/subscriptions\/.*\/resourceGroups\/rg-app1-dev .*Nothing was written/,
      );
      assert.deepEqual(deletes(emulator, before), [], 'nothing is deleted');
    },
  },
  {
    title: 'a failing delete stops the removal naming it; a re-run, throttled, finishes the job',
    async body(emulator, scenario) {
      await provision(emulator, scenario.inputs);
      emulator.faults.add(unavailable('devops', 503, { method: 'DELETE', times: Infinity }));
      const broken = await run(emulator, removal(scenario));
      failed(broken, /^Could not remove the service connection 'app1-dev'.*HTTP 503/);
      assert.match(broken.summaries.join('\n'), /### Done before the failure[\s\S]*\*\*removed\*\* \| role assignment/);
      emulator.faults.clear();
      emulator.faults.add(throttled('arm', 5, { method: 'DELETE' }));
      emulator.faults.add(throttled('graph', 5, { method: 'DELETE' }));
      succeeded(await run(emulator, removal(scenario)));
      assertRemoved(emulator, scenario);
    },
  },
];

for (const scenario of IDENTITY_SCENARIOS) {
  describe(`action: remove, ${scenario.identityType}`, function () {
    this.timeout(60_000);
    for (const c of CASES) {
      it(c.title, async () => {
        const emulator = await Emulator.start();
        try {
          await c.body(emulator, scenario);
          assert.deepEqual(emulator.orphanedAssignments(), [], 'no role assignment points at a missing principal');
        } finally {
          await emulator.stop();
        }
      });
    }
  });
}
