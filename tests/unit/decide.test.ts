/**
 * decide: from a request and what was read to the change set, with no network, and the permission
 * preflight over it. Each resource's own decision is specified beside its module (tests/unit/resources/).
 */
import { strict as assert } from 'node:assert';
import { decide, preflight } from '../../src/decide';
import { ConflictError, PermissionError } from '../../src/errors';
import { parseRequest, type ProvisioningRequest } from '../../src/request';
import { type ChangeSet, changesOf } from '../../src/resources';
import { ALL, observed, rerun, SUBSCRIPTION as SUB } from '../support/observed';
import { rawTask } from './fixtures';

function request(inputs: Record<string, string> = {}): ProvisioningRequest {
  return parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', ...inputs }));
}

const actions = (set: ChangeSet): string[] => changesOf(set).map((change) => `${change.action}: ${change.what}`);

describe('decide', () => {
  describe('for a managed identity', () => {
    const req = request();

    it('creates the identity, its role, the connection and the credential on a first run', () => {
      assert.deepEqual(actions(decide(req, observed(req))), [
        "create: managed identity 'id-app1-dev' in resource group 'rg-identities'",
        `create: role 'Contributor' for the identity at ${SUB}/resourceGroups/rg-app1-dev`,
        "create: service connection 'app1-dev' (workload identity federation)",
        "create: federated credential on managed identity 'id-app1-dev' for the connection's issuer and subject",
      ]);
    });

    it('keeps everything on a re-run after a clean run', () => {
      assert.ok(changesOf(decide(req, rerun(req))).every((change) => change.action === 'keep'));
    });

    it('updates a connection whose description changed, and keeps the rest', () => {
      const changed = request({ connectionDescription: 'App 1, development' });
      const set = decide(changed, rerun(changed));
      assert.equal(set.connection.action, 'update');
      assert.equal(changesOf(set).filter((change) => change.action === 'keep').length, 3);
    });

    it('refuses a connection of that name that signs in as another identity, before any write', () => {
      const found = rerun(req);
      assert.ok(found.identity.kind === 'managedIdentity');
      const foreign = { ...found, identity: { ...found.identity, existing: { ...found.identity.existing!, clientId: 'someone-else' } } };
      assert.throws(
        () => decide(req, foreign),
        (error: unknown) => error instanceof ConflictError && /with client id 'client-id', not the identity 'someone-else'/.test(error.message),
      );
      assert.throws(() => decide(request({ existingConnection: 'fail' }), rerun(req)), /already exists/);
    });

    it('gathers the warnings of every resource, in the order of the change set', () => {
      const req2 = request({ identityLocation: 'northeurope', authorizePipelines: '42' });
      const set = decide(
        req2,
        rerun(req2, { pipelines: [{ id: 42, name: 'app1', folder: '\\' }], pipelinePermissions: { allPipelines: true, pipelineIds: [] } }),
      );
      assert.equal(set.warnings.length, 2);
      assert.match(set.warnings[0], /^Input 'identityLocation' says 'northeurope'/);
      assert.match(set.warnings[1], /^Input 'authorizeAllPipelines' is false/);
    });
  });

  describe('for an app registration', () => {
    const req = request({ identityType: 'appRegistration', identityResourceGroup: '' });

    it('creates the application, its service principal, the role, the connection and the credential on a first run', () => {
      assert.deepEqual(actions(decide(req, observed(req))), [
        "create: application 'azure-devops-app1-dev' (single tenant)",
        "create: the service principal of application 'azure-devops-app1-dev'",
        `create: role 'Contributor' for the service principal at ${SUB}/resourceGroups/rg-app1-dev`,
        "create: service connection 'app1-dev' (workload identity federation)",
        "create: federated credential on application 'azure-devops-app1-dev' for the connection's issuer and subject",
      ]);
    });

    it('updates an application whose display name changed', () => {
      const application = { id: 'object-id', appId: 'app-id', uniqueName: 'wic-x', displayName: 'old', signInAudience: 'AzureADMyOrg' };
      const set = decide(req, observed(req, { identity: { kind: 'appRegistration', uniqueName: 'wic-x', application, servicePrincipal: null } }));
      assert.equal(set.managedIdentity, undefined);
      assert.equal(set.application?.action, 'update');
      assert.equal(set.servicePrincipal?.action, 'create');
    });
  });
});

describe('preflight', () => {
  const req = request();

  it('names every write the bootstrap identity may not make, with the fix, before any write', () => {
    const found = observed(req, {
      armPermissions: {
        [`${SUB}/resourceGroups/rg-identities`.toLowerCase()]: ALL,
        [`${SUB}/resourceGroups/rg-app1-dev`.toLowerCase()]: [{ actions: ['*/read'], notActions: [] }],
      },
      devopsAccess: { create: false },
    });
    assert.throws(
      () => preflight(decide(req, found)),
      (error: unknown) => {
        assert.ok(error instanceof PermissionError);
        assert.match(error.message, /^Permission check failed before any write: .*roleAssignments\/write at .*rg-app1-dev/);
        assert.match(error.message, /lacks the Creator role on service connections in project 'platform'/);
        return true;
      },
    );
  });

  it('does not stop for what it could not read, nor for what a run keeps', () => {
    preflight(decide(req, observed(req, { armPermissions: {}, devopsAccess: {} })));
    preflight(decide(req, { ...rerun(req), armPermissions: {}, devopsAccess: { create: false, administer: false } }));
  });

  it('asks for the Administrator role on a connection it must update', () => {
    const changed = request({ connectionDescription: 'new' });
    assert.throws(
      () => preflight(decide(changed, { ...rerun(changed), devopsAccess: { administer: false } })),
      /Administrator role on the service connection 'app1-dev'/,
    );
  });
});
