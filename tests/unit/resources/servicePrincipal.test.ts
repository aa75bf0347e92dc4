/** The application's service principal: src/resources/servicePrincipal.ts's entry of the change set. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import * as servicePrincipal from '../../../src/resources/servicePrincipal';
import { observed } from '../../support/observed';
import { rawTask } from '../fixtures';

describe('service principal', () => {
  const req = parseRequest(rawTask({ identityType: 'appRegistration', identityResourceGroup: '' }));
  const principal = { id: 'principal-id', appId: 'app-id', displayName: 'azure-devops-app1-dev' };

  it('creates a missing service principal and keeps an existing one', () => {
    const found = (sp: typeof principal | null) =>
      observed(req, { identity: { kind: 'appRegistration', uniqueName: 'wic-x', application: null, servicePrincipal: sp } });
    assert.deepEqual(servicePrincipal.decide(req, found(null)), {
      action: 'create',
      what: "the service principal of application 'azure-devops-app1-dev'",
      needs: [],
      existing: null,
    });
    assert.equal(servicePrincipal.decide(req, found(principal))?.action, 'keep');
  });

  it('has no entry for a managed identity', () => {
    const mi = parseRequest(rawTask({}));
    assert.equal(servicePrincipal.decide(mi, observed(mi)), undefined);
  });
});
