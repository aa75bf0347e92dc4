/**
 * What the scope choices do to the plan and to the connection: a management group connection, and one
 * step per additional grant.
 */
import { strict as assert } from 'node:assert';
import { levels, planFor } from '../../src/plan';
import { parseRequest } from '../../src/request';
import * as connection from '../../src/resources/serviceConnection';
import { rawTask, SUBSCRIPTION } from './fixtures';

function request(inputs: Record<string, string> = {}) {
  return parseRequest(rawTask(inputs));
}

describe('planFor, with several roles and a management group', () => {
  it('reads the management group and every role first, then grants each role beside the connection', () => {
    const plan = planFor(request({ managementGroupId: 'mg-platform', roleAssignments: 'Reader@resourceGroups/rg-a\nReader@resourceGroups/rg-b' }));
    const byLevel = levels(plan).map((level) => level.map((s) => s.id));
    assert.deepEqual(byLevel[0], [
      'project',
      'subscription',
      'managementGroup',
      'roleDefinition',
      'roleDefinition:1',
      'roleDefinition:2',
      'identityResourceGroup',
      'existingIdentity',
      'azurePermissions',
    ]);
    assert.deepEqual(byLevel[1], ['existingConnection', 'devopsPermissions'], 'the connection is looked up once the project is known');
    assert.deepEqual(byLevel.slice(2), [['identity'], ['roleAssignment', 'roleAssignment:1', 'roleAssignment:2', 'connection'], ['federatedCredential']]);
    const grant = plan.find((s) => s.id === 'roleAssignment:2');
    assert.equal(grant?.summary, `ensure role 'Reader' for the identity at /subscriptions/${SUBSCRIPTION}/resourceGroups/rg-b`);
    assert.equal(plan.find((s) => s.id === 'roleAssignment')?.summary, "ensure role 'Contributor' for the identity at /providers/Microsoft.Management/managementGroups/mg-platform");
  });

  it('has no management group or grant steps when none are asked for', () => {
    const ids = planFor(request()).map((s) => s.id);
    assert.ok(!ids.some((id) => id === 'managementGroup' || /:/.test(id)));
  });
});

describe('a management group connection', () => {
  const desired: connection.DesiredConnection = {
    name: 'platform-mg',
    description: '',
    project: { id: 'p-id', name: 'platform' },
    environment: 'AzureUSGovernment',
    resourceManagerUrl: 'https://management.usgovcloudapi.net/',
    tenantId: 'tenant',
    clientId: 'client',
    subscriptionId: 'sub',
    subscriptionName: 'Platform Dev',
    managementGroup: { id: 'mg-platform', name: 'Platform' },
  };

  it('says scopeLevel ManagementGroup, names the group and no subscription', () => {
    const wire = connection.toWire(desired);
    assert.equal(wire.url, 'https://management.usgovcloudapi.net/');
    assert.deepEqual(wire.data, {
      environment: 'AzureUSGovernment',
      scopeLevel: 'ManagementGroup',
      managementGroupId: 'mg-platform',
      managementGroupName: 'Platform',
      creationMode: 'Manual',
    });
  });

  it('is updated when the scope changes between subscription and management group', () => {
    const atGroup = connection.toWire(desired);
    assert.equal(connection.compare(desired, atGroup), 'same');
    assert.equal(connection.compare({ ...desired, managementGroup: undefined }, atGroup), 'update');
    assert.equal(connection.compare(desired, connection.toWire({ ...desired, managementGroup: undefined })), 'update');
    assert.equal(connection.compare({ ...desired, managementGroup: { id: 'mg-other', name: 'Platform' } }, atGroup), 'update');
  });
});
