/**
 * Reads that validate the request against the world before anything is written: the project, the
 * subscription, the resource groups, the role and the identity's region. Each missing thing fails naming
 * the input.
 */
import type { Clients, ArmResponse } from '../clients';
import { InputError, ServiceError, TaskError } from '../errors';
import { arm, isNotFound } from './arm';
import { devops, unknownOrganization } from './devops';

export interface Project {
  id: string;
  name: string;
}

export async function lookupProject(clients: Clients, project: string): Promise<Project> {
  let found: Awaited<ReturnType<Clients['core']['getProject']>>;
  try {
    found = await devops(`read the project '${project}'`, () => clients.core.getProject(project));
  } catch (error) {
    throw unknownOrganization(error, clients.core.baseUrl) ?? error;
  }
  if (!found?.id || !found.name) {
    throw new InputError('project', `names '${project}', which does not exist in the organization or is not visible to the pipeline's identity.`);
  }
  return { id: found.id, name: found.name };
}

export interface Subscription {
  id: string;
  name: string;
}

/** GET /subscriptions/{id}, api-version 2022-12-01 (Microsoft.Resources subscriptions). */
export async function lookupSubscription(clients: Clients, subscriptionId: string): Promise<Subscription> {
  const operation = `read the subscription '${subscriptionId}'`;
  const body = await arm(operation, async () => armBody(await clients.armGet(`/subscriptions/${subscriptionId}`, '2022-12-01'), operation));
  if (!body) throw new InputError('subscriptionId', `names a subscription the bootstrap connection's identity cannot see; check the id, and the identity's access to it.`);
  return { id: subscriptionId, name: String(body.displayName ?? subscriptionId) };
}

export interface ResourceGroup {
  name: string;
  location: string;
}

/** GET /subscriptions/{id}/resourcegroups/{name}, api-version 2021-04-01. */
export async function lookupResourceGroup(
  clients: Clients,
  input: string,
  subscriptionId: string,
  name: string,
): Promise<ResourceGroup> {
  const operation = `read the resource group '${name}'`;
  const path = `/subscriptions/${subscriptionId}/resourcegroups/${encodeURIComponent(name)}`;
  const body = await arm(operation, async () => armBody(await clients.armGet(path, '2021-04-01'), operation));
  if (!body) throw resourceGroupMissing(input, name, subscriptionId);
  return { name: String(body.name ?? name), location: String(body.location ?? '') };
}

function resourceGroupMissing(input: string, name: string, subscriptionId: string): InputError {
  return new InputError(input, `names the resource group '${name}', which does not exist in subscription ${subscriptionId}; create it first.`);
}

export interface RoleDefinition {
  /** Full ARM id: /subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}. */
  id: string;
  name: string;
}

/** Resolves a role by its name (built-in or custom), or by its GUID. */
export async function lookupRoleDefinition(clients: Clients, scope: string, role: string): Promise<RoleDefinition> {
  const operation = `find the role '${role}' at ${scope}`;
  // @azure/arm-authorization's path template is `/{scope}/providers/…`: the scope goes without its leading slash.
  const armScope = scope.replace(/^\//, '');
  const found = await arm(operation, async (): Promise<RoleDefinition | undefined> => {
    if (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(role)) {
      const definition = await clients.authorization.roleDefinitions.get(armScope, role);
      return definition.id ? { id: definition.id, name: definition.roleName ?? role } : undefined;
    }
    // OData string literals escape a quote by doubling it.
    const filter = `roleName eq '${role.replace(/'/g, "''")}'`;
    for await (const definition of clients.authorization.roleDefinitions.list(armScope, { filter })) {
      if (definition.id && definition.roleName?.toLowerCase() === role.toLowerCase()) {
        return { id: definition.id, name: definition.roleName };
      }
    }
    return undefined;
  }).catch((error: unknown) => {
    // The role is looked up at its scope, beside the read of that scope's resource group: whichever fails
    // first must name the same input.
    const group = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(scope);
    if ((error as TaskError).code === 'ResourceGroupNotFound' && group) throw resourceGroupMissing('resourceGroup', group[2], group[1]);
    return isNotFound(error) ? undefined : Promise.reject(error);
  });
  if (found) return found;
  throw new InputError('roleDefinitionName', `names '${role}', which is not a role that can be assigned at ${scope}; use a role name such as Contributor or Reader.`);
}

/**
 * Checks that user-assigned identities can be created in a region, from the resource types the
 * Microsoft.ManagedIdentity provider lists for the subscription (GET /subscriptions/{id}/providers/
 * Microsoft.ManagedIdentity, 2021-04-01; locations as display names, 'West Europe' for westeurope). When
 * the provider cannot be read the identity write itself will say.
 */
export async function lookupIdentityLocation(clients: Clients, subscriptionId: string, location: string): Promise<string> {
  const operation = 'read the regions of Microsoft.ManagedIdentity';
  let response: ArmResponse;
  try {
    response = await arm(operation, () => clients.armGet(`/subscriptions/${subscriptionId}/providers/Microsoft.ManagedIdentity`, '2021-04-01'));
  } catch {
    return location;
  }
  const types = response.status === 200 && Array.isArray(response.body?.resourceTypes) ? (response.body?.resourceTypes as unknown[]) : undefined;
  const identities = types?.find((t) => (t as { resourceType?: string }).resourceType?.toLowerCase() === 'userassignedidentities') as
    | { locations?: string[] }
    | undefined;
  const regions = (identities?.locations ?? []).map((display) => display.replace(/\s+/g, '').toLowerCase());
  if (regions.length === 0 || regions.includes(location)) return location;
  throw new InputError(
    'identityLocation',
    `'${location}' is not a region where subscription ${subscriptionId} offers user-assigned managed identities; use one of ${regions.slice(0, 5).join(', ')}, … or leave it empty for the resource group's region.`,
  );
}

/** The body of a successful answer, null for 404; any other answer becomes a ServiceError. */
function armBody(response: ArmResponse, operation: string): Record<string, unknown> | null {
  const error = (response.body?.error ?? {}) as { code?: string; message?: string };
  if (response.status === 404 && error.code !== 'SubscriptionNotFound') return null;
  if (response.status >= 200 && response.status < 300 && response.body) return response.body;
  throw new ServiceError(error.message ?? 'unexpected answer from Azure Resource Manager', {
    operation,
    status: response.status,
    code: error.code,
    correlationId: response.correlationId,
  });
}
