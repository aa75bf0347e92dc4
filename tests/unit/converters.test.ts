import { strict as assert } from 'node:assert';
import * as connection from '../../src/resources/serviceConnectionWire';
import * as identity from '../../src/resources/managedIdentity';
import * as credential from '../../src/resources/federatedCredential';
import * as roleAssignment from '../../src/resources/roleAssignment';

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

describe('managed identity converters', () => {
  const desired = { resourceGroup: 'rg', name: 'id-app1-dev', location: 'westeurope', owner: 'contoso/p-id/app1-dev' };

  it('tag a new identity with the task and the connection it serves', () => {
    assert.deepEqual(identity.toWire(desired), {
      location: 'westeurope',
      tags: { 'created-by': 'WorkloadIdentityConnection', 'azure-devops-connection': 'contoso/p-id/app1-dev' },
    });
  });

  it("tell our identity from another connection's and from an untagged one", () => {
    const read = (tags: Record<string, string>) => identity.fromWire({ location: 'westeurope', tags }, 'rg');
    assert.equal(identity.ownership(read({ 'azure-devops-connection': 'CONTOSO/p-id/app1-dev' }), desired.owner), 'ours');
    assert.equal(identity.ownership(read({ 'azure-devops-connection': 'contoso/p-id/other' }), desired.owner), 'other');
    assert.equal(identity.ownership(read({}), desired.owner), 'unowned');
  });
});

describe('federated credential converters', () => {
  const desired = { resourceGroup: 'rg', identityName: 'id', name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X' };

  it('write the issuer and subject as given with the token exchange audience', () => {
    assert.deepEqual(credential.toWire(desired), { issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X', audiences: ['api://AzureADTokenExchange'] });
  });

  it('match subjects case-sensitively, as Entra does', () => {
    const found = credential.fromWire({ name: 'n', ...credential.toWire(desired) });
    assert.ok(credential.trusts(found, desired));
    assert.ok(!credential.trusts({ ...found, subject: '/eid1/sc/org/x' }, desired));
  });
});

describe('role assignment converter', () => {
  it('sets principalType so ARM does not look up a principal that is still replicating', () => {
    assert.deepEqual(roleAssignment.toWire({ scope: '/s', principalId: 'p', roleDefinitionId: 'r', roleName: 'Reader' }), {
      roleDefinitionId: 'r',
      principalId: 'p',
      principalType: 'ServicePrincipal',
    });
  });
});
