/**
 * Binds each step of the plan to the resource module that carries it out.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan, type Runners } from './engine';
import { connectionTagValue, federatedCredentialName } from './naming';
import type { Step, StepId } from './plan';
import type { ProvisioningRequest } from './request';
import { ensureFederatedCredential, FederatedCredential } from './resources/federatedCredential';
import {
  lookupManagementGroup,
  lookupProject,
  lookupResourceGroup,
  lookupRoleDefinition,
  lookupSubscription,
  ManagementGroup,
  Project,
  ResourceGroup,
  RoleDefinition,
  Subscription,
} from './resources/lookups';
import { ensureIdentity, ManagedIdentity, readIdentity } from './resources/managedIdentity';
import type { Outcome } from './resources/outcome';
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, ensureConnection, findConnection } from './resources/serviceConnection';

export interface Provisioned {
  project: Project;
  subscription: Subscription;
  managementGroup: ManagementGroup;
  roleDefinition: RoleDefinition;
  /** The n-th grant of roleAssignments: its role, then its assignment. */
  [grantRole: `roleDefinition:${number}`]: RoleDefinition;
  [grant: `roleAssignment:${number}`]: Outcome<RoleAssignment>;
  identityResourceGroup: ResourceGroup;
  scopeResourceGroup: ResourceGroup;
  existingIdentity: ManagedIdentity | null;
  existingConnection: ServiceEndpoint | null;
  identity: Outcome<ManagedIdentity>;
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
}

export function provision(
  request: ProvisioningRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<Provisioned> {
  const { azure, identity, devops } = request;
  const grants: Partial<Runners<Provisioned>> = {};
  azure.additionalRoles.forEach((grant, index) => {
    const n = index + 1;
    grants[`roleDefinition:${n}`] = () => lookupRoleDefinition(clients, grant.scope, grant.role, { input: 'roleAssignments', line: grant.line });
    grants[`roleAssignment:${n}`] = (done) => {
      const role = done[`roleDefinition:${n}`];
      return ensureRoleAssignment(
        clients,
        { scope: grant.scope, principalId: done.identity.value.principalId, roleDefinitionId: role.id, roleName: role.name },
        done.identity.action === 'created',
      );
    };
  });
  return runPlan<Provisioned>(
    plan,
    {
      ...grants,
      project: () => lookupProject(clients, devops.project),
      subscription: () => lookupSubscription(clients, azure.subscriptionId),
      managementGroup: () => lookupManagementGroup(clients, azure.managementGroup?.id ?? ''),
      roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
      identityResourceGroup: () =>
        lookupResourceGroup(clients, 'identityResourceGroup', azure.subscriptionId, identity.resourceGroup),
      scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
      existingIdentity: () => readIdentity(clients, identity.resourceGroup, identity.name),
      existingConnection: () => findConnection(clients, devops.project, request.connectionName),

      identity: (done) => {
        // An existing connection of that name must be reusable before anything is written.
        if (done.existingConnection) {
          assertReusable(
            done.existingConnection,
            {
              name: request.connectionName,
              projectName: done.project.name,
              tenantId: done.existingIdentity?.tenantId || request.bootstrap.auth.tenantId,
              clientId: done.existingIdentity?.clientId,
            },
            request.existingConnection,
          );
        }
        return ensureIdentity(
          clients,
          {
            resourceGroup: identity.resourceGroup,
            name: identity.name,
            location: identity.location ?? done.identityResourceGroup.location,
            owner: connectionTagValue(devops.organization, done.project.id, request.connectionName),
          },
          done.existingIdentity,
        );
      },
      roleAssignment: (done) =>
        ensureRoleAssignment(
          clients,
          {
            scope: azure.resourceGroup ? `/subscriptions/${azure.subscriptionId}/resourceGroups/${done.scopeResourceGroup.name}` : azure.scope,
            principalId: done.identity.value.principalId,
            roleDefinitionId: done.roleDefinition.id,
            roleName: done.roleDefinition.name,
          },
          done.identity.action === 'created',
        ),
      connection: (done) =>
        ensureConnection(
          clients,
          {
            name: request.connectionName,
            description: request.connectionDescription,
            project: done.project,
            environment: request.bootstrap.cloud.environment,
            resourceManagerUrl: request.bootstrap.cloud.resourceManagerUrl,
            tenantId: done.identity.value.tenantId || request.bootstrap.auth.tenantId,
            clientId: done.identity.value.clientId,
            subscriptionId: azure.subscriptionId,
            subscriptionName: azure.subscriptionName ?? done.subscription.name,
            managementGroup: azure.managementGroup
              ? { id: done.managementGroup.id, name: azure.managementGroup.name ?? done.managementGroup.displayName }
              : undefined,
            resourceGroupScope: azure.resourceGroup
              ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${done.scopeResourceGroup.name}`
              : undefined,
          },
          done.existingConnection,
          request.existingConnection,
        ),
      federatedCredential: (done) =>
        ensureFederatedCredential(
          clients,
          {
            resourceGroup: identity.resourceGroup,
            identityName: done.identity.value.name || identity.name,
            name: federatedCredentialName(done.connection.value.id),
            issuer: done.connection.value.issuer,
            subject: done.connection.value.subject,
          },
          done.identity.action === 'created',
        ),
    },
    (id: StepId, result) => onStep(plan.find((s) => s.id === id)!, result),
  );
}
