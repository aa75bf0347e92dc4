/**
 * The role assignment that lets the connection's identity act at its scope
 * (Microsoft.Authorization 2022-04-01 through @azure/arm-authorization).
 */
import type { RoleAssignmentCreateParameters } from '@azure/arm-authorization';
import type { Change, Run, Written } from '../change';
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { ACTIONS, armRequirement, type ArmPermissions } from '../preflight';
import type { ProvisioningRequest } from '../request';
import { roleAssignmentName } from '../resourceNames';
import { waitFor, type WaitPolicy } from '../retry';
import { arm, isNotFound } from '../clients/arm';
import { type ObservedIdentity, principalOf } from './identity';
import type { RoleDefinition } from './lookups';

export interface DesiredRoleAssignment {
  scope: string;
  principalId: string;
  roleDefinitionId: string;
  roleName: string;
}

export interface RoleAssignment {
  name: string;
  scope: string;
  roleDefinitionId: string;
  principalId: string;
}

export function toWire(desired: DesiredRoleAssignment): RoleAssignmentCreateParameters {
  // principalType lets ARM skip its directory lookup, Microsoft's documented cure for PrincipalNotFound
  // right after the principal was created (https://learn.microsoft.com/azure/role-based-access-control/role-assignments-template#new-service-principal).
  return { roleDefinitionId: desired.roleDefinitionId, principalId: desired.principalId, principalType: 'ServicePrincipal' };
}

function operationOf(desired: DesiredRoleAssignment): string {
  return `assign the role '${desired.roleName}' to ${desired.principalId} at ${desired.scope}`;
}

/**
 * The assignment under this task's deterministic name, or null. Assignments of the same grant under
 * other names are found by the create (RoleAssignmentExists); none is ever changed or removed.
 */
async function readRoleAssignment(clients: Clients, desired: DesiredRoleAssignment): Promise<RoleAssignment | null> {
  const { authorization } = await clients.azure();
  const name = roleAssignmentName(desired.scope, desired.principalId, desired.roleDefinitionId);
  const found = await arm(clients, operationOf(desired), () => authorization.roleAssignments.get(armScopeOf(desired.scope), name)).catch((error: unknown) =>
    isNotFound(error) ? null : Promise.reject(error),
  );
  return found ? valueOf(desired) : null;
}

/**
 * Grants the role under its deterministic name, waiting (bounded by `replication`) for a new principal to
 * replicate. `created: false` when the grant turned out to exist already (RoleAssignmentExists: the same
 * principal, role and scope under another name, or a concurrent run's PUT).
 */
async function createRoleAssignment(
  clients: Clients,
  desired: DesiredRoleAssignment,
  replication: WaitPolicy,
): Promise<{ created: boolean; value: RoleAssignment }> {
  const { authorization } = await clients.azure();
  const value = valueOf(desired);
  try {
    await waitFor(
      clients.clock,
      `the identity ${desired.principalId} to replicate to Azure Resource Manager`,
      () => arm(clients, operationOf(desired), () => authorization.roleAssignments.create(armScopeOf(desired.scope), value.name, toWire(desired))),
      // Some tenants still report PrincipalNotFound with principalType set: it clears as the principal replicates.
      (error) => ((error as TaskError).code === 'PrincipalNotFound' ? 'policy' : undefined),
      replication,
    );
    return { created: true, value };
  } catch (error) {
    if ((error as TaskError).code === 'RoleAssignmentExists') return { created: false, value };
    throw error;
  }
}

function valueOf(desired: DesiredRoleAssignment): RoleAssignment {
  const name = roleAssignmentName(desired.scope, desired.principalId, desired.roleDefinitionId);
  return { name, scope: desired.scope, roleDefinitionId: desired.roleDefinitionId, principalId: desired.principalId };
}

/** @azure/arm-authorization's path template is `/{scope}/providers/…`: the scope goes without its leading slash. */
function armScopeOf(scope: string): string {
  return scope.replace(/^\//, '');
}

/** One grant the run ensures: the main role (roleDefinitionName at the role scope) or a roleAssignments line. */
export interface Grant {
  scope: string;
  role: RoleDefinition;
}

export interface RoleAssignmentChange extends Change<'create' | 'keep'> {
  scope: string;
  role: RoleDefinition;
}

/** What the reads and the decision use. */
interface Observed {
  /** The main grant first, then one per roleAssignments line. */
  grants: Grant[];
  identity: ObservedIdentity;
  armPermissions: Record<string, ArmPermissions>;
  /** For each grant, in order: the assignment found (null: none); all null when the principal does not exist. */
  assignments: (RoleAssignment | null)[];
}

/** The assignment of each grant, once the principal exists (none can exist before). */
export async function read(_request: ProvisioningRequest, clients: Clients, observed: Omit<Observed, 'assignments'>): Promise<(RoleAssignment | null)[]> {
  const principalId = principalOf(observed.identity);
  if (!principalId) return observed.grants.map(() => null);
  return Promise.all(
    observed.grants.map(({ scope, role }) => readRoleAssignment(clients, { scope, principalId, roleDefinitionId: role.id, roleName: role.name })),
  );
}

/** An entry per grant: created unless its assignment exists. */
export function decide(request: ProvisioningRequest, observed: Observed): RoleAssignmentChange[] {
  const grantee = request.identityType === 'managedIdentity' ? 'the identity' : 'the service principal';
  const fix = 'assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope';
  return observed.grants.map((grant, index): RoleAssignmentChange => {
    const action = observed.assignments[index] ? 'keep' : 'create';
    // The role and the scope as the request spelled them: the log names what the user asked for.
    const role = index === 0 ? request.azure.roleDefinitionName : (request.azure.additionalRoles[index - 1]?.role ?? grant.role.name);
    return {
      action,
      what: `role '${role}' for ${grantee} at ${index === 0 ? request.azure.scope : grant.scope}`,
      needs: action === 'create' ? [armRequirement(observed.armPermissions[grant.scope.toLowerCase()], ACTIONS.writeRoleAssignment, grant.scope, fix)] : [],
      scope: grant.scope,
      role: grant.role,
    };
  });
}

/** Assigns the role to the principal written before (a managed identity's, or a service principal). */
export async function apply(
  change: RoleAssignmentChange,
  after: { managedIdentity: { principalId: string } | undefined; servicePrincipal: { id: string; recheck: boolean } | undefined },
  run: Run,
): Promise<Written<RoleAssignment | undefined>> {
  if (change.action === 'keep') return { happened: 'kept', value: undefined };
  const principalId = after.managedIdentity?.principalId ?? after.servicePrincipal?.id ?? '';
  const desired = { scope: change.scope, principalId, roleDefinitionId: change.role.id, roleName: change.role.name };
  const found = after.servicePrincipal?.recheck ? await readRoleAssignment(run.clients, desired) : null;
  if (found) return { happened: 'kept', value: found };
  const { created, value } = await createRoleAssignment(run.clients, desired, run.replication);
  return { happened: created ? 'created' : 'kept', value };
}

/** One assignment of a principal, as listed: its full id, scope, name and role definition id. */
export interface ListedAssignment extends RoleAssignment {
  id: string;
}

/**
 * The principal's assignments ARM lists at `scope` (Role Assignments - List For Scope, `$filter=principalId eq
 * '{id}'`): those at the scope, above it and below it (docs/wire.md, "Removal").
 */
export async function listAssignmentsOf(clients: Clients, scope: string, principalId: string): Promise<ListedAssignment[]> {
  const { authorization } = await clients.azure();
  const found: ListedAssignment[] = [];
  await arm(clients, `list the role assignments of ${principalId} at ${scope}`, async () => {
    found.length = 0;
    for await (const wire of authorization.roleAssignments.listForScope(armScopeOf(scope), { filter: `principalId eq '${principalId}'` })) {
      found.push({
        id: wire.id ?? '',
        name: wire.name ?? '',
        scope: wire.scope ?? '',
        roleDefinitionId: wire.roleDefinitionId ?? '',
        principalId: wire.principalId ?? principalId,
      });
    }
  });
  return found.filter((assignment) => assignment.principalId.toLowerCase() === principalId.toLowerCase());
}

/** Deletes an assignment by scope and name (ARM answers 204 when it is gone already). */
export async function deleteRoleAssignment(clients: Clients, assignment: { scope: string; name: string }): Promise<void> {
  const { authorization } = await clients.azure();
  await arm(clients, `remove the role assignment ${assignment.name} at ${assignment.scope}`, () =>
    authorization.roleAssignments.delete(armScopeOf(assignment.scope), assignment.name),
  ).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
}

/** A role's name by its definition id (Role Definitions - Get By Id); undefined when ARM does not say. */
export async function roleNameOf(clients: Clients, roleDefinitionId: string): Promise<string | undefined> {
  try {
    const response = await arm(clients, `read the role definition ${roleDefinitionId}`, async () =>
      (await clients.azure()).armGet(roleDefinitionId, '2022-04-01'),
    );
    const name = (response.body?.properties as { roleName?: unknown } | undefined)?.roleName;
    return typeof name === 'string' && name ? name : undefined;
  } catch {
    return undefined;
  }
}
