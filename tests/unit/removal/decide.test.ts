import { strict as assert } from 'node:assert';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { ConflictError, InputError } from '../../../src/errors';
import { decideRemoval, parseRemovalRequest, type RemovalObserved, removalsOf, toRemove } from '../../../src/removal/decide';
import { connectionTagValue } from '../../../src/resourceNames';
import { rawTask, SUBSCRIPTION } from '../fixtures';

const PROJECT = { id: '72708d2a-ec4c-449c-a894-8cb2dd5b3c4a', name: 'platform' };
const CLIENT = 'c1c1c1c1-0000-0000-0000-000000000001';
const ISSUER = 'https://login.microsoftonline.com/tenant-guid/v2.0';
const SUBJECT = '/eid1/c/pub/t/x/a/y/sc/org/conn-1';
const RG = `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-app1-dev`;
const ALL = [{ actions: ['*'], notActions: [] }];

function connection(overrides: Partial<ServiceEndpoint> = {}, parameters: Record<string, string> = {}): ServiceEndpoint {
  return {
    id: 'conn-1',
    name: 'app1-dev',
    type: 'AzureRM',
    authorization: {
      scheme: 'WorkloadIdentityFederation',
      parameters: {
        tenantid: 'tenant-guid',
        serviceprincipalid: CLIENT,
        workloadIdentityFederationIssuer: ISSUER,
        workloadIdentityFederationSubject: SUBJECT,
        ...parameters,
      },
    },
    data: { creationMode: 'Manual', scopeLevel: 'Subscription' },
    serviceEndpointProjectReferences: [{ projectReference: PROJECT, name: 'app1-dev' }],
    ...overrides,
  };
}

function observed(overrides: Partial<RemovalObserved> = {}, tag = connectionTagValue('contoso', PROJECT.id, 'app1-dev')): RemovalObserved {
  return {
    project: PROJECT,
    connection: connection(),
    connectionProjects: [PROJECT],
    identity: {
      kind: 'managedIdentity',
      existing: {
        id: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app1-dev`,
        name: 'id-app1-dev',
        resourceGroup: 'rg-identities',
        location: 'westeurope',
        clientId: CLIENT,
        principalId: 'p1',
        tenantId: 'tenant-guid',
        tags: { 'azure-devops-connection': tag },
      },
    },
    credentials: [
      { name: 'azure-devops-conn-1', issuer: ISSUER, subject: SUBJECT, audiences: ['api://AzureADTokenExchange'] },
      { name: 'other', issuer: 'x', subject: 'y', audiences: [] },
    ],
    assignments: [
      {
        id: `${RG}/providers/Microsoft.Authorization/roleAssignments/a1`,
        name: 'a1',
        scope: RG,
        roleDefinitionId: '/providers/x/roleDefinitions/b24988ac',
        principalId: 'p1',
        roleName: 'Contributor',
      },
      {
        id: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleAssignments/a2`,
        name: 'a2',
        scope: `/subscriptions/${SUBSCRIPTION}`,
        roleDefinitionId: '/providers/x/roleDefinitions/acdd72a7',
        principalId: 'p1',
        roleName: 'Reader',
      },
    ],
    grants: [{ scope: RG, role: { id: '/providers/x/roleDefinitions/b24988ac', name: 'Contributor' } }],
    others: [],
    armPermissions: { [RG.toLowerCase()]: ALL, [`/subscriptions/${SUBSCRIPTION}`]: ALL, [`/subscriptions/${SUBSCRIPTION}/resourcegroups/rg-identities`]: ALL },
    devopsAccess: { create: true, administer: true },
    ...overrides,
  };
}

const request = (inputs: Record<string, string> = {}) => parseRemovalRequest(rawTask({ action: 'remove', resourceGroup: 'rg-app1-dev', ...inputs }));

describe('removal', () => {
  it('reads removeIdentity as true unless it says false, and refuses another value naming the input', () => {
    assert.equal(request().removeIdentity, true);
    assert.equal(request({ removeIdentity: 'false' }).removeIdentity, false);
    assert.throws(
      () => request({ removeIdentity: 'maybe' }),
      (e: unknown) => e instanceof InputError && /removeIdentity/.test((e as Error).message),
    );
  });

  it('removes every assignment of the principal, the credential trusting the connection, the connection, then the identity', () => {
    const set = decideRemoval(request(), observed());
    assert.deepEqual(
      removalsOf(set).map((entry) => `${entry.action} ${entry.target.kind}`),
      ['remove assignment', 'remove assignment', 'remove credential', 'remove connection', 'remove managedIdentity'],
    );
    assert.equal(set.credentials[0].target.name, 'azure-devops-conn-1', 'the other credential stays');
    assert.equal(toRemove(set), 5);
  });

  it('without removeIdentity keeps the identity and removes only the grants the request names', () => {
    const set = decideRemoval(request({ removeIdentity: 'false' }), observed());
    assert.deepEqual(
      set.assignments.map((entry) => entry.target.role),
      ['Contributor'],
    );
    assert.equal(set.identity?.action, 'keep');
    assert.equal(set.identity?.note, 'removeIdentity is false');
  });

  it('keeps an identity another connection signs in with, naming that connection, and the grants it needs', () => {
    const set = decideRemoval(request(), observed({ others: [{ name: 'app1-copy', projectName: 'platform' }] }));
    assert.equal(set.identity?.action, 'keep');
    assert.match(set.identity?.note ?? '', /'app1-copy' in project 'platform' signs in with its client id/);
    assert.equal(set.assignments.length, 1);
  });

  it('refuses a connection on a secret, one Azure DevOps made, one whose identity is untagged or tagged for another, and another client id', () => {
    const refuses = (o: RemovalObserved, message: RegExp): void =>
      assert.throws(
        () => decideRemoval(request(), o),
        (e: unknown) => e instanceof ConflictError && message.test(e.describe()),
      );
    refuses(
      observed({ connection: connection({ authorization: { scheme: 'ServicePrincipal', parameters: { serviceprincipalid: CLIENT } } }) }),
      /signs in with ServicePrincipal with a secret .*made by hand or in the web UI/,
    );
    refuses(observed({ connection: connection({ data: { creationMode: 'Automatic' } }) }), /creationMode Automatic.*one made in the web UI/);
    refuses(
      observed({}, 'contoso/other-project/app9'),
      /is tagged for the connection 'contoso\/other-project\/app9'.*another connection's identity.*Nothing was removed/,
    );
    refuses(
      observed({ connection: connection({}, { serviceprincipalid: 'someone-else' }) }),
      /signs in as client id 'someone-else', not as managed identity 'id-app1-dev'/,
    );
    refuses(observed({ identity: { kind: 'managedIdentity', existing: null } }), /which this task would have made for it, does not exist/);
  });

  it('has nothing to remove when the connection and the identity are gone; finishes with the identity when only the connection is gone', () => {
    assert.equal(toRemove(decideRemoval(request(), observed({ connection: null, identity: { kind: 'managedIdentity', existing: null }, assignments: [] }))), 0);
    const rest = decideRemoval(request(), observed({ connection: null, connectionProjects: [] }));
    assert.deepEqual(
      removalsOf(rest).map((entry) => entry.target.kind),
      ['assignment', 'assignment', 'managedIdentity'],
    );
  });

  it('says an application can be restored for 30 days', () => {
    const set = decideRemoval(
      request({ identityType: 'appRegistration' }),
      observed({
        identity: {
          kind: 'appRegistration',
          application: { id: 'app-object', appId: CLIENT, uniqueName: 'wic-x', displayName: 'azure-devops-app1-dev', signInAudience: 'AzureADMyOrg' },
          servicePrincipal: { id: 'p1', appId: CLIENT, displayName: 'azure-devops-app1-dev' },
        },
      }),
    );
    assert.equal(set.identity?.target.kind, 'application');
    assert.match(set.identity?.note ?? '', /deleted items for 30 days, where it can be restored/);
  });
});
