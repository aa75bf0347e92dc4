/**
 * action: migrate (issue 21), whole runs in process over the emulator's seeded fleet on its virtual clock: the dry
 * run (its preflight, no write), the migration of the project fleet-a and fleet-b (each path, the skips the fleet
 * holds), a re-run with no write, the web UI's Update after `prepared`, a pair other than the prepared one, a
 * refusal, permissions missing. The skip reasons one by one are tests/unit/migration.test.ts's.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { validateInventoryReport } from '../support/inventorySchema';
import { printed } from '../support/scenarios';
import { useConnection } from '../support/useConnection';
import { Emulator, type TaskRun } from './harness';
import { run } from './runs';

const MIGRATE = {
  action: 'migrate',
  bootstrapConnection: 'platform-bootstrap',
  inventoryScope: 'organization',
  devOpsAuth: 'bootstrapIdentity',
  migrateConnections: '*',
};

interface Migrated {
  name: string;
  migration: {
    outcome: string;
    reason: string | null;
    before: string;
    after: string;
    verified: boolean | null;
    revertBefore: string | null;
    credentialsAdded: string[];
    secretsKept: unknown[];
  };
}

function migrations(result: TaskRun): Record<string, Migrated['migration']> {
  const path = result.outputs.reportPath;
  assert.ok(path, `a reportPath output:\n${printed(result)}`);
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { action: string; connections: Migrated[] };
  validateInventoryReport(parsed);
  assert.equal(parsed.action, 'migrate');
  return Object.fromEntries(parsed.connections.map((c) => [c.name, c.migration]));
}

/** The requests that change something: a Graph $batch only reads. */
function changes(emulator: Emulator): string[] {
  return emulator
    .writes()
    .filter((w) => !w.path.endsWith('/$batch'))
    .map((w) => `${w.method} ${w.path}`);
}

function outcomes(result: TaskRun): Record<string, string> {
  return Object.fromEntries(Object.entries(migrations(result)).map(([name, m]) => [name, m.outcome]));
}

/** What every fleet connection that is not migrated reads, whatever the run. */
const UNTOUCHED = {
  'wif-mi-entra': 'already',
  'wif-app-entra': 'already',
  'shared-wif': 'already',
  'unused-wif': 'already',
  'never-used-wif': 'already',
  'platform-bootstrap': 'already',
  'disabled-wif': 'already',
  'failed-wif': 'already',
  'orphaned-wif': 'already',
  'wif-app-no-credential': 'already',
  'multitenant-devops': 'skipped',
  'sovereign-devops': 'skipped',
  'publish-profile': 'skipped',
  'agent-machine-identity': 'skipped',
};

describe('action migrate, whole runs in process over the seeded fleet', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  afterEach(async () => {
    await emulator?.stop();
  });

  it('dry run writes nothing; the run converts and prepares each on its own; a re-run writes nothing; Update in the UI then succeeds', async () => {
    emulator = await Emulator.start({ fleet: {}, bootstrapDevOpsRole: 'Administrator' });
    const dry = await run(emulator, { ...MIGRATE, dryRun: 'true' });
    assert.equal(dry.result, 'Succeeded', printed(dry));
    assert.deepEqual(changes(emulator), [], 'a dry run writes nothing');
    const would = {
      'secret-automatic': 'wouldConvert',
      'secret-manual-expired': 'wouldConvert',
      'certificate-manual': 'wouldConvert',
      'wif-mi-devops': 'wouldPrepare',
      'wif-app-devops': 'wouldPrepare',
    };
    assert.deepEqual(outcomes(dry), { ...UNTOUCHED, ...would });

    const first = await run(emulator, MIGRATE);
    assert.equal(first.result, 'SucceededWithIssues', printed(first));
    const done = migrations(first);
    const summary = first.summaries.join('\n');
    if (process.env.SHOW_MIGRATION) console.log(summary);
    assert.deepEqual(outcomes(first), {
      ...UNTOUCHED,
      'secret-automatic': 'converted',
      'secret-manual-expired': 'converted',
      'certificate-manual': 'converted',
      'wif-mi-devops': 'prepared',
      'wif-app-devops': 'prepared',
    });
    for (const name of ['secret-automatic', 'secret-manual-expired', 'certificate-manual']) {
      assert.equal(done[name].verified, true, name);
      assert.equal(done[name].after, 'Entra issuer', name);
      assert.ok(done[name].revertBefore && Date.parse(done[name].revertBefore) - emulator.clock.now() > 6.9 * 24 * 3600_000, 'revert within 7 days');
      assert.ok(done[name].secretsKept.length > 0, 'the client secret is kept and listed');
    }
    assert.match(done['multitenant-devops'].reason ?? '', /multitenant/);
    assert.match(done['wif-app-devops'].reason ?? '', /select Update on the connection's page \(https:/);
    assert.equal(first.outputs.migratedCount, '5');
    assert.match(summary, /secret → Entra issuer/);
    assert.match(summary, /Azure DevOps issuer → Azure DevOps issuer \| `prepared`/);
    assert.match(summary, /### Client secrets kept/);

    const writes = changes(emulator).length;
    const again = await run(emulator, MIGRATE);
    assert.equal(changes(emulator).length, writes, 'a re-run writes nothing');
    assert.deepEqual(outcomes(again), {
      ...UNTOUCHED,
      'secret-automatic': 'already',
      'secret-manual-expired': 'already',
      'certificate-manual': 'already',
      'wif-mi-devops': 'prepared',
      'wif-app-devops': 'prepared',
    });
    if (process.env.SHOW_MIGRATION) console.log(again.message);

    for (const name of ['wif-mi-devops', 'wif-app-devops']) {
      const id = emulator.fleetFacts!.connections[name].id;
      assert.deepEqual(emulator.updateConnectionIssuer(id), { moved: true }, `Update in the UI moves '${name}'`);
      const used = await useConnection(emulator, id);
      assert.equal(used.status, 200, `'${name}' works on the Entra issuer: ${JSON.stringify(used.body)}`);
    }
    const converted = await useConnection(emulator, emulator.fleetFacts!.connections['secret-manual-expired'].id);
    assert.equal(converted.status, 200, 'a converted connection works');
  });

  it("a pair other than the prepared one gets its credential; a refusal and missing permissions are that connection's alone", async () => {
    emulator = await Emulator.start({
      fleet: {},
      recorded: { convertIssuedPair: 'former' },
      bootstrapDevOpsRole: 'Administrator',
      // ARM: Reader only, so no managed identity may be written; Graph still writes applications.
      bootstrapRoles: ['Reader'],
      federatedCredentialPropagationMs: 0,
    });
    const result = await run(emulator, { ...MIGRATE, migrateConnections: 'secret-manual-expired\nwif-mi-devops\nno-such-connection' });
    assert.equal(result.result, 'SucceededWithIssues', printed(result));
    const done = migrations(result);
    assert.equal(done['secret-manual-expired'].outcome, 'converted');
    assert.equal(done['secret-manual-expired'].after, 'Azure DevOps issuer');
    assert.equal(done['secret-manual-expired'].credentialsAdded.length, 2, 'the prepared pair and the issued one');
    assert.equal(done['secret-manual-expired'].verified, true);
    assert.equal(done['wif-mi-devops'].outcome, 'skipped');
    assert.match(done['wif-mi-devops'].reason ?? '', /may not add a federated credential/);
    assert.match(printed(result), /Managed Identity Contributor on resource group 'rg-identities'/);
    assert.match(printed(result), /migrateConnections names 'no-such-connection'/);
    const used = await useConnection(emulator, emulator.fleetFacts!.connections['secret-manual-expired'].id);
    assert.equal(used.status, 200, 'the converted connection works on the pair Azure DevOps issued');
  });

  it('Azure DevOps refusing the conversion fails that connection, leaves it a secret, and the others migrate', async () => {
    // A credential Entra ID accepts only after an hour: Azure DevOps' test of the pair keeps failing within verifyTimeoutSeconds.
    emulator = await Emulator.start({ fleet: {}, federatedCredentialPropagationMs: 3600_000 });
    // The bootstrap is a Creator in Azure DevOps (the default): the preflight says the conversion is not its to make.
    const preflight = await run(emulator, { ...MIGRATE, migrateConnections: 'certificate-manual', dryRun: 'true' });
    assert.match(printed(preflight), /skipped: 'certificate-manual' .*may be converted only by an Administrator of the connection/);
    emulator.configure({ bootstrapDevOpsRole: 'Administrator' });
    const result = await run(emulator, { ...MIGRATE, migrateConnections: 'certificate-manual\nwif-app-devops', verifyTimeoutSeconds: '30' });
    assert.equal(result.result, 'Failed', printed(result));
    const done = migrations(result);
    assert.equal(done['certificate-manual'].outcome, 'failed');
    assert.match(done['certificate-manual'].reason ?? '', /could not be upgraded to WorkloadIdentityFederation/);
    assert.equal(done['certificate-manual'].credentialsAdded.length, 1, 'the prepared credential stays');
    assert.equal(done['wif-app-devops'].outcome, 'prepared');
    const connection = emulator.state().serviceConnections.find((c) => c.name === 'certificate-manual');
    assert.equal(connection?.authorization?.scheme, 'ServicePrincipal', 'the connection is as it was');
  });
});
