/**
 * The role assignment that lets the connection's identity act at its scope
 * (Microsoft.Authorization 2022-04-01 through @azure/arm-authorization).
 */
import type { RoleAssignmentCreateParameters } from '@azure/arm-authorization';
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { roleAssignmentName } from '../naming';
import { REPLICATION, WaitPolicy, waitFor } from '../retry';
import { arm, isNotFound } from './arm';
import type { Outcome, WriteOptions } from './outcome';

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

export interface RoleAssignmentOptions extends WriteOptions {
  /** How long to wait for a new principal to replicate (PrincipalNotFound); default REPLICATION. */
  replication?: WaitPolicy;
}

/**
 * Grants the role under a deterministic name. `knownAbsent` skips the read when the principal was
 * created in this run and so cannot hold the assignment yet. Assignments it finds, under this name or
 * any other, are never changed or removed.
 */
export async function ensureRoleAssignment(
  clients: Clients,
  desired: DesiredRoleAssignment,
  knownAbsent: boolean,
  options: RoleAssignmentOptions = {},
): Promise<Outcome<RoleAssignment>> {
  const { authorization } = await clients.azure();
  const name = roleAssignmentName(desired.scope, desired.principalId, desired.roleDefinitionId);
  const value: RoleAssignment = { name, scope: desired.scope, roleDefinitionId: desired.roleDefinitionId, principalId: desired.principalId };
  const armScope = desired.scope.replace(/^\//, '');
  const operation = `assign the role '${desired.roleName}' to ${desired.principalId || 'the new identity'} at ${desired.scope}`;
  if (!knownAbsent) {
    const found = await arm(clients, operation, () => authorization.roleAssignments.get(armScope, name)).catch((error: unknown) =>
      isNotFound(error) ? null : Promise.reject(error),
    );
    if (found) return { action: 'kept', value };
  }
  options.beforeWrite?.();
  if (options.dryRun) return { action: 'created', value };
  try {
    await waitFor(clients.clock,      `the identity ${desired.principalId} to replicate to Azure Resource Manager`,
      () => arm(clients, operation, () => authorization.roleAssignments.create(armScope, name, toWire(desired))),
      // Some tenants still report PrincipalNotFound with principalType set: it clears as the principal replicates.
      (error) => ((error as TaskError).code === 'PrincipalNotFound' ? 'policy' : undefined),
      options.replication ?? REPLICATION,
    );
    return { action: 'created', value };
  } catch (error) {
    // The same principal, role and scope under another name (or a concurrent run's PUT): the grant exists.
    if ((error as TaskError).code === 'RoleAssignmentExists') return { action: 'kept', value };
    throw error;
  }
}
