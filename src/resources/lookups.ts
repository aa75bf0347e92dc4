/**
 * Reads that validate the request against the world before anything is written: the project, the
 * subscription, the management group, the resource groups and the roles. Each missing thing fails naming
 * the input (and the line, for roleAssignments).
 */
import type { Clients, ArmResponse } from '../clients';
import { InputError, ServiceError, TaskError } from '../errors';
import { toTaskError } from '../failures';
import { PROJECT_CREATION, waitFor } from '../retry';
import { devops } from './devops';

export interface Project {
  id: string;
  name: string;
}

/**
 * Reads a project by name or id. A project created a moment earlier (by this pipeline, say) reads as
 * `new` or `createPending` until Azure DevOps has provisioned it, and its project-level routes do not
 * answer yet: wait, bounded, until it is `wellFormed` (ProjectState, contracts/ado-core-7.2/core.json).
 * `input` names the task input the project came from, for the error.
 */
export async function lookupProject(clients: Clients, project: string, input = 'project'): Promise<Project> {
  return waitFor(
    `the project '${project}' to become wellFormed`,
    async () => {
      const found = await devops(`read the project '${project}'`, async () => (await clients.devopsApi()).core.getProject(project));
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
  const response = await armRead(clients, `/subscriptions/${subscriptionId}`, '2022-12-01', `read the subscription '${subscriptionId}'`);
  if (response.status === 404) {
    throw new InputError('subscriptionId', `'${subscriptionId}' is not a subscription the bootstrap connection's identity can read.`);
  }
  const body = armBody(response, `read the subscription '${subscriptionId}'`);
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
  const response = await armRead(clients, `/subscriptions/${subscriptionId}/resourcegroups/${encodeURIComponent(name)}`, '2021-04-01', `read the resource group '${name}'`);
  if (response.status === 404) {
    throw new InputError(input, `names the resource group '${name}', which does not exist in subscription ${subscriptionId}; create it first.`);
  }
  const body = armBody(response, `read the resource group '${name}'`);
  return { name: String(body.name ?? name), location: String(body.location ?? '') };
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
  const response = await armRead(clients, `/providers/Microsoft.Management/managementGroups/${encodeURIComponent(id)}`, '2021-04-01', `read the management group '${id}'`);
  if (response.status === 403 || response.status === 404) {
    throw new InputError(
      'managementGroupId',
      `names '${id}', which does not exist or which the bootstrap connection's identity cannot read (Azure answers both alike): use the group's id, not its display name, and grant the identity Reader (or more) on the management group.`,
    );
  }
  const body = armBody(response, `read the management group '${id}'`);
  const properties = (body.properties ?? {}) as { displayName?: string };
  return { id: String(body.name ?? id), displayName: String(properties.displayName ?? id) };
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

/** Resolves a role by its name (built-in or custom), or by its GUID, as it can be assigned at the scope. */
export async function lookupRoleDefinition(
  clients: Clients,
  scope: string,
  role: string,
  source: RoleSource = { input: 'roleDefinitionName' },
): Promise<RoleDefinition> {
  const where = source.line ? `line ${source.line} ` : '';
  const operation = `find the role '${role}' at ${scope}`;
  // @azure/arm-authorization's path template is `/{scope}/providers/…`: the scope goes without its leading slash.
  const armScope = scope.replace(/^\//, '');
  try {
    const { authorization } = await clients.azure();
    if (/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(role)) {
      const definition = await authorization.roleDefinitions.get(armScope, role);
      if (definition.id) return { id: definition.id, name: definition.roleName ?? role };
    } else {
      // OData string literals escape a quote by doubling it.
      const filter = `roleName eq '${role.replace(/'/g, "''")}'`;
      for await (const definition of authorization.roleDefinitions.list(armScope, { filter })) {
        if (definition.id && definition.roleName?.toLowerCase() === role.toLowerCase()) {
          return { id: definition.id, name: definition.roleName };
        }
      }
    }
  } catch (error) {
    const { statusCode, code } = error as { statusCode?: number; code?: string };
    if (statusCode === 404 && code === 'ResourceGroupNotFound') {
      const group = /\/resourceGroups\/([^/]+)/i.exec(scope)?.[1] ?? scope;
      throw new InputError(source.input, `${where}names the resource group '${group}', which does not exist; create it first, or correct the scope.`);
    }
    if (statusCode !== 404) throw toTaskError('arm', operation, error);
  }
  throw new InputError(source.input, `${where}names '${role}', which is not a role that can be assigned at ${scope}; use a role name such as Contributor or Reader.`);
}

/** A plain ARM read; what the client throws (a refused token, an unreachable host) names the operation. */
function armRead(clients: Clients, path: string, apiVersion: string, operation: string): Promise<ArmResponse> {
  return clients
    .azure()
    .then((azure) => azure.armGet(path, apiVersion))
    .catch((error: unknown) => Promise.reject(toTaskError('arm', operation, error)));
}

function armBody(response: ArmResponse, operation: string): Record<string, unknown> {
  if (response.status >= 200 && response.status < 300 && response.body) return response.body;
  const error = (response.body?.error ?? {}) as { code?: string; message?: string };
  throw new ServiceError(error.message ?? 'unexpected answer from Azure Resource Manager', {
    operation,
    status: response.status,
    code: error.code,
    correlationId: response.correlationId,
  });
}
