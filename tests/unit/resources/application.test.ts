/** The Entra application: src/resources/application.ts's entry of the change set. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as application from '../../../src/resources/application';
import { observed } from '../../support/observed';
import { rawTask } from '../fixtures';

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
});
