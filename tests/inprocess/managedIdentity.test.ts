/**
 * A managed identity connection, whole runs of the task in process (tests/inprocess/harness.ts) against the
 * emulator: what a platform engineer sees. The bundle spawned as the agent spawns it, on Node 20 and 24, is
 * the spawned tier's managedIdentity.test.ts.
 */
import { strict as assert } from 'node:assert';
import { useConnection } from '../support/useConnection';
import { failed, OUTPUTS, printed, succeeded } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const APP1_DEV = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'app1-dev',
  identityResourceGroup: 'rg-identities',
  resourceGroup: 'rg-app1-dev',
  roleDefinitionName: 'Contributor',
};

describe('managed identity connection, whole runs in process', function () {
  this.timeout(120_000);
  let emulator: Emulator;

  beforeEach(async () => {
    emulator = await Emulator.start();
  });
  afterEach(async () => {
    await emulator.stop();
  });

  it('creates the identity, role assignment, connection and federated credential, and the connection gets an ARM token', async () => {
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);

    const { identities, roleAssignments, serviceConnections, federatedCredentials } = emulator.state() as Snapshot;
    const identity = identities.find((i) => i.name === 'id-app1-dev');
    assert.ok(identity, 'the managed identity exists');
    assert.equal(identity.location, 'westeurope', "a new identity takes its resource group's location");
    assert.equal(identity.tags?.['created-by'], 'WorkloadIdentityConnection');

    const connection = serviceConnections.find((c) => c.name === 'app1-dev');
    assert.ok(connection, 'the service connection exists');
    assert.equal(connection.type, 'AzureRM');
    assert.equal(connection.authorization.scheme, 'WorkloadIdentityFederation');
    assert.equal(connection.data.creationMode, 'Manual');
    assert.equal(connection.data.scopeLevel, 'Subscription');
    assert.equal(connection.data.subscriptionId, emulator.world.subscriptionId);
    assert.equal(connection.data.subscriptionName, emulator.world.subscriptionName, 'the subscription name is looked up');
    assert.equal(connection.authorization.parameters.serviceprincipalid, identity.properties.clientId);
    assert.equal(connection.authorization.parameters.tenantid, emulator.world.tenantId);
    assert.match(connection.authorization.parameters.scope ?? '', /\/resourcegroups\/rg-app1-dev$/i);

    const scope = `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/rg-app1-dev`.toLowerCase();
    const grants = roleAssignments.filter((a) => a.properties.principalId === identity.properties.principalId);
    assert.equal(grants.length, 1, 'one role assignment for the identity');
    assert.equal(grants[0].properties.scope.toLowerCase(), scope);
    assert.match(grants[0].properties.roleDefinitionId, /b24988ac-6180-42a0-ab88-20f7382dd24c$/, 'Contributor');

    const credentials = federatedCredentials.filter((c) => c.id.toLowerCase().startsWith(identity.id.toLowerCase() + '/'));
    assert.equal(credentials.length, 1, 'one federated credential on the identity');
    assert.equal(credentials[0].properties.issuer, connection.authorization.parameters.workloadIdentityFederationIssuer);
    assert.equal(credentials[0].properties.subject, connection.authorization.parameters.workloadIdentityFederationSubject);
    assert.deepEqual(credentials[0].properties.audiences, ['api://AzureADTokenExchange']);

    assert.deepEqual(Object.keys(run.outputs), OUTPUTS.managedIdentity, 'outputs in the documented order');
    assert.deepEqual(run.outputs, {
      serviceConnectionName: 'app1-dev',
      serviceConnectionId: connection.id,
      clientId: identity.properties.clientId,
      principalId: identity.properties.principalId,
      tenantId: emulator.world.tenantId,
      workloadIdentityIssuer: connection.authorization.parameters.workloadIdentityFederationIssuer,
      workloadIdentitySubject: connection.authorization.parameters.workloadIdentityFederationSubject,
    });

    const used = await useConnection(emulator, connection.id);
    assert.equal(used.status, 200, `a later pipeline using the connection reaches ARM at ${used.scope}: ${JSON.stringify(used.body)}`);
  });

  it('changes nothing on a second identical run', async () => {
    succeeded(await runInProcess(emulator, APP1_DEV));
    const before = emulator.state();
    const writes = emulator.writes().length;

    const again = await runInProcess(emulator, APP1_DEV);
    succeeded(again);
    assert.deepEqual(emulator.state(), before, 'the world is unchanged');
    assert.equal(emulator.writes().length, writes, 'the second run wrote nothing');
    assert.match(again.stdout, /Kept: managed identity 'id-app1-dev'/);
  });

  it('grants the role on the whole subscription when no resource group is given', async () => {
    const run = await runInProcess(emulator, { ...APP1_DEV, resourceGroup: '', roleDefinitionName: 'Reader' });
    succeeded(run);
    const { roleAssignments, serviceConnections } = emulator.state() as Snapshot;
    const grant = roleAssignments.find((a) => a.properties.principalId === run.outputs.principalId);
    assert.equal(grant?.properties.scope.toLowerCase(), `/subscriptions/${emulator.world.subscriptionId}`.toLowerCase());
    assert.equal(serviceConnections.find((c) => c.name === 'app1-dev')?.authorization.parameters.scope, undefined);
    assert.equal((await useConnection(emulator, run.outputs.serviceConnectionId)).status, 200);
  });

  it('rides out a principal that ARM cannot see yet, thanks to principalType', async () => {
    emulator.configure({ principalReplicationMs: 30_000 });
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);
    assert.ok(run.durationMs < 20_000, 'no waiting for replication when principalType is sent');
  });

  it('signs in with a service principal secret as the bootstrap connection', async () => {
    await emulator.stop();
    emulator = await Emulator.start({ bootstrapScheme: 'ServicePrincipal' });
    const run = await runInProcess(emulator, APP1_DEV);
    succeeded(run);
    assert.equal((await useConnection(emulator, run.outputs.serviceConnectionId)).status, 200);
    assert.ok(run.secrets.includes(emulator.world.bootstrap.clientSecret), 'the secret is masked');
  });

  it('prints no secret, and registers every token it handles with the agent', async () => {
    const run = await runInProcess(emulator, APP1_DEV, { variables: { 'System.Debug': 'true' } });
    succeeded(run);
    const output = printed(run);
    assert.ok(!output.includes(emulator.world.jobAccessToken), 'the job access token is not printed');
    assert.ok(run.secrets.includes(emulator.world.jobAccessToken), 'the job access token is masked');
    assert.ok(run.secrets.length >= 3, 'the job token, the OIDC token and the ARM token are masked');
    for (const secret of run.secrets) assert.ok(!output.includes(secret), 'a registered secret is never printed');
    assert.doesNotMatch(output, /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\./, 'no JWT appears in the output');
  });

  describe('an existing connection of the same name', () => {
    it('is reused when it already uses the same identity', async () => {
      const first = await runInProcess(emulator, APP1_DEV);
      succeeded(first);
      const second = await runInProcess(emulator, APP1_DEV);
      succeeded(second);
      assert.equal(second.outputs.serviceConnectionId, first.outputs.serviceConnectionId);
    });

    it('stops the run, writing nothing, when it uses another identity', async () => {
      succeeded(await runInProcess(emulator, { ...APP1_DEV, identityName: 'id-first' }));
      const writes = emulator.writes().length;
      const run = await runInProcess(emulator, { ...APP1_DEV, identityName: 'id-second' });
      failed(run, /service connection 'app1-dev' in project 'platform' uses WorkloadIdentityFederation with client id '.*', not the identity/);
      assert.equal(emulator.writes().length, writes, 'the conflict is found before the first write');
    });

    it("fails when existingConnection is 'fail'", async () => {
      succeeded(await runInProcess(emulator, APP1_DEV));
      const writes = emulator.writes().length;
      const run = await runInProcess(emulator, { ...APP1_DEV, existingConnection: 'fail' });
      failed(run, /already exists in project 'platform'.*existingConnection/);
      assert.equal(emulator.writes().length, writes);
    });
  });

  // Requests the world refuses, and missing permissions: see badInput.test.ts.
});

/** The parts of the emulator's snapshot these tests read (ARM and Azure DevOps wire shapes). */
interface Snapshot {
  identities: { id: string; name: string; location: string; tags?: Record<string, string>; properties: { clientId: string; principalId: string } }[];
  federatedCredentials: { id: string; name: string; properties: { issuer: string; subject: string; audiences: string[] } }[];
  roleAssignments: { name: string; properties: { scope: string; principalId: string; roleDefinitionId: string; principalType?: string } }[];
  serviceConnections: {
    id: string;
    name: string;
    type: string;
    authorization: { scheme: string; parameters: Record<string, string | undefined> };
    data: Record<string, string>;
  }[];
}
