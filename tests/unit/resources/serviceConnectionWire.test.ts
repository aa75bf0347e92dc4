/** The service connection's wire model: src/resources/serviceConnectionWire.ts's converters and comparison. */
import { strict as assert } from 'node:assert';
import * as connection from '../../../src/resources/serviceConnectionWire';
import { recording } from '../recorded';

const desiredConnection: connection.DesiredConnection = {
  name: 'app1-dev',
  description: 'App 1, dev',
  project: { id: 'p-id', name: 'platform' },
  environment: 'AzureCloud',
  resourceManagerUrl: 'https://management.azure.com/',
  tenantId: 'tenant',
  clientId: 'client',
  subscriptionId: 'sub',
  subscriptionName: 'Platform Dev',
  resourceGroupScope: '/subscriptions/sub/resourcegroups/rg-app1-dev',
};

describe('service connection converters', () => {
  it('write a Manual workload identity federation AzureRM connection in the project', () => {
    assert.deepEqual(connection.toWire(desiredConnection), {
      name: 'app1-dev',
      type: 'AzureRM',
      url: 'https://management.azure.com/',
      owner: 'library',
      description: 'App 1, dev',
      authorization: {
        scheme: 'WorkloadIdentityFederation',
        parameters: { tenantid: 'tenant', serviceprincipalid: 'client', scope: '/subscriptions/sub/resourcegroups/rg-app1-dev' },
      },
      data: { environment: 'AzureCloud', scopeLevel: 'Subscription', subscriptionId: 'sub', subscriptionName: 'Platform Dev', creationMode: 'Manual' },
      isShared: false,
      serviceEndpointProjectReferences: [{ projectReference: { id: 'p-id', name: 'platform' }, name: 'app1-dev', description: 'App 1, dev' }],
    });
  });

  it('leave the scope out for a subscription-wide connection', () => {
    const wire = connection.toWire({ ...desiredConnection, resourceGroupScope: undefined });
    assert.deepEqual(wire.authorization?.parameters, { tenantid: 'tenant', serviceprincipalid: 'client' });
  });

  it('read back the issuer and subject Azure DevOps generated, and the projects the connection is in', () => {
    const wire = connection.toWire(desiredConnection);
    wire.id = 'sc-id';
    wire.isReady = true;
    wire.authorization!.parameters!.workloadIdentityFederationIssuer = 'https://login.microsoftonline.com/tenant/v2.0';
    wire.authorization!.parameters!.workloadIdentityFederationSubject = '/eid1/c/pub/t/x/a/y/sc/org/sc-id';
    assert.deepEqual(connection.fromWire(wire), {
      id: 'sc-id',
      name: 'app1-dev',
      tenantId: 'tenant',
      clientId: 'client',
      issuer: 'https://login.microsoftonline.com/tenant/v2.0',
      subject: '/eid1/c/pub/t/x/a/y/sc/org/sc-id',
      ready: true,
      disabled: false,
      failed: undefined,
      projectIds: ['p-id'],
    });
  });

  it('report a connection still in progress or failed', () => {
    assert.equal(connection.fromWire({ isReady: false, operationStatus: { state: 'InProgress' } }).ready, false);
    assert.equal(connection.fromWire({ operationStatus: { state: 'Failed', statusMessage: 'no access' } }).failed, 'no access');
  });

  it('compare: the same identity and settings is kept; other settings are updated; another identity is foreign', () => {
    const existing = connection.toWire(desiredConnection);
    assert.equal(connection.compare(desiredConnection, existing), 'same');
    assert.equal(connection.compare({ ...desiredConnection, description: 'new' }, existing), 'update');
    assert.equal(connection.compare({ ...desiredConnection, resourceGroupScope: undefined }, existing), 'update');
    assert.equal(connection.compare({ ...desiredConnection, clientId: 'someone-else' }, existing), 'foreign');
    assert.equal(
      connection.compare(desiredConnection, { ...existing, authorization: { scheme: 'ServicePrincipal', parameters: existing.authorization!.parameters } }),
      'foreign',
    );
  });
});

describe('a management group connection', () => {
  const desired: connection.DesiredConnection = {
    ...desiredConnection,
    name: 'platform-mg',
    description: '',
    environment: 'AzureUSGovernment',
    resourceManagerUrl: 'https://management.usgovcloudapi.net/',
    resourceGroupScope: undefined,
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

describe('recorded service connections (tests/fixtures/recordings/)', () => {
  it('ado-serviceendpoint-create-wif-response', () => {
    const body = recording('ado-serviceendpoint-create-wif-response').body as Parameters<typeof connection.fromWire>[0];
    const parsed = connection.fromWire(body);
    assert.equal(parsed.ready, true);
    assert.equal(parsed.disabled, false);
    assert.match(parsed.issuer, /^https:\/\//);
    assert.ok(parsed.subject.length > 0);
    assert.equal(body.authorization?.parameters?.workloadIdentityFederationIssuerType, 'EntraID');
  });

  it('ado-serviceendpoint-get-real', () => {
    const body = recording('ado-serviceendpoint-get-real').body as Parameters<typeof connection.fromWire>[0];
    const parsed = connection.fromWire(body);
    assert.equal(parsed.ready, true, 'no operationStatus: ready');
    assert.equal(connection.isPartial(body), false);
    assert.equal(connection.isPartial({ ...body, type: null, data: null } as unknown as typeof body), true);
    assert.equal(connection.isPartial({ ...body, authorization: null } as unknown as typeof body), true);
    assert.equal(connection.fromWire({ ...body, isDisabled: true }).ready, false);
  });
});
