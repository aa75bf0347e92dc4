/**
 * Azure Resource Manager's resources as the emulator stores them, in the wire shapes their api-versions
 * answer with (tests/fixtures/contracts/: arm-msi-2024-11-30, arm-authorization-2022-04-01): user-assigned
 * identities, their federated identity credentials, role assignments; and the management groups above
 * the subscription.
 */

export interface ManagementGroupRecord {
  id: string;
  displayName: string;
  /** Undefined for the tenant root group. */
  parentId?: string;
}

export function managementGroupScope(id: string): string {
  return `/providers/Microsoft.Management/managementGroups/${id}`;
}

export interface UserAssignedIdentityResource {
  id: string;
  name: string;
  type: 'Microsoft.ManagedIdentity/userAssignedIdentities';
  location: string;
  tags: Record<string, string>;
  properties: { tenantId: string; principalId: string; clientId: string; isolationScope: 'None' | 'Regional' };
}

export interface FederatedIdentityCredentialResource {
  id: string;
  name: string;
  type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';
  properties: { issuer: string; subject: string; audiences: string[] };
}

export interface RoleAssignmentResource {
  id: string;
  name: string;
  type: 'Microsoft.Authorization/roleAssignments';
  properties: {
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
    scope: string;
    condition: string | null;
    conditionVersion: string | null;
    description: string | null;
    createdOn: string;
    updatedOn: string;
    createdBy: string | null;
    updatedBy: string | null;
    delegatedManagedIdentityResourceId: string | null;
  };
}

export interface RoleAssignmentInput {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  createdBy: string | null;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
}

/**
 * A role assignment as 2022-04-01 answers
 * (tests/fixtures/contracts/arm-authorization-2022-04-01/examples/RoleAssignments_CreateForSubscription.json).
 */
export function roleAssignmentResource(input: RoleAssignmentInput): RoleAssignmentResource {
  const at = new Date().toISOString();
  return {
    id: `${input.scope}/providers/Microsoft.Authorization/roleAssignments/${input.name}`,
    name: input.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: input.roleDefinitionId,
      principalId: input.principalId,
      principalType: input.principalType,
      scope: input.scope,
      condition: input.condition ?? null,
      conditionVersion: input.conditionVersion ?? null,
      description: input.description ?? null,
      createdOn: at,
      updatedOn: at,
      createdBy: input.createdBy,
      updatedBy: input.createdBy,
      delegatedManagedIdentityResourceId: null,
    },
  };
}
