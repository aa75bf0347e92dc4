import { strict as assert } from 'node:assert';
import { toTaskError } from '../../src/sdkErrors';
import * as application from '../../src/resources/application';
import * as applicationCredential from '../../src/resources/applicationCredential';
import { trusts } from '../../src/resources/federatedCredential';
import * as servicePrincipal from '../../src/resources/servicePrincipal';

describe('application converters', () => {
  const desired = { uniqueName: 'wic-0123', displayName: 'azure-devops-app1-dev' };

  it('write a single-tenant application with the display name; the uniqueName travels in the URL', () => {
    assert.deepEqual(application.toWire(desired), { displayName: 'azure-devops-app1-dev', signInAudience: 'AzureADMyOrg' });
  });

  it("read the ids, the key and the settings this task owns from Graph's answer", () => {
    const read = application.fromWire({
      id: 'object-id',
      appId: 'client-id',
      uniqueName: 'wic-0123',
      displayName: 'azure-devops-app1-dev',
      signInAudience: 'AzureADMyOrg',
      ...{ publisherDomain: 'contoso.onmicrosoft.com' },
    });
    assert.deepEqual(read, {
      id: 'object-id',
      appId: 'client-id',
      uniqueName: 'wic-0123',
      displayName: 'azure-devops-app1-dev',
      signInAudience: 'AzureADMyOrg',
    });
  });

  it('patch nothing for an application that matches, and only what differs otherwise', () => {
    const existing = application.fromWire({ id: 'o', appId: 'a', uniqueName: 'wic-0123', ...application.toWire(desired) });
    assert.equal(application.changes(desired, existing), undefined);
    assert.deepEqual(application.changes({ ...desired, displayName: 'renamed' }, existing), { displayName: 'renamed' });
    assert.deepEqual(application.changes(desired, { ...existing, signInAudience: 'AzureADMultipleOrgs' }), { signInAudience: 'AzureADMyOrg' });
  });
});

describe('service principal converters', () => {
  it('create an enabled service principal, the appId in the URL', () => {
    assert.deepEqual(servicePrincipal.toWire(), { accountEnabled: true });
  });

  it('read its object id, the principal of role assignments', () => {
    assert.deepEqual(servicePrincipal.fromWire({ id: 'sp', appId: 'a', displayName: 'n', accountEnabled: true }), { id: 'sp', appId: 'a', displayName: 'n' });
  });

  describe('tell "the application has not replicated yet" from a refusal', () => {
    const graphError = (statusCode: number, code: string, message: string) => toTaskError('graph', 'create', { statusCode, code, message });

    it('400 NoBackingApplicationObject always', () => {
      const error = graphError(400, 'Request_BadRequest', "The appId 'a' of the service principal does not reference a valid application object.");
      assert.ok(servicePrincipal.isAwaitingApplication(error, false));
    });

    it('403 for an OwnedBy caller only for an application this run created', () => {
      const error = graphError(
        403,
        'Authorization_RequestDenied',
        'When using this permission, the backing application of the service principal being created must in the local tenant.',
      );
      assert.ok(servicePrincipal.isAwaitingApplication(error, true));
      assert.ok(!servicePrincipal.isAwaitingApplication(error, false));
    });

    it('never another 4xx', () => {
      assert.ok(
        !servicePrincipal.isAwaitingApplication(graphError(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'), true),
      );
      assert.ok(!servicePrincipal.isAwaitingApplication(graphError(400, 'Request_BadRequest', "Property 'x' is invalid."), true));
    });
  });
});

describe('application federated credential converters', () => {
  const desired = { applicationId: 'o', applicationName: 'app', name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X' };

  it('write the issuer and subject as given with the token exchange audience; the name travels in the URL', () => {
    assert.deepEqual(applicationCredential.toWire(desired), {
      issuer: 'https://issuer/v2.0',
      subject: '/eid1/sc/Org/X',
      audiences: ['api://AzureADTokenExchange'],
    });
  });

  it("read Graph's credential into the model the managed identity path uses, matched case-sensitively", () => {
    const read = applicationCredential.fromWire({ id: 'i', name: 'azure-devops-x', description: null, ...applicationCredential.toWire(desired) });
    assert.deepEqual(read, { name: 'azure-devops-x', issuer: 'https://issuer/v2.0', subject: '/eid1/sc/Org/X', audiences: ['api://AzureADTokenExchange'] });
    assert.ok(trusts(read, desired));
    assert.ok(!trusts({ ...read, subject: '/eid1/sc/org/x' }, desired));
  });
});
