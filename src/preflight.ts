/**
 * The permission preflight: before the first write, read what the bootstrap identity may do in Azure and
 * what the pipeline's identity may do with service connections, and stop with the fix when a write this
 * run needs is not allowed. The reads run beside the other reads; a read that fails only means "unknown"
 * (never a refusal): the write itself then reports what the service says.
 *
 * Azure: GET {scope}/providers/Microsoft.Authorization/permissions (2022-04-01), the caller's effective
 * actions and notActions at a scope, one entry per role assignment at or above it. An action is allowed
 * when one entry allows it and the same entry does not exclude it; `*` matches any run of characters,
 * case-insensitively (https://learn.microsoft.com/azure/role-based-access-control/role-definitions#actions).
 * Deny assignments and ABAC conditions are not visible here; the write's AuthorizationFailed covers them.
 *
 * Azure DevOps: the security namespace ServiceEndpoints (49b48001-ca20-4adc-8111-5b60c903a50c), bits Use 1,
 * Administer 2, Create 4, ViewAuthorization 8, ViewEndpoint 16, tokens endpoints/{projectId} and
 * endpoints/{projectId}/{endpointId}; "Permissions - Has Permissions" evaluates them for the caller
 * (https://learn.microsoft.com/rest/api/azure/devops/security/permissions/has-permissions). The Creator
 * role carries Create, the Administrator role Administer.
 */
import type { Clients } from './clients';
import { PermissionError } from './errors';
import { arm } from './clients/arm';
import { devops } from './clients/devops';
import type { ProvisioningRequest } from './request';

export interface ArmPermission {
  actions: string[];
  notActions: string[];
}

/** The bootstrap identity's permissions at one scope; undefined when they could not be read. */
export type ArmPermissions = ArmPermission[] | undefined;

export const ACTIONS = {
  writeIdentity: 'Microsoft.ManagedIdentity/userAssignedIdentities/write',
  writeFederatedCredential: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
  writeRoleAssignment: 'Microsoft.Authorization/roleAssignments/write',
  deleteIdentity: 'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
  deleteFederatedCredential: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
  deleteRoleAssignment: 'Microsoft.Authorization/roleAssignments/delete',
} as const;

/** Reads the caller's permissions at an ARM scope; undefined when ARM does not say. */
export async function readArmPermissions(clients: Clients, scope: string): Promise<ArmPermissions> {
  try {
    const permissions: ArmPermission[] = [];
    // The list pages with nextLink (PermissionGetResult in the 2022-04-01 spec): a role granted on a later
    // page must not read as absent.
    for (let next: string | undefined = `${scope}/providers/Microsoft.Authorization/permissions`; next;) {
      const path: string = next;
      const response = await arm(clients, `read the permissions at ${scope}`, async () => (await clients.azure()).armGet(path, '2022-04-01'));
      const page = permissionsPageFromWire(response.status === 200 ? response.body : undefined);
      if (!page) return undefined;
      permissions.push(...page.permissions);
      next = page.nextLink;
    }
    return permissions;
  } catch {
    return undefined;
  }
}

/** One page of Permissions - List (tests/fixtures/recordings/arm-authorization-permissions-list.json); undefined when it is not one. */
export function permissionsPageFromWire(body: Record<string, unknown> | undefined): { permissions: ArmPermission[]; nextLink?: string } | undefined {
  const value = body?.value;
  if (!Array.isArray(value)) return undefined;
  return {
    permissions: value.map((entry: { actions?: unknown; notActions?: unknown }) => ({
      actions: Array.isArray(entry.actions) ? entry.actions.map(String) : [],
      notActions: Array.isArray(entry.notActions) ? entry.notActions.map(String) : [],
    })),
    nextLink: typeof body?.nextLink === 'string' && body.nextLink ? body.nextLink : undefined,
  };
}

/** Azure RBAC's rule: some entry allows the action and that same entry does not exclude it. */
export function allows(permissions: readonly ArmPermission[], action: string): boolean {
  return permissions.some((p) => p.actions.some((a) => matches(a, action)) && !p.notActions.some((n) => matches(n, action)));
}

function matches(pattern: string, action: string): boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${escaped.join('.*')}$`, 'i').test(action);
}

const SERVICE_ENDPOINTS_NAMESPACE = '49b48001-ca20-4adc-8111-5b60c903a50c';
/** Permissions - Has Permissions, released at 7.1. */
const SECURITY_API = '7.1';
const ADMINISTER = 2;
const CREATE = 4;

/** What the pipeline's identity may do with service connections; undefined where unknown. */
export interface ConnectionAccess {
  /** May create service connections in the project (Creator role). */
  create?: boolean;
  /** May change the existing connection of that name (Administrator role on it). */
  administer?: boolean;
}

/**
 * Asks whether the Azure DevOps identity may create connections in the project, and, once the lookup of
 * the connection of that name (`existingConnectionId`) has answered, whether it may administer that one.
 */
export async function readConnectionAccess(clients: Clients, projectId: string, existingConnectionId: Promise<string | undefined>): Promise<ConnectionAccess> {
  const ask = async (bits: number, token: string): Promise<boolean | undefined> => {
    try {
      // GET {org}/_apis/permissions/{namespace}/{bits}?tokens= (Permissions - Has Permissions, 7.1): whether
      // the caller holds the bits on each token, as `{value: boolean[]}`.
      const answer = await devops(clients, 'check permissions on service connections', () =>
        clients.devops.request<{ value?: unknown[] }>({
          path: `_apis/permissions/${SERVICE_ENDPOINTS_NAMESPACE}/${bits}`,
          apiVersion: SECURITY_API,
          query: { tokens: token },
        }),
      );
      const value = answer?.value?.[0];
      return typeof value === 'boolean' ? value : undefined;
    } catch {
      return undefined;
    }
  };
  const [create, administer] = await Promise.all([
    ask(CREATE, `endpoints/${projectId}`),
    existingConnectionId.then(
      (id) => (id ? ask(ADMINISTER, `endpoints/${projectId}/${id}`) : undefined),
      () => undefined,
    ),
  ]);
  return { create, administer };
}

/** One permission a write needs: allowed or not, or undefined when the preflight could not tell. */
export interface Requirement {
  allowed: boolean | undefined;
  /** Who lacks what, and the fix, for the error line. */
  unmet: string;
}

const BOOTSTRAP_IDENTITY = "the bootstrap connection's identity";

export function armRequirement(permissions: ArmPermissions, action: string, scope: string, fix: string): Requirement {
  return { allowed: permissions ? allows(permissions, action) : undefined, unmet: `${BOOTSTRAP_IDENTITY} lacks ${action} at ${scope} (${fix})` };
}

/** What the Azure DevOps calls run as (devOpsAuth), for the preflight's lines. */
export function devopsIdentity(request: ProvisioningRequest): string {
  switch (request.devopsAuth.kind) {
    case 'jobAccessToken':
      return "the pipeline's build service identity";
    case 'bootstrapIdentity':
      return `${BOOTSTRAP_IDENTITY} (devOpsAuth bootstrapIdentity)`;
    case 'personalAccessToken':
      return `the owner of the token in '${request.devopsAuth.variable}'`;
  }
}

/**
 * Fails naming every permission known to be lacking and how to grant it. `stage` says where the run is:
 * before any write, or before a later write once earlier ones are done.
 */
export function assertPermitted(requirements: readonly Requirement[], stage: 'before any write' | 'before this write'): void {
  const unmet = [...new Set(requirements.filter((r) => r.allowed === false).map((r) => r.unmet))];
  if (unmet.length === 0) return;
  throw new PermissionError(`Permission check failed ${stage}: ${unmet.join('; ')}`, {
    hint:
      stage === 'before any write'
        ? 'Nothing was written; grant the permissions and re-run the task'
        : 'Grant the permissions and re-run the task: it picks up from what exists',
  });
}
