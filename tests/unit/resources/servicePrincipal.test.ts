/** The application's service principal: src/resources/servicePrincipal.ts's entry of the change set, converters and replication lag. */
import { strict as assert } from 'node:assert';
import { parseRequest } from '../../../src/request';
import { toTaskError } from '../../../src/sdkErrors';
import * as servicePrincipal from '../../../src/resources/servicePrincipal';
import { observed } from '../../support/observed';
import { rawTask } from '../fixtures';
import { object, recording } from '../recorded';

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

describe('recorded service principals (tests/fixtures/recordings/)', () => {
  it('graph-serviceprincipal-create-errors', () => {
    const recorded = recording('graph-serviceprincipal-create-errors');
    const asGraphError = (status: number, body: unknown) => {
      const error = object(object(body).error);
      return toTaskError('graph', 'create the service principal', { statusCode: status, code: error.code, message: error.message });
    };
    assert.equal(servicePrincipal.isAwaitingApplication(asGraphError(400, recorded.body), false), true);
    assert.equal(servicePrincipal.isAwaitingApplication(asGraphError(403, recorded.alt_status_403_body), true), true);
    assert.equal(
      servicePrincipal.isAwaitingApplication(asGraphError(403, recorded.alt_status_403_body), false),
      false,
      'not for an application someone else made',
    );
    const notFound = asGraphError(404, { error: { code: 'Request_ResourceNotFound', message: "Resource 'x' does not exist." } });
    assert.equal(servicePrincipal.isAwaitingApplication(notFound, true), true);
  });
});
