/**
 * decide: from a request and what was read to the change set, with no network. The dry-run lines, the
 * preflight and the summary come from that value, so they are specified here too.
 */
import { strict as assert } from 'node:assert';
import { type ChangeSet, changesOf, decide, preflight } from '../../src/decide';
import { ConflictError, PermissionError } from '../../src/errors';
import { armWriteScopes, type Observed } from '../../src/read';
import { dryRunLines, dryRunSummary } from '../../src/report';
import { parseRequest, type ProvisioningRequest } from '../../src/request';
import { toWire as connectionToWire } from '../../src/resources/serviceConnection';
import { rawTask } from './fixtures';

const SUB = '/subscriptions/11111111-2222-3333-4444-555555555555';
const ALL = [{ actions: ['*'], notActions: [] }];

function request(inputs: Record<string, string> = {}): ProvisioningRequest {
  return parseRequest(rawTask({ resourceGroup: 'rg-app1-dev', ...inputs }));
}

/** What a first run reads: nothing of the connection's resources exists, every permission is granted. */
function firstRun(req: ProvisioningRequest, overrides: Partial<Observed> = {}): Observed {
  return {
    project: { id: 'project-id', name: 'platform' },
    subscription: { id: SUB, name: 'Platform Dev' },
    scopeResourceGroup: { name: 'rg-app1-dev', location: 'westeurope' },
    grants: [
      { scope: `${SUB}/resourceGroups/rg-app1-dev`, role: { id: `${SUB}/providers/Microsoft.Authorization/roleDefinitions/b24988ac`, name: 'Contributor' } },
    ],
    connection: null,
    shareTargets: [],
    pipelines: [],
    identity:
      req.identityType === 'managedIdentity'
        ? { kind: 'managedIdentity', resourceGroup: { name: 'rg-identities', location: 'westeurope' }, existing: null }
        : { kind: 'appRegistration', uniqueName: 'wic-x', application: null, servicePrincipal: null },
    assignments: [null],
    credentials: [],
    armPermissions: Object.fromEntries(armWriteScopes(req).map((scope) => [scope.toLowerCase(), ALL])),
    devopsAccess: { create: true },
    approvers: [],
    ...overrides,
  };
}

/** What a re-run of a managed-identity request reads after a clean first run. */
function afterRun(req: ProvisioningRequest): Observed {
  const identity = {
    id: `${SUB}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app1-dev`,
    name: 'id-app1-dev',
    resourceGroup: 'rg-identities',
    location: 'westeurope',
    clientId: 'client-id',
    principalId: 'principal-id',
    tenantId: 'tenant-guid',
    tags: { 'azure-devops-connection': 'contoso/project-id/app1-dev' },
  };
  const first = firstRun(req);
  const wire = connectionToWire({
    name: 'app1-dev',
    description: '',
    project: first.project,
    environment: 'AzureCloud',
    resourceManagerUrl: 'https://management.azure.com/',
    tenantId: 'tenant-guid',
    clientId: 'client-id',
    subscriptionId: '11111111-2222-3333-4444-555555555555',
    subscriptionName: 'Platform Dev',
    resourceGroupScope: `/subscriptions/11111111-2222-3333-4444-555555555555/resourcegroups/rg-app1-dev`,
  });
  const issuer = 'https://login.microsoftonline.com/tenant-guid/v2.0';
  const subject = '/eid1/c/pub/t/x/a/y/sc/org/connection-id';
  return {
    ...first,
    identity: { kind: 'managedIdentity', resourceGroup: { name: 'rg-identities', location: 'westeurope' }, existing: identity },
    connection: {
      ...wire,
      id: 'connection-id',
      authorization: {
        ...wire.authorization,
        parameters: { ...wire.authorization?.parameters, workloadIdentityFederationIssuer: issuer, workloadIdentityFederationSubject: subject },
      },
    },
    assignments: [{ name: 'a', scope: first.grants[0].scope, roleDefinitionId: first.grants[0].role.id, principalId: 'principal-id' }],
    credentials: [{ name: 'azure-devops-connection-id', issuer, subject, audiences: ['api://AzureADTokenExchange'] }],
    devopsAccess: { create: true, administer: true },
  };
}

const actions = (set: ChangeSet): string[] => changesOf(set).map((change) => `${change.action}: ${change.what}`);

describe('decide', () => {
  describe('for a managed identity', () => {
    const req = request();

    it('creates the identity, its role, the connection and the credential on a first run', () => {
      assert.deepEqual(actions(decide(req, firstRun(req))), [
        "create: managed identity 'id-app1-dev' in resource group 'rg-identities'",
        `create: role 'Contributor' for the identity at ${SUB}/resourceGroups/rg-app1-dev`,
        "create: service connection 'app1-dev' (workload identity federation)",
        "create: federated credential on managed identity 'id-app1-dev' for the connection's issuer and subject",
      ]);
    });

    it("puts the identity in its resource group's region unless a region is asked for", () => {
      const set = decide(req, firstRun(req));
      assert.ok(set.identity.kind === 'managedIdentity');
      assert.equal(set.identity.identity.desired.location, 'westeurope');
      const elsewhere = request({ identityLocation: 'northeurope' });
      const other = decide(elsewhere, firstRun(elsewhere));
      assert.ok(other.identity.kind === 'managedIdentity');
      assert.equal(other.identity.identity.desired.location, 'northeurope');
    });

    it('keeps everything on a re-run after a clean run', () => {
      assert.ok(changesOf(decide(req, afterRun(req))).every((change) => change.action === 'keep'));
    });

    it('updates a connection whose description changed, and keeps the rest', () => {
      const changed = request({ connectionDescription: 'App 1, development' });
      const set = decide(changed, afterRun(changed));
      assert.equal(set.connection.action, 'update');
      assert.equal(changesOf(set).filter((change) => change.action === 'keep').length, 3);
    });

    it('refuses a connection of that name that signs in as another identity, before any write', () => {
      const observed = afterRun(req);
      assert.ok(observed.identity.kind === 'managedIdentity');
      const foreign = { ...observed, identity: { ...observed.identity, existing: { ...observed.identity.existing!, clientId: 'someone-else' } } };
      assert.throws(() => decide(req, foreign), ConflictError);
      assert.throws(() => decide(request({ existingConnection: 'fail' }), afterRun(req)), /already exists/);
    });

    it('refuses to share into a project that holds another connection of that name', () => {
      const sharing = request({ shareWithProjects: 'app1' });
      const observed = firstRun(sharing, { shareTargets: [{ project: { id: 'app1-id', name: 'app1' }, sameNameConnectionId: 'other' }] });
      assert.throws(() => decide(sharing, observed), /already has another service connection named 'app1-dev'/);
    });

    it('grants pipeline permissions and shares only what is missing', () => {
      const req2 = request({ authorizeAllPipelines: 'true', shareWithProjects: 'app1' });
      const first = decide(req2, firstRun(req2, { shareTargets: [{ project: { id: 'app1-id', name: 'app1' } }] }));
      assert.equal(first.pipelinePermissions?.action, 'update');
      assert.deepEqual(first.sharing?.add, [{ id: 'app1-id', name: 'app1' }]);
      const observed = afterRun(req2);
      const again = decide(req2, {
        ...observed,
        shareTargets: [{ project: { id: 'app1-id', name: 'app1' }, sameNameConnectionId: 'connection-id' }],
        connection: {
          ...observed.connection,
          serviceEndpointProjectReferences: [{ projectReference: { id: 'project-id' } }, { projectReference: { id: 'app1-id' } }],
        },
        pipelinePermissions: { allPipelines: true, pipelineIds: [] },
      });
      assert.equal(again.pipelinePermissions?.action, 'keep');
      assert.equal(again.sharing?.action, 'keep');
    });
  });

  describe('for an app registration', () => {
    const req = request({ identityType: 'appRegistration', identityResourceGroup: '' });

    it('creates the application, its service principal, the role, the connection and the credential on a first run', () => {
      assert.deepEqual(actions(decide(req, firstRun(req))), [
        "create: application 'azure-devops-app1-dev' (single tenant)",
        "create: the service principal of application 'azure-devops-app1-dev'",
        `create: role 'Contributor' for the service principal at ${SUB}/resourceGroups/rg-app1-dev`,
        "create: service connection 'app1-dev' (workload identity federation)",
        "create: federated credential on application 'azure-devops-app1-dev' for the connection's issuer and subject",
      ]);
    });

    it('updates an application whose display name changed', () => {
      const application = { id: 'object-id', appId: 'app-id', uniqueName: 'wic-x', displayName: 'old', signInAudience: 'AzureADMyOrg' };
      const set = decide(req, firstRun(req, { identity: { kind: 'appRegistration', uniqueName: 'wic-x', application, servicePrincipal: null } }));
      assert.ok(set.identity.kind === 'appRegistration');
      assert.equal(set.identity.application.action, 'update');
      assert.equal(set.identity.servicePrincipal.action, 'create');
    });
  });

  describe('the permission preflight', () => {
    const req = request();

    it('names every write the bootstrap identity may not make, with the fix, before any write', () => {
      const observed = firstRun(req, {
        armPermissions: {
          [`${SUB}/resourceGroups/rg-identities`.toLowerCase()]: ALL,
          [`${SUB}/resourceGroups/rg-app1-dev`.toLowerCase()]: [{ actions: ['*/read'], notActions: [] }],
        },
        devopsAccess: { create: false },
      });
      assert.throws(
        () => preflight(decide(req, observed)),
        (error: unknown) => {
          assert.ok(error instanceof PermissionError);
          assert.match(error.message, /^Permission check failed before any write: .*roleAssignments\/write at .*rg-app1-dev/);
          assert.match(error.message, /lacks the Creator role on service connections in project 'platform'/);
          return true;
        },
      );
    });

    it('does not stop for what it could not read, nor for what a run keeps', () => {
      preflight(decide(req, firstRun(req, { armPermissions: {}, devopsAccess: {} })));
      preflight(decide(req, { ...afterRun(req), armPermissions: {}, devopsAccess: { create: false, administer: false } }));
    });

    it('asks for the Administrator role on a connection it must update', () => {
      const changed = request({ connectionDescription: 'new' });
      assert.throws(
        () => preflight(decide(changed, { ...afterRun(changed), devopsAccess: { administer: false } })),
        /Administrator role on the service connection 'app1-dev'/,
      );
    });
  });

  describe('what a dry run prints', () => {
    const req = request();

    it('announces each decision in the conditional', () => {
      assert.deepEqual(dryRunLines(decide(req, firstRun(req)))[0], "Would create: managed identity 'id-app1-dev' in resource group 'rg-identities'.");
      assert.deepEqual(dryRunLines(decide(req, afterRun(req)))[2], "Would keep: service connection 'app1-dev' (workload identity federation).");
    });

    it('closes with the count of changes, and says when everything is in place', () => {
      assert.equal(dryRunSummary(decide(req, firstRun(req))), 'Dry run: nothing was written. A run would create 4, update 0 and keep 0 of 4 resources.');
      assert.equal(
        dryRunSummary(decide(req, afterRun(req))),
        'Dry run: nothing was written. A run would create 0, update 0 and keep 4 of 4 resources: everything is in place.',
      );
    });
  });
});

describe("armWriteScopes: where the permission preflight reads the bootstrap identity's permissions", () => {
  const SUBSCRIPTION = '/subscriptions/11111111-2222-3333-4444-555555555555';
  const plain = (inputs: Record<string, string> = {}) => parseRequest(rawTask(inputs));

  it("is the identity's resource group and the role scope for a managed identity, each once", () => {
    assert.deepEqual(armWriteScopes(plain({ resourceGroup: 'rg-app1-dev' })), [
      `${SUBSCRIPTION}/resourceGroups/rg-identities`,
      `${SUBSCRIPTION}/resourceGroups/rg-app1-dev`,
    ]);
    assert.deepEqual(armWriteScopes(plain({ resourceGroup: 'RG-Identities' })), [`${SUBSCRIPTION}/resourceGroups/rg-identities`]);
  });

  it('is the management group, and every roleAssignments scope, and no identity resource group for an app registration', () => {
    const scopes = armWriteScopes(
      plain({
        identityType: 'appRegistration',
        identityResourceGroup: '',
        managementGroupId: 'mg-platform',
        roleAssignments: 'Reader@resourceGroups/rg-shared\nReader@resourceGroups/rg-shared',
      }),
    );
    assert.deepEqual(scopes, ['/providers/Microsoft.Management/managementGroups/mg-platform', `${SUBSCRIPTION}/resourceGroups/rg-shared`]);
  });
});
