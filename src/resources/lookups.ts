/**
 * Reads that validate the request against the world before anything is written: the project, the
 * subscription, the management group, the resource groups, the roles and the identity's region. Each
 * missing thing fails naming the input (and the line, for roleAssignments).
 */
import type { TeamProject } from 'azure-devops-node-api/interfaces/CoreInterfaces';
import type { Clients } from '../clients';
import type { ArmResponse } from '../clients/arm';
import { hintsFor, InputError, ServiceError, TaskError } from '../errors';
import { PROJECT_CREATION, waitFor } from '../retry';
import { arm, isNotFound } from '../clients/arm';
import { devops } from '../clients/devops';

export interface Project {
  id: string;
  name: string;
}

/** Projects - Get; 7.2-preview.4 is what azure-devops-node-api's CoreApi asked for (location 603fe2ac-9723-48b9-88ad-09305aa6c6e1). */
const PROJECTS_API = '7.2-preview.4';

/**
 * Reads a project by name or id. A project created a moment earlier (by this pipeline, say) reads as
 * `new` or `createPending` until Azure DevOps has provisioned it, and its project-level routes do not
 * answer yet: wait, bounded, until it is `wellFormed` (ProjectState, tests/fixtures/contracts/ado-core-7.2/core.json).
 * `input` names the task input the project came from, for the error.
 */
export async function lookupProject(clients: Clients, project: string, input = 'project'): Promise<Project> {
  return waitFor(
    clients.clock,
    `the project '${project}' to become wellFormed`,
    async () => {
      // GET {org}/_apis/projects/{idOrName}: a project that does not exist (or that the caller may not see)
      // answers 404 ProjectDoesNotExistWithNameException (tests/fixtures/recordings/ado-error-project-not-found-by-name.json).
      const found = await devops(clients, `read the project '${project}'`, () =>
        clients.devops.request<TeamProject>({ path: `_apis/projects/${encodeURIComponent(project)}`, apiVersion: PROJECTS_API, nullWhenNotFound: true }),
      );
      if (!found?.id || !found.name) {
        throw new InputError(input, `names '${project}', which does not exist in the organization or is not visible to the pipeline's identity.`);
      }
      const state = String(found.state ?? 'wellFormed');
      if (state.toLowerCase() === 'wellformed') return { id: found.id, name: found.name };
      if (/^(new|createpending)$/i.test(state)) {
        throw new ServiceError(`it is ${state}`, {
          operation: `use the project '${found.name}'`,
          code: PROJECT_NOT_READY,
          hint: 'Wait until the project has been created, then re-run',
        });
      }
      throw new InputError(input, `names '${project}', which is ${state} and cannot hold a service connection.`);
    },
    (error) => ((error as TaskError).code === PROJECT_NOT_READY ? 'policy' : undefined),
    PROJECT_CREATION,
  );
}

const PROJECT_NOT_READY = 'ProjectNotWellFormed';

export interface Subscription {
  id: string;
  name: string;
}

/** GET /subscriptions/{id}, api-version 2022-12-01 (Microsoft.Resources subscriptions). */
export async function lookupSubscription(clients: Clients, subscriptionId: string): Promise<Subscription> {
  const operation = `read the subscription '${subscriptionId}'`;
  const body = await armRead(clients, `/subscriptions/${subscriptionId}`, '2022-12-01', operation);
  if (!body)
    throw new InputError(
      'subscriptionId',
      `names a subscription the bootstrap connection's identity cannot see; check the id, and the identity's access to it.`,
    );
  return { id: subscriptionId, name: textOr(body.displayName, subscriptionId) };
}

export interface ResourceGroup {
  name: string;
  location: string;
}

/** GET /subscriptions/{id}/resourcegroups/{name}, api-version 2021-04-01. */
export async function lookupResourceGroup(clients: Clients, input: string, subscriptionId: string, name: string): Promise<ResourceGroup> {
  const operation = `read the resource group '${name}'`;
  const path = `/subscriptions/${subscriptionId}/resourcegroups/${encodeURIComponent(name)}`;
  const body = await armRead(clients, path, '2021-04-01', operation);
  if (!body) throw resourceGroupMissing(input, name, subscriptionId);
  return { name: textOr(body.name, name), location: textOr(body.location, '') };
}

function resourceGroupMissing(input: string, name: string, subscriptionId: string): InputError {
  return new InputError(input, `names the resource group '${name}', which does not exist in subscription ${subscriptionId}; create it first.`);
}

export interface ManagementGroup {
  id: string;
  displayName: string;
}

/**
 * GET /providers/Microsoft.Management/managementGroups/{id}, api-version 2021-04-01. ARM answers a group
 * that does not exist with 403 AuthorizationFailed, like one the caller may not read
 * (Azure/azure-rest-api-specs#9549), so both read as one input problem.
 */
export async function lookupManagementGroup(clients: Clients, id: string): Promise<ManagementGroup> {
  const operation = `read the management group '${id}'`;
  const body = await armRead(clients, `/providers/Microsoft.Management/managementGroups/${encodeURIComponent(id)}`, '2021-04-01', operation, [403, 404]);
  if (!body) {
    throw new InputError(
      'managementGroupId',
      `names '${id}', which does not exist or which the bootstrap connection's identity cannot read (Azure answers both alike): use the group's id, not its display name, and grant the identity Reader (or more) on the management group.`,
    );
  }
  const properties = (body.properties ?? {}) as { displayName?: string };
  return { id: textOr(body.name, id), displayName: String(properties.displayName ?? id) };
}

/** Which input named a role, for messages: roleDefinitionName, or a line of roleAssignments. */
export interface RoleSource {
  input: string;
  line?: number;
}

export interface RoleDefinition {
  /** Full ARM id: /subscriptions/{sub}/providers/Microsoft.Authorization/roleDefinitions/{guid}. */
  id: string;
  name: string;
}

/**
 * Whether a role can be assigned at `scope`, from its definition's assignableScopes: "If AssignableScopes is
 * set to a subscription, … the custom role is available for assignment at subscription scope …, resource
 * group scope for any resource group in the subscription, or resource scope for any resource in the
 * subscription"; built-in roles have the root scope '/' (https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes).
 * ARM refuses any other assignment, after the identity has been written. A management group may hold the
 * scope through a hierarchy this task does not read: that case is left to ARM, never refused here.
 */
export function assignableAt(assignableScopes: readonly string[] | undefined, scope: string): boolean {
  if (!assignableScopes || assignableScopes.length === 0) return true;
  const target = scope.toLowerCase().replace(/\/+$/, '');
  return assignableScopes.some((assignable) => {
    const at = assignable.toLowerCase().replace(/\/+$/, '');
    if (at === '' || target === at || target.startsWith(`${at}/`)) return true;
    return /^\/providers\/microsoft\.management\/managementgroups\//.test(at);
  });
}

/** Resolves a role by its name (built-in or custom), or by its GUID, as it can be assigned at the scope. */
export async function lookupRoleDefinition(
  clients: Clients,
  scope: string,
  role: string,
  source: RoleSource = { input: 'roleDefinitionName' },
): Promise<RoleDefinition> {
  const where = source.line ? `line ${source.line} ` : '';
  const operation = `find the role '${role}' at ${scope}`;
  // Checked from the definition read, before any write: ARM would refuse the assignment only after the identity exists.
  const assignable = (definition: RoleDefinition, scopes: string[] | undefined): RoleDefinition => {
    if (assignableAt(scopes, scope)) return definition;
    throw new InputError(
      source.input,
      `${where}names the role '${definition.name}', which can be assigned only at ${scopes!.join(', ')} (its assignableScopes), not at ${scope}; add that scope to the role's assignableScopes, or use another role or scope.`,
    );
  };
  // @azure/arm-authorization's path template is `/{scope}/providers/…`: the scope goes without its leading slash.
  const armScope = scope.replace(/^\//, '');
  const found = await arm(clients, operation, async (): Promise<RoleDefinition | undefined> => {
    const { authorization } = await clients.azure();
    if (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(role)) {
      const definition = await authorization.roleDefinitions.get(armScope, role);
      return definition.id ? assignable({ id: definition.id, name: definition.roleName ?? role }, definition.assignableScopes) : undefined;
    }
    // OData string literals escape a quote by doubling it.
    const filter = `roleName eq '${role.replace(/'/g, "''")}'`;
    for await (const definition of authorization.roleDefinitions.list(armScope, { filter })) {
      if (definition.id && definition.roleName?.toLowerCase() === role.toLowerCase()) {
        return assignable({ id: definition.id, name: definition.roleName }, definition.assignableScopes);
      }
    }
    return undefined;
  }).catch((error: unknown) => {
    // clients/arm.ts names subscriptionId for a subscription the identity cannot see; a roleAssignments
    // line names its own.
    if (error instanceof InputError && error.input === 'subscriptionId' && source.input !== 'roleDefinitionName') {
      throw new InputError(
        source.input,
        `${where}names a scope in a subscription the bootstrap connection's identity cannot see (${scope}); check the scope, and the identity's access to it.`,
      );
    }
    if ((error as TaskError).code === 'ResourceGroupNotFound') {
      // The main role is looked up at its scope, beside the read of that scope's resource group: whichever
      // fails first must name the same input. A roleAssignments line names its own scope.
      const main = /^\/subscriptions\/([^/]+)\/resourceGroups\/([^/]+)$/i.exec(scope);
      if (main && source.input === 'roleDefinitionName') throw resourceGroupMissing('resourceGroup', main[2], main[1]);
      const group = /\/resourceGroups\/([^/]+)/i.exec(scope)?.[1] ?? scope;
      throw new InputError(source.input, `${where}names the resource group '${group}', which does not exist; create it first, or correct the scope.`);
    }
    if (isNotFound(error)) return undefined;
    // A roleAssignments line's scope that cannot be reached (a management group that does not exist or
    // that the identity may not read, which ARM answers alike with 403) names the line it came from.
    if (error instanceof TaskError && source.input !== 'roleDefinitionName') {
      const unreadable =
        error.code === 'AuthorizationFailed'
          ? `Check the scope of ${where}of ${source.input}: it does not exist, or the bootstrap connection's identity may not read roles there (ARM answers both alike); correct it, or grant the identity Role Based Access Control Administrator (or Reader) on that scope`
          : undefined;
      throw error.about({ name: source.input, line: source.line }, unreadable);
    }
    throw error;
  });
  if (found) return found;
  throw new InputError(
    source.input,
    `${where}names '${role}', which is not a role that can be assigned at ${scope}; use a role name such as Contributor or Reader.`,
  );
}

/**
 * A plain ARM read: the body of a successful answer, null for a status in `missing`. What the client throws
 * (a refused token, an unreachable host) and any other answer become an error naming the operation.
 */
function armRead(
  clients: Clients,
  path: string,
  apiVersion: string,
  operation: string,
  missing: readonly number[] = [404],
): Promise<Record<string, unknown> | null> {
  return arm(clients, operation, async () => armBody(await (await clients.azure()).armGet(path, apiVersion), operation, missing));
}

/**
 * Checks that user-assigned identities can be created in a region, from the resource types the
 * Microsoft.ManagedIdentity provider lists for the subscription (GET /subscriptions/{id}/providers/
 * Microsoft.ManagedIdentity, 2021-04-01; locations as display names, 'West Europe' for westeurope). When
 * the provider cannot be read the identity write itself will say.
 */
export async function lookupIdentityLocation(clients: Clients, subscriptionId: string, location: string): Promise<RegionCheck> {
  const operation = 'read the regions of Microsoft.ManagedIdentity';
  let response: ArmResponse;
  try {
    response = await arm(clients, operation, async () =>
      (await clients.azure()).armGet(`/subscriptions/${subscriptionId}/providers/Microsoft.ManagedIdentity`, '2021-04-01'),
    );
  } catch (error) {
    return { location, checked: false, why: (error as TaskError).status ? `HTTP ${(error as TaskError).status}` : 'no answer' };
  }
  const types = response.status === 200 && Array.isArray(response.body?.resourceTypes) ? (response.body?.resourceTypes as unknown[]) : undefined;
  const identities = types?.find((t) => (t as { resourceType?: string }).resourceType?.toLowerCase() === 'userassignedidentities') as
    { locations?: string[] } | undefined;
  const regions = (identities?.locations ?? []).map((display) => display.replace(/\s+/g, '').toLowerCase());
  if (regions.length === 0) return { location, checked: false, why: response.status === 200 ? 'no regions listed' : `HTTP ${response.status}` };
  if (regions.includes(location)) return { location, checked: true };
  throw new InputError(
    'identityLocation',
    `'${location}' is not a region where subscription ${subscriptionId} offers user-assigned managed identities; use one of ${regions.slice(0, 5).join(', ')}, … or leave it empty for the resource group's region.`,
  );
}

/** Whether the region lookup could be made (the identity's write itself tells when it could not), and why not. */
export interface RegionCheck {
  location: string;
  checked: boolean;
  why?: string;
}

/** The body of a successful answer, null for a status in `missing`; any other answer becomes a ServiceError. */
function armBody(response: ArmResponse, operation: string, missing: readonly number[]): Record<string, unknown> | null {
  const error = (response.body?.error ?? {}) as { code?: string; message?: string };
  if (missing.includes(response.status) && error.code !== 'SubscriptionNotFound') return null;
  if (response.status >= 200 && response.status < 300 && response.body) return response.body;
  throw new ServiceError(error.message ?? 'unexpected answer from Azure Resource Manager', {
    operation,
    status: response.status,
    code: error.code,
    correlationId: response.correlationId,
    hint: hintsFor(error.code, response.status, 'arm'),
  });
}

/** A string field of an answer, or the fallback when it is missing or not a string. */
function textOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
