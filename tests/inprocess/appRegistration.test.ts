/**
 * The app-registration variant, whole runs of the task in process, against the emulator's Entra ID,
 * Microsoft Graph, ARM and Azure DevOps: an Entra application, its service principal, the role assignment,
 * the connection and the application's federated credential. The bundle spawned on Node 20 and 24 is
 * the spawned tier's appRegistration.test.ts.
 */
import { strict as assert } from 'node:assert';
import { type ApplicationSnapshot, type Snapshot } from '../support/emulator';
import { type TaskRun } from '../support/taskRun';
import { useConnection } from '../support/useConnection';
import { failed, OUTPUTS, succeeded } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityType: 'appRegistration',
  resourceGroup: 'rg-app1-dev',
  roleDefinitionName: 'Contributor',
};

/** The applications the task made: every one but the bootstrap connection's own. */
function madeApplications(emulator: Emulator, state: Snapshot = emulator.state()): ApplicationSnapshot[] {
  return state.applications.filter((a) => a.appId !== emulator.world.bootstrap.clientId);
}

function madeServicePrincipals(emulator: Emulator, state: Snapshot = emulator.state()): Snapshot['servicePrincipals'] {
  return state.servicePrincipals.filter((p) => p.appId !== emulator.world.bootstrap.clientId);
}

/** The task's requests that the emulator answered with this status, by service and path. */
function answered(emulator: Emulator, service: string, status: number, path: RegExp): number {
  return emulator.requests.filter((r) => r.service === service && r.status === status && path.test(r.path)).length;
}

/** Everything a run must have made, checked against the emulator's state and the run's outputs. */
async function assertProvisioned(emulator: Emulator, run: TaskRun): Promise<void> {
  const state = emulator.state();
  const [application] = madeApplications(emulator, state);
  assert.ok(application, 'the application exists');
  assert.equal(application.displayName, 'azure-devops-app1-dev');
  assert.equal(application.signInAudience, 'AzureADMyOrg', 'single tenant: the Entra issuer refuses multi-tenant apps');
  assert.match(application.uniqueName ?? '', /^wic-[0-9a-f]{44}$/);

  const principals = madeServicePrincipals(emulator, state);
  assert.equal(principals.length, 1, 'one service principal for the application');
  assert.equal(principals[0].appId, application.appId);

  const connection = state.serviceConnections.find((c) => c.name === 'app1-dev');
  assert.ok(connection, 'the service connection exists');
  assert.equal(connection.authorization.scheme, 'WorkloadIdentityFederation');
  assert.equal(connection.authorization.parameters.serviceprincipalid, application.appId, 'the connection signs in as the application');
  assert.equal(connection.authorization.parameters.tenantid, emulator.world.tenantId);
  assert.match(connection.authorization.parameters.scope ?? '', /\/resourcegroups\/rg-app1-dev$/i);

  const grants = state.roleAssignments.filter((a) => a.properties.principalId === principals[0].id);
  assert.equal(grants.length, 1, 'one role assignment, for the service principal');
  assert.equal(grants[0].properties.scope.toLowerCase(), `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/rg-app1-dev`.toLowerCase());
  assert.equal(grants[0].properties.principalType, 'ServicePrincipal');

  assert.equal(application.federatedIdentityCredentials.length, 1, 'one federated credential on the application');
  const [credential] = application.federatedIdentityCredentials;
  assert.equal(credential.name, `azure-devops-${connection.id}`);
  assert.equal(credential.issuer, connection.authorization.parameters.workloadIdentityFederationIssuer);
  assert.equal(credential.subject, connection.authorization.parameters.workloadIdentityFederationSubject);
  assert.deepEqual(credential.audiences, ['api://AzureADTokenExchange']);

  assert.deepEqual(Object.keys(run.outputs), OUTPUTS.appRegistration, 'outputs in the documented order');
  assert.deepEqual(run.outputs, {
    serviceConnectionName: 'app1-dev',
    serviceConnectionId: connection.id,
    clientId: application.appId,
    principalId: principals[0].id,
    tenantId: emulator.world.tenantId,
    workloadIdentityIssuer: connection.authorization.parameters.workloadIdentityFederationIssuer,
    workloadIdentitySubject: connection.authorization.parameters.workloadIdentityFederationSubject,
    applicationObjectId: application.id,
  });

  const used = await useConnection(emulator, connection.id);
  assert.equal(used.status, 200, `a later pipeline using the connection reaches ARM at ${used.scope} (${used.stage}): ${JSON.stringify(used.body)}`);
}

/**
 * A second identical run: nothing changes, no second application or principal. Once Graph has
 * replicated, the run writes nothing at all. Inside the replication window its reads can miss what the
 * first run made; it then upserts by alternate key, which Graph answers 204 (it exists) without change.
 */
async function assertRerunChangesNothing(emulator: Emulator, { insideReplicationWindow = false } = {}): Promise<void> {
  const before = emulator.state();
  const seen = emulator.requests.length;
  const writes = emulator.writes().length;
  const again = await runInProcess(emulator, APP1_DEV);
  succeeded(again);
  assert.deepEqual(emulator.state(), before, 'the world is unchanged');
  assert.equal(madeApplications(emulator).length, 1, 'no second application');
  assert.equal(madeServicePrincipals(emulator).length, 1, 'no second service principal');
  if (insideReplicationWindow) {
    const rerunWrites = emulator.writes().filter((w) => emulator.requests.indexOf(w) >= seen);
    for (const write of rerunWrites) {
      assert.deepEqual([write.service, write.method, write.status], ['graph', 'PATCH', 204], `only idempotent upserts: ${write.method} ${write.path}`);
    }
  } else {
    assert.equal(emulator.writes().length, writes, 'the second run wrote nothing');
    assert.match(again.stdout, /Kept: application 'azure-devops-app1-dev'/);
  }
  assert.equal((await useConnection(emulator, again.outputs.serviceConnectionId)).status, 200);
}

describe('app registration connection, whole runs in process', function () {
  this.timeout(120_000);
  let emulator: Emulator | undefined;

  afterEach(async () => {
    await emulator?.stop();
    emulator = undefined;
  });

  it('creates the application, its service principal, the role, the connection and the credential, and the connection gets an ARM token', async () => {
    emulator = await Emulator.start();
    const run = await runInProcess(emulator, APP1_DEV, { variables: { 'System.Debug': 'true' } });
    succeeded(run);
    await assertProvisioned(emulator, run);

    const output = (run.stdout + run.stderr)
      .split('\n')
      .filter((line) => !line.startsWith('##vso[task.setsecret]'))
      .join('\n');
    assert.doesNotMatch(output, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no token (the Graph token included) appears in the output');
    for (const secret of run.secrets) assert.ok(!output.includes(secret), 'a registered secret is never printed');
  });

  it('changes nothing on a second identical run, and creates no second application or service principal', async () => {
    emulator = await Emulator.start();
    succeeded(await runInProcess(emulator, APP1_DEV));
    await assertRerunChangesNothing(emulator);
  });

  it('rides out Graph and role assignment replication, then changes nothing on a re-run', async () => {
    emulator = await Emulator.start({ graphReplicationMs: 2500, principalReplicationMs: 3000, principalTypeSkipsReplication: false });
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);
    assert.ok(answered(emulator, 'graph', 400, /servicePrincipals/i) > 0, 'Graph refused the service principal while the application replicated');
    assert.ok(answered(emulator, 'graph', 404, /federatedIdentityCredentials/i) > 0, 'Graph did not know the application when the credential was first added');
    assert.ok(answered(emulator, 'arm', 400, /roleAssignments/i) > 0, 'ARM answered PrincipalNotFound while the principal replicated');
    await assertProvisioned(emulator, run);
    // The first run waited for the principal longer than Graph's window: the re-run finds everything.
    await assertRerunChangesNothing(emulator);
  });

  it('works with a bootstrap identity that may manage only the applications it owns, on the first run and the re-run', async () => {
    emulator = await Emulator.start({ graphPermissions: ['Application.ReadWrite.OwnedBy'], graphReplicationMs: 1500 });
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);
    assert.ok(
      answered(emulator, 'graph', 403, /servicePrincipals/i) > 0,
      "Graph refused the service principal while the application replicated (an OwnedBy caller's answer)",
    );
    await assertProvisioned(emulator, run);
    const [application] = madeApplications(emulator);
    assert.deepEqual(
      application.owners.map((o) => o.id),
      [emulator.world.bootstrap.objectId],
      'the bootstrap identity owns the application it created',
    );
    // The re-run starts while Graph still replicates the new service principal.
    await assertRerunChangesNothing(emulator, { insideReplicationWindow: true });
  });

  it('sends again a Graph request that got no answer, and waits as long as Graph asks when it throttles', async () => {
    emulator = await Emulator.start();
    emulator.faults.add({ service: 'graph', method: 'PATCH', path: /applications\(uniqueName=/, drop: true });
    emulator.faults.add({
      service: 'graph',
      method: 'PATCH',
      path: /servicePrincipals/,
      status: 429,
      headers: { 'Retry-After': '1', 'Content-Type': 'application/json' },
      body: { error: { code: 'TooManyRequests', message: 'Too many requests.', innerError: { date: new Date().toISOString(), 'request-id': 'r' } } },
    });
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);
    assert.equal(answered(emulator, 'graph', 0, /applications\(uniqueName=/), 1, 'the dropped request was seen');
    assert.equal(answered(emulator, 'graph', 429, /servicePrincipals/), 1, 'the throttled request was seen');
    assert.equal(madeApplications(emulator).length, 1, 'one application despite the resent create');
    await assertProvisioned(emulator, run);
  });

  it('explains, in one line, an application the OwnedBy bootstrap identity does not own', async () => {
    emulator = await Emulator.start();
    succeeded(await runInProcess(emulator, APP1_DEV));
    emulator.configure({ graphPermissions: ['Application.ReadWrite.OwnedBy'] });
    const run = await runInProcess(emulator, { ...APP1_DEV, applicationName: 'app1-dev-renamed' });
    failed(run, /Could not update the application .*Insufficient privileges.*HTTP 403, Authorization_RequestDenied.*Application\.ReadWrite\.OwnedBy/);
  });

  it("says so when another application already carries the new application's display name: OwnedBy lists every application (issue 24)", async () => {
    emulator = await Emulator.start({ graphPermissions: ['Application.ReadWrite.OwnedBy'] });
    succeeded(await runInProcess(emulator, { ...APP1_DEV, connectionName: 'app1-other', applicationName: 'azure-devops-app1-dev' }));
    const [other] = madeApplications(emulator);
    const run = await runInProcess(emulator, APP1_DEV);
    assert.equal(run.result, 'SucceededWithIssues', run.stdout);
    assert.match(
      run.message ?? '',
      new RegExp(
        `An application named 'azure-devops-app1-dev' already exists \\(client id ${other.appId}\\) that this task did not make for this connection: this run made another of the same name\\. Set applicationName`,
      ),
    );
    assert.equal(madeApplications(emulator).length, 2);
    succeeded(await runInProcess(emulator, APP1_DEV)); // a re-run finds its own application and says nothing more
  });

  it('refuses, before writing anything, when the bootstrap identity has no Graph permission', async () => {
    emulator = await Emulator.start({ graphPermissions: [] });
    const run = await runInProcess(emulator, APP1_DEV);
    failed(run, /Authorization_RequestDenied.*Application\.ReadWrite\.OwnedBy/);
    assert.deepEqual(emulator.writes(), [], 'the emulator saw no write');
  });

  it('reuses an app-registration connection of the same name, and refuses one that signs in as another identity', async () => {
    emulator = await Emulator.start();
    const first = await runInProcess(emulator, APP1_DEV);
    succeeded(first);
    const managed = await runInProcess(emulator, { ...APP1_DEV, identityType: 'managedIdentity', identityResourceGroup: 'rg-identities' });
    failed(managed, /service connection 'app1-dev' in project 'platform' uses WorkloadIdentityFederation with client id '.*', not the identity/);
    const again = await runInProcess(emulator, APP1_DEV);
    succeeded(again);
    assert.equal(again.outputs.serviceConnectionId, first.outputs.serviceConnectionId);
  });

  it('leaves Microsoft Graph alone on the managed identity path', async () => {
    emulator = await Emulator.start();
    succeeded(await runInProcess(emulator, { ...APP1_DEV, identityType: 'managedIdentity', identityResourceGroup: 'rg-identities' }));
    assert.deepEqual(
      emulator.requests.filter((r) => r.service === 'graph'),
      [],
      'no Graph request',
    );
  });
});
