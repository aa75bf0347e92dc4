/**
 * A connection scoped to a management group, end to end: the role is granted at the group (and reaches
 * the subscriptions below it), the connection says scopeLevel ManagementGroup and names the group, and a
 * later pipeline can use it at the group's scope.
 */
import { strict as assert } from 'node:assert';
import { useConnection } from '../support/useConnection';
import { succeeded } from '../support/scenarios';
import { Emulator, runInProcess } from './harness';

const MG_SCOPE = '/providers/Microsoft.Management/managementGroups/mg-platform';
const PLATFORM = {
  bootstrapConnection: 'platform-bootstrap',
  connectionName: 'platform-mg',
  identityResourceGroup: 'rg-identities',
  managementGroupId: 'mg-platform',
  roleDefinitionName: 'Reader',
};

describe('a management group connection, whole runs in process', function () {
  this.timeout(60_000);
  let emulator: Emulator;
  beforeEach(async () => {
    // The platform team's bootstrap identity: it creates identities in the subscription and assigns roles
    // in the management group.
    emulator = await Emulator.start({ bootstrapRoles: ['Contributor', `Role Based Access Control Administrator@${MG_SCOPE}`] });
  });
  afterEach(async () => {
    await emulator.stop();
  });

  it('grants the role at the management group and creates a ManagementGroup connection that works there', async () => {
    const run = await runInProcess(emulator, PLATFORM);
    succeeded(run);
    const { roleAssignments, serviceConnections } = emulator.state();
    const connection = serviceConnections.find((c) => c.name === 'platform-mg');
    assert.ok(connection);
    assert.deepEqual(connection.data, {
      environment: 'AzureCloud',
      scopeLevel: 'ManagementGroup',
      managementGroupId: 'mg-platform',
      managementGroupName: 'Platform',
      creationMode: 'Manual',
    });
    assert.equal(connection.authorization.parameters.scope, undefined);

    const grants = roleAssignments.filter((a) => a.properties.principalId === run.outputs.principalId);
    assert.equal(grants.length, 1);
    assert.equal(grants[0].properties.scope, MG_SCOPE);
    assert.match(grants[0].properties.roleDefinitionId, /acdd72a7-3385-48ef-bd42-f606fba81ae7$/, 'Reader');

    const used = await useConnection(emulator, connection.id);
    assert.equal(used.status, 200, JSON.stringify(used.body));
    assert.equal((used.body as { properties?: { displayName?: string } }).properties?.displayName, 'Platform');
  });

  it('takes the name it is given, and changes nothing on a second run', async () => {
    const inputs = { ...PLATFORM, managementGroupName: 'Platform landing zones' };
    succeeded(await runInProcess(emulator, inputs));
    const before = emulator.state();
    const writes = emulator.writes().length;
    succeeded(await runInProcess(emulator, inputs));
    assert.deepEqual(emulator.state(), before);
    assert.equal(emulator.writes().length, writes, 'the second run wrote nothing');
    assert.equal(before.serviceConnections.find((c) => c.name === 'platform-mg')?.data.managementGroupName, 'Platform landing zones');
  });

  it('moves an existing subscription connection of the same identity to the management group', async () => {
    const { managementGroupId: _id, ...atSubscription } = PLATFORM;
    succeeded(await runInProcess(emulator, atSubscription));
    const run = await runInProcess(emulator, PLATFORM);
    succeeded(run);
    assert.match(run.stdout, /Updated: service connection 'platform-mg'/);
    const data = emulator.state().serviceConnections.find((c) => c.name === 'platform-mg')?.data;
    assert.deepEqual(
      data,
      {
        environment: 'AzureCloud',
        scopeLevel: 'ManagementGroup',
        managementGroupId: 'mg-platform',
        managementGroupName: 'Platform',
        creationMode: 'Manual',
      },
      'no subscription left behind',
    );
  });

  it('refuses a management group it cannot find, before writing anything', async () => {
    const run = await runInProcess(emulator, { ...PLATFORM, managementGroupId: 'mg-nowhere' });
    assert.equal(run.result, 'Failed');
    assert.match(
      run.message ?? '',
      /Input 'managementGroupId' names 'mg-nowhere', which does not exist or which the bootstrap connection's identity cannot read/,
    );
    assert.deepEqual(emulator.writes(), []);
  });

  it('refuses a management group together with a resource group', async () => {
    const run = await runInProcess(emulator, { ...PLATFORM, resourceGroup: 'rg-app1-dev' });
    assert.equal(run.result, 'Failed');
    assert.match(run.message ?? '', /Input 'resourceGroup' cannot be combined with managementGroupId/);
    assert.equal(emulator.requests.length, 0);
  });
});
