/**
 * The role assignment that lets the connection's identity act at its scope
 * (Microsoft.Authorization 2022-04-01 through @azure/arm-authorization).
 */
import type { RoleAssignmentCreateParameters } from '@azure/arm-authorization';
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { roleAssignmentName } from '../resourceNames';
import { waitFor, type WaitPolicy } from '../retry';
import { arm, isNotFound } from '../clients/arm';

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
export async function readRoleAssignment(clients: Clients, desired: DesiredRoleAssignment): Promise<RoleAssignment | null> {
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
export async function createRoleAssignment(
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
