/**
 * What the scope choices do to the connection: a management group connection.
 */
import { strict as assert } from 'node:assert';
import * as connection from '../../src/resources/serviceConnectionWire';

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
