/**
 * What a run reads, for decide's tests: `observed(request)` is a first run (nothing of the connection's
 * resources exists, every permission is granted), `observed(request, overrides)` changes what a test is
 * about, and `rerun(request)` is what a re-run of a managed-identity request reads after a clean first run.
 */
import type { Observed } from '../../src/read';
import { armWriteScopes } from '../../src/read';
import type { ProvisioningRequest } from '../../src/request';
import { toWire as connectionToWire } from '../../src/resources/serviceConnectionWire';

export const SUBSCRIPTION = '/subscriptions/11111111-2222-3333-4444-555555555555';
/** Every action allowed: the permissions of an Owner. */
export const ALL = [{ actions: ['*'], notActions: [] }];

export function observed(request: ProvisioningRequest, overrides: Partial<Observed> = {}): Observed {
  return {
    project: { id: 'project-id', name: 'platform' },
    subscription: { id: SUBSCRIPTION, name: 'Platform Dev' },
    scopeResourceGroup: { name: 'rg-app1-dev', location: 'westeurope' },
    grants: [
      {
        scope: `${SUBSCRIPTION}/resourceGroups/rg-app1-dev`,
        role: { id: `${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/b24988ac`, name: 'Contributor' },
      },
    ],
    connection: null,
    shareTargets: [],
    pipelines: [],
    identity:
      request.identityType === 'managedIdentity'
        ? { kind: 'managedIdentity', resourceGroup: { name: 'rg-identities', location: 'westeurope' }, existing: null }
        : { kind: 'appRegistration', uniqueName: 'wic-x', application: null, servicePrincipal: null },
    assignments: [null],
    credential: [],
    pipelinePermissions: undefined,
    armPermissions: Object.fromEntries(armWriteScopes(request).map((scope) => [scope.toLowerCase(), ALL])),
    devopsAccess: { create: true },
    approvers: [],
    checks: undefined,
    ...overrides,
  };
}

export const ISSUER = 'https://login.microsoftonline.com/tenant-guid/v2.0';
export const SUBJECT = '/eid1/c/pub/t/x/a/y/sc/org/connection-id';

/** What a re-run of a managed-identity request reads after a clean first run. */
export function rerun(request: ProvisioningRequest, overrides: Partial<Observed> = {}): Observed {
  const identity = {
    id: `${SUBSCRIPTION}/resourceGroups/rg-identities/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-app1-dev`,
    name: 'id-app1-dev',
    resourceGroup: 'rg-identities',
    location: 'westeurope',
    clientId: 'client-id',
    principalId: 'principal-id',
    tenantId: 'tenant-guid',
    tags: { 'azure-devops-connection': 'contoso/project-id/app1-dev' },
  };
  const first = observed(request);
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
  return {
    ...first,
    identity: { kind: 'managedIdentity', resourceGroup: { name: 'rg-identities', location: 'westeurope' }, existing: identity },
    connection: {
      ...wire,
      id: 'connection-id',
      authorization: {
        ...wire.authorization,
        parameters: { ...wire.authorization?.parameters, workloadIdentityFederationIssuer: ISSUER, workloadIdentityFederationSubject: SUBJECT },
      },
    },
    assignments: [{ name: 'a', scope: first.grants[0].scope, roleDefinitionId: first.grants[0].role.id, principalId: 'principal-id' }],
    credential: [{ name: 'azure-devops-connection-id', issuer: ISSUER, subject: SUBJECT, audiences: ['api://AzureADTokenExchange'] }],
    devopsAccess: { create: true, administer: true },
    ...overrides,
  };
}
