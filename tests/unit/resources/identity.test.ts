/** The identity behind the connection, whichever kind: src/resources/identity.ts. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import { identityWords, principalOf, signInAfter, signInBefore } from '../../../src/resources/identity';
import { observed, rerun } from '../../support/observed';
import { rawTask } from '../fixtures';

describe('identity', () => {
  const req = parseRequest(rawTask({}));
  const app = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));

  it("signs in with the existing identity's tenant and client ids, and the bootstrap tenant and no client id before it exists", () => {
    assert.deepEqual(signInBefore(req, rerun(req).identity), { tenantId: 'tenant-guid', clientId: 'client-id' });
    assert.deepEqual(signInBefore(req, observed(req).identity), { tenantId: 'tenant-guid', clientId: '' });
    assert.deepEqual(signInBefore(app, observed(app).identity), { tenantId: 'tenant-guid', clientId: '' });
  });

  it('signs in as the written identity: the managed identity, else the application', () => {
    const written = { id: 'i', name: 'id', resourceGroup: 'rg', location: 'westeurope', clientId: 'mi-client', principalId: 'p', tenantId: '', tags: {} };
    assert.deepEqual(signInAfter(req, { managedIdentity: written, application: undefined }), { tenantId: 'tenant-guid', clientId: 'mi-client' });
    const application = { id: 'o', appId: 'app-client', uniqueName: 'u', displayName: 'd', signInAudience: 'AzureADMyOrg', isNew: true };
    assert.deepEqual(signInAfter(app, { managedIdentity: undefined, application }), { tenantId: 'tenant-guid', clientId: 'app-client' });
  });

  it('names the identity for the log, and its principal once it exists', () => {
    assert.equal(identityWords(req, rerun(req).identity), "managed identity 'id-app1-dev'");
    assert.equal(identityWords(app, observed(app).identity), "application 'azure-devops-app1-dev'");
    assert.equal(principalOf(rerun(req).identity), 'principal-id');
    assert.equal(principalOf(observed(app).identity), undefined);
  });
});
