/**
 * A platform administrator's hands, for arranging the world before a run: plain REST calls to the
 * emulated ARM (as the bootstrap identity, with its client secret) and Azure DevOps (with the job token),
 * made the way anyone would make them. These writes are the test's, not the task's.
 */
import { randomUUID } from 'node:crypto';
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Emulator } from './emulator';
import { httpsRequest, type HttpAnswer } from './emulator/client';

async function armToken(emulator: Emulator): Promise<string> {
  const { world, urls } = emulator;
  const answer = await httpsRequest({
    method: 'POST',
    url: `${urls.login}${world.tenantId}/oauth2/v2.0/token`,
    ca: emulator.caPem,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: world.bootstrap.clientId,
      client_secret: world.bootstrap.clientSecret,
      scope: 'https://management.core.windows.net//.default',
    }).toString(),
  });
  return (answer.body as { access_token: string }).access_token;
}

async function arm(emulator: Emulator, method: string, path: string, apiVersion: string, body?: unknown): Promise<HttpAnswer> {
  const answer = await httpsRequest({
    method,
    url: `${emulator.urls.arm}${path.replace(/^\//, '')}?api-version=${apiVersion}`,
    ca: emulator.caPem,
    headers: { Authorization: `Bearer ${await armToken(emulator)}`, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (answer.status >= 300) throw new Error(`admin: ${method} ${path} answered ${answer.status}: ${answer.text}`);
  return answer;
}

export function identityPath(emulator: Emulator, resourceGroup: string, name: string): string {
  return `/subscriptions/${emulator.world.subscriptionId}/resourceGroups/${resourceGroup}/providers/Microsoft.ManagedIdentity/userAssignedIdentities/${name}`;
}

/** Creates a user-assigned identity with the given tags; returns its principal and client ids. */
export async function createIdentity(
  emulator: Emulator,
  resourceGroup: string,
  name: string,
  tags: Record<string, string> = {},
): Promise<{ principalId: string; clientId: string }> {
  const answer = await arm(emulator, 'PUT', identityPath(emulator, resourceGroup, name), '2024-11-30', { location: 'westeurope', tags });
  return (answer.body as { properties: { principalId: string; clientId: string } }).properties;
}

export async function addFederatedCredential(emulator: Emulator, identity: string, name: string, issuer: string, subject: string): Promise<void> {
  await arm(emulator, 'PUT', `${identity}/federatedIdentityCredentials/${name}`, '2024-11-30', {
    properties: { issuer, subject, audiences: ['api://AzureADTokenExchange'] },
  });
}

/** Assigns a built-in role by its id under a random name. */
export async function assignRole(emulator: Emulator, scope: string, principalId: string, roleDefinitionGuid: string): Promise<void> {
  await arm(emulator, 'PUT', `${scope}/providers/Microsoft.Authorization/roleAssignments/${randomUUID()}`, '2022-04-01', {
    properties: {
      roleDefinitionId: `/subscriptions/${emulator.world.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${roleDefinitionGuid}`,
      principalId,
      principalType: 'ServicePrincipal',
    },
  });
}

/** Removes a role assignment by its full id. */
export async function unassignRole(emulator: Emulator, assignmentId: string): Promise<void> {
  await arm(emulator, 'DELETE', assignmentId, '2022-04-01');
}

/**
 * A workload identity connection's body (docs/wire.md) for an identity's client id, in the world's project:
 * at the subscription, or at `scope` (a resource group's id) when given.
 */
export function wifConnectionBody(
  emulator: Pick<Emulator, 'world' | 'urls'>,
  name: string,
  clientId: string,
  options: { description?: string; scope?: string } = {},
): ServiceEndpoint {
  const { world, urls } = emulator;
  return {
    name,
    type: 'AzureRM',
    url: urls.arm,
    owner: 'library',
    ...(options.description === undefined ? {} : { description: options.description }),
    authorization: {
      scheme: 'WorkloadIdentityFederation',
      parameters: { tenantid: world.tenantId, serviceprincipalid: clientId, ...(options.scope ? { scope: options.scope } : {}) },
    },
    data: {
      environment: 'AzureCloud',
      scopeLevel: 'Subscription',
      subscriptionId: world.subscriptionId,
      subscriptionName: world.subscriptionName,
      creationMode: 'Manual',
    },
    isShared: false,
    serviceEndpointProjectReferences: [{ projectReference: { id: world.project.id, name: world.project.name }, name, description: options.description ?? '' }],
  };
}

/** Creates a workload identity connection for an identity's client id, in the world's project. */
export async function createConnection(emulator: Emulator, name: string, clientId: string, description = ''): Promise<{ id: string }> {
  const { world } = emulator;
  const answer = await httpsRequest({
    method: 'POST',
    url: `${world.organization.url}_apis/serviceendpoint/endpoints?api-version=7.1`,
    ca: emulator.caPem,
    headers: { Authorization: `Bearer ${world.jobAccessToken}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(wifConnectionBody(emulator, name, clientId, { description })),
  });
  if (answer.status !== 200) throw new Error(`admin: creating connection '${name}' answered ${answer.status}: ${answer.text}`);
  return answer.body as { id: string };
}

export const BUILT_IN = {
  contributor: 'b24988ac-6180-42a0-ab88-20f7382dd24c',
  reader: 'acdd72a7-3385-48ef-bd42-f606fba81ae7',
} as const;
