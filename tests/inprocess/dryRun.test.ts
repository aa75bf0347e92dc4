/**
 * dryRun: true reads, decides and prints the plan (what would be created, updated and kept, with names
 * and scopes) and writes nothing. The plan comes from the same decisions a real run makes, so a real run
 * right after does exactly what the dry run announced.
 */
import { strict as assert } from 'node:assert';
import { crashAfterApply } from '../support/emulator/faults';
import type { TaskRun } from '../support/taskRun';
import { APP_REGISTRATION, failed, MANAGED_IDENTITY, succeeded } from '../support/scenarios';
import { run } from './runs';
import { Emulator } from './harness';

/** The "Created:/Would create:" lines of a run, as [action, what], in the order of the plan. */
function decisions(outcome: TaskRun): string[] {
  const lines = outcome.stdout.split('\n').map((line) => line.trim());
  const found: string[] = [];
  for (const line of lines) {
    const m = /^(?:Would (create|update|keep)|(Created|Updated|Kept)): (.*)\.$/.exec(line);
    if (!m) continue;
    const verb = m[1] ?? { Created: 'create', Updated: 'update', Kept: 'keep' }[m[2] as 'Created' | 'Updated' | 'Kept'];
    found.push(`${verb}: ${m[3]}`);
  }
  return found.sort();
}

describe('dryRun', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  const inputs = MANAGED_IDENTITY.inputs;

  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  /** A dry run writes nothing and announces what the real run that follows then does. */
  async function dryRunThenRun(request: Record<string, string>): Promise<{ preview: TaskRun; real: TaskRun }> {
    const writes = emulator.writes().length;
    const preview = await run(emulator, { ...request, dryRun: 'true' });
    succeeded(preview);
    assert.equal(emulator.writes().length, writes, 'the dry run wrote nothing');
    assert.deepEqual(preview.outputs, {}, 'a dry run sets no output variables');
    const real = await run(emulator, request);
    succeeded(real);
    assert.deepEqual(decisions(preview), decisions(real), 'the real run did what the dry run announced');
    return { preview, real };
  }

  it('prints everything a first run would create, with names and scopes, and writes nothing', async () => {
    const { preview } = await dryRunThenRun(inputs);
    const scope = `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/rg-app1-dev`;
    assert.deepEqual(
      decisions(preview),
      [
        "create: managed identity 'id-app1-dev' in resource group 'rg-identities'",
        `create: role 'Contributor' for the identity at ${scope}`,
        "create: service connection 'app1-dev' (workload identity federation)",
        "create: federated credential on managed identity 'id-app1-dev' for the connection's issuer and subject",
      ].sort(),
    );
    assert.equal(preview.message, 'Dry run: nothing was written. A run would create 4, update 0 and keep 0 of 4 resources.');
  });

  it('says everything is in place after a run', async () => {
    succeeded(await run(emulator, inputs));
    const { preview, real } = await dryRunThenRun(inputs);
    assert.ok(decisions(preview).every((d) => d.startsWith('keep: ')));
    assert.match(preview.message ?? '', /keep 4 of 4 resources: everything is in place\.$/);
    assert.ok(decisions(real).every((d) => d.startsWith('keep: ')));
  });

  describe('for an app registration', () => {
    const app = APP_REGISTRATION.inputs;

    it('prints the application, its service principal, role, connection and credential a first run would create, and writes nothing', async () => {
      const { preview } = await dryRunThenRun(app);
      const scope = `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/rg-app1-dev`;
      assert.deepEqual(
        decisions(preview),
        [
          "create: application 'azure-devops-app1-dev' (single tenant)",
          "create: the service principal of application 'azure-devops-app1-dev'",
          `create: role 'Contributor' for the service principal at ${scope}`,
          "create: service connection 'app1-dev' (workload identity federation)",
          "create: federated credential on application 'azure-devops-app1-dev' for the connection's issuer and subject",
        ].sort(),
      );
      assert.equal(preview.message, 'Dry run: nothing was written. A run would create 5, update 0 and keep 0 of 5 resources.');
    });

    it('says everything is in place after a run, and announces a rename of the application', async () => {
      succeeded(await run(emulator, app));
      const { preview } = await dryRunThenRun(app);
      assert.match(preview.message ?? '', /keep 5 of 5 resources: everything is in place\.$/);
      const renamed = await dryRunThenRun({ ...app, applicationName: 'App 1 (dev)' });
      assert.ok(decisions(renamed.preview).includes("update: application 'App 1 (dev)' (single tenant)"));
    });
  });

  it('announces the update of a changed connection and keeps the rest', async () => {
    succeeded(await run(emulator, inputs));
    const { preview } = await dryRunThenRun({ ...inputs, connectionDescription: 'App 1, development' });
    assert.ok(decisions(preview).includes("update: service connection 'app1-dev' (workload identity federation)"));
    assert.equal(decisions(preview).filter((d) => d.startsWith('keep: ')).length, 3);
  });

  it('finds what a crashed run left and announces only what is missing', async () => {
    const crash = new AbortController();
    emulator.faults.add({
      ...crashAfterApply('devops', { method: 'POST', path: /serviceendpoint\/endpoints(\?|$)/, writesOnly: true }),
      onFire: () => crash.abort(),
    });
    await run(emulator, inputs, { signal: crash.signal });
    emulator.faults.clear();
    const { preview } = await dryRunThenRun(inputs);
    assert.ok(decisions(preview).includes("keep: service connection 'app1-dev' (workload identity federation)"), 'the connection the crash left');
    assert.ok(
      decisions(preview).includes("create: federated credential on managed identity 'id-app1-dev' for the connection's issuer and subject"),
      'the credential it did not get to',
    );
  });

  it('fails as the real run would, before anything, when a permission is missing', async () => {
    await emulator.stop();
    emulator = await Emulator.start({ bootstrapRoles: ['Contributor'] });
    const preview = await run(emulator, { ...inputs, dryRun: 'true' });
    failed(preview, /^Permission check failed before any write: .*roleAssignments\/write/);
    assert.deepEqual(emulator.writes(), []);
  });
});
