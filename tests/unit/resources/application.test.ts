/** The Entra application: src/resources/application.ts's entry of the change set and converters. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as application from '../../../src/resources/application';
import { observed } from '../../support/observed';
import { rawTask } from '../fixtures';
import { object, recording } from '../recorded';

describe('application', () => {
  const req = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', identityType: 'appRegistration', identityResourceGroup: '' }));
  const existing = { id: 'object-id', appId: 'app-id', uniqueName: 'wic-x', displayName: 'azure-devops-app1-dev', signInAudience: 'AzureADMyOrg' };
  const found = (app: typeof existing | null) =>
    observed(req, { identity: { kind: 'appRegistration', uniqueName: 'wic-x', application: app, servicePrincipal: null } });

  it('creates a missing application, updates one whose display name changed, keeps one as wanted', () => {
    assert.equal(application.decide(req, found(null))?.action, 'create');
    assert.equal(application.decide(req, found({ ...existing, displayName: 'old' }))?.action, 'update');
    assert.equal(application.decide(req, found(existing))?.action, 'keep');
  });

  it('has no entry for a managed identity', () => {
    const mi = parseRequest(rawTask({ resourceGroup: 'rg-app1-dev' }));
    assert.equal(application.decide(mi, observed(mi)), undefined);
  });
  it('warns that a new application takes a display name another application carries, or that Graph did not let it look (issue 24)', () => {
    const app = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));
    const other = { id: 'o', appId: 'other-app', uniqueName: '', displayName: 'azure-devops-app1-dev', signInAudience: 'AzureADMyOrg' };
    const seen = (sameName: application.SameName, found = observed(app)) =>
      application.warnings(app, { identity: { ...(found.identity as application.ObservedAppRegistration), sameName } });
    assert.match(
      seen({ applications: [other] })[0],
      /^An application named 'azure-devops-app1-dev' already exists \(client id other-app\) that this task did not make/,
    );
    assert.deepEqual(seen({ applications: [{ ...other, uniqueName: 'WIC-X' }] }), [], 'our own, made by a concurrent run');
    assert.match(
      seen({ unlisted: 'Authorization_RequestDenied' })[0],
      /did not let the bootstrap connection list the applications named .*\(Authorization_RequestDenied\)/,
    );
    const existing = observed(app, {
      identity: { kind: 'appRegistration', uniqueName: 'wic-x', application: { ...other, uniqueName: 'wic-x' }, servicePrincipal: null },
    });
    assert.deepEqual(seen({ applications: [other] }, existing), [], 'only a new application takes the name');
  });
});

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

describe('recorded applications (tests/fixtures/recordings/)', () => {
  it('graph-application-create-post', () => {
    const parsed = application.fromWire(object(recording('graph-application-create-post').body));
    assert.equal(parsed.id, '4d5c0e0b-9816-4aa2-a444-395e807c6f80');
    assert.ok(parsed.appId);
  });

  it('graph-application-list-filter-appid', () => {
    const value = object(recording('graph-application-list-filter-appid').body).value as unknown[];
    assert.equal(application.fromWire(object(value[0])).appId, '1a139bcd-74f9-48e2-834a-d897c7a9b4d6');
  });
});
