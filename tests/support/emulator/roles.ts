/**
 * Azure built-in role definitions the emulator knows, and Azure RBAC's action matching.
 * Ids, actions and notActions as Microsoft publishes them:
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/general (Owner, Contributor,
 * Reader, Role Based Access Control Administrator, User Access Administrator) and
 * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/identity (Managed Identity
 * Contributor / Operator).
 */

export interface Permission {
  actions: string[];
  notActions: string[];
  dataActions: string[];
  notDataActions: string[];
}

/** A role definition: a built-in one, or (type CustomRole) one of the world's own. */
export interface BuiltInRole {
  id: string;
  roleName: string;
  description: string;
  permissions: Permission[];
  type?: 'BuiltInRole' | 'CustomRole';
  /** Where a custom role can be assigned, at and below; built-ins: ['/']. */
  assignableScopes?: string[];
}

function role(id: string, roleName: string, description: string, actions: string[], notActions: string[] = []): BuiltInRole {
  return { id, roleName, description, permissions: [{ actions, notActions, dataActions: [], notDataActions: [] }] };
}

export const BUILT_IN_ROLES: readonly BuiltInRole[] = [
  role('8e3af657-a8ff-443c-a75c-2fe8c4bcb635', 'Owner', 'Grants full access to manage all resources, including the ability to assign roles in Azure RBAC.', [
    '*',
  ]),
  role(
    'b24988ac-6180-42a0-ab88-20f7382dd24c',
    'Contributor',
    'Grants full access to manage all resources, but does not allow you to assign roles in Azure RBAC, manage assignments in Azure Blueprints, or share image galleries.',
    ['*'],
    [
      'Microsoft.Authorization/*/Delete',
      'Microsoft.Authorization/*/Write',
      'Microsoft.Authorization/elevateAccess/Action',
      'Microsoft.Blueprint/blueprintAssignments/write',
      'Microsoft.Blueprint/blueprintAssignments/delete',
      'Microsoft.Compute/galleries/share/action',
      'Microsoft.Purview/consents/write',
      'Microsoft.Purview/consents/delete',
      'Microsoft.Resources/deploymentStacks/manageDenySetting/action',
      'Microsoft.Subscription/cancel/action',
      'Microsoft.Subscription/enable/action',
    ],
  ),
  role('acdd72a7-3385-48ef-bd42-f606fba81ae7', 'Reader', 'View all resources, but does not allow you to make any changes.', ['*/read']),
  role('18d7d88d-d35e-4fb5-a5c3-7773c20a72d9', 'User Access Administrator', 'Lets you manage user access to Azure resources.', [
    '*/read',
    'Microsoft.Authorization/*',
    'Microsoft.Support/*',
  ]),
  role(
    'f58310d9-a9f6-439a-9e8d-f62e7b41a168',
    'Role Based Access Control Administrator',
    'Manage access to Azure resources by assigning roles using Azure RBAC. This role does not allow you to manage access using other ways, such as Azure Policy.',
    ['Microsoft.Authorization/roleAssignments/write', 'Microsoft.Authorization/roleAssignments/delete', '*/read', 'Microsoft.Support/*'],
  ),
  role('e40ec5ca-96e0-45a2-b4ff-59039f2c2b59', 'Managed Identity Contributor', 'Create, Read, Update, and Delete User Assigned Identity', [
    'Microsoft.ManagedIdentity/userAssignedIdentities/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/write',
    'Microsoft.ManagedIdentity/userAssignedIdentities/delete',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write',
    'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/delete',
    'Microsoft.ManagedIdentity/userAssignedIdentities/revokeTokens/action',
    'Microsoft.Authorization/*/read',
    'Microsoft.Insights/alertRules/*',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Resources/deployments/*',
    'Microsoft.Support/*',
  ]),
  role('f1a07417-d97a-45cb-824c-7a7467783830', 'Managed Identity Operator', 'Read and Assign User Assigned Identity', [
    'Microsoft.ManagedIdentity/userAssignedIdentities/*/read',
    'Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action',
    'Microsoft.Authorization/*/read',
    'Microsoft.Insights/alertRules/*',
    'Microsoft.Resources/subscriptions/resourceGroups/read',
    'Microsoft.Resources/deployments/*',
    'Microsoft.Support/*',
  ]),
];

export function findRoleByName(roleName: string): BuiltInRole | undefined {
  return BUILT_IN_ROLES.find((r) => r.roleName.toLowerCase() === roleName.toLowerCase());
}

/** Accepts a bare GUID or any role definition id ending in /roleDefinitions/{guid}. */
export function findRoleById(roleDefinitionId: string): BuiltInRole | undefined {
  const guid = roleDefinitionId.split('/').pop()?.toLowerCase();
  return BUILT_IN_ROLES.find((r) => r.id === guid);
}

/**
 * The role definition resource as 2022-04-01 answers
 * (tests/fixtures/contracts/arm-authorization-2022-04-01/examples/GetRoleDefinitionById.json): read in a
 * subscription it carries the subscription's prefix, read at a management group or the tenant root none.
 */
export function roleDefinitionResource(r: BuiltInRole, subscriptionId: string | undefined): Record<string, unknown> {
  const prefix = subscriptionId ? `/subscriptions/${subscriptionId}` : '';
  return {
    properties: {
      roleName: r.roleName,
      type: r.type ?? 'BuiltInRole',
      description: r.description,
      assignableScopes: r.assignableScopes ?? ['/'],
      permissions: r.permissions,
      createdOn: '2015-02-02T21:55:09.8806423Z',
      updatedOn: '2024-04-18T19:51:23.2718325Z',
      createdBy: null,
      updatedBy: null,
    },
    id: `${prefix}/providers/Microsoft.Authorization/roleDefinitions/${r.id}`,
    type: 'Microsoft.Authorization/roleDefinitions',
    name: r.id,
  };
}

/** Azure RBAC wildcard: '*' matches any run of characters, comparison is case-insensitive. */
function matches(pattern: string, action: string): boolean {
  const regex = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
  return regex.test(action);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** An action is allowed when some role allows it and that same role does not exclude it (notActions). */
export function rolesAllow(roles: readonly BuiltInRole[], action: string): boolean {
  return roles.some((r) => r.permissions.some((p) => p.actions.some((a) => matches(a, action)) && !p.notActions.some((n) => matches(n, action))));
}
