/**
 * Binds each step of the plan to the resource module that carries it out.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan } from './engine';
import { connectionTagValue, federatedCredentialName } from './naming';
import type { Step, StepId } from './plan';
import type { ProvisioningRequest } from './request';
import { ensureFederatedCredential, FederatedCredential } from './resources/federatedCredential';
import {
  lookupProject,
  lookupResourceGroup,
  lookupRoleDefinition,
  lookupSubscription,
  Project,
  ResourceGroup,
  RoleDefinition,
  Subscription,
} from './resources/lookups';
import { ensureIdentity, ManagedIdentity, readIdentity } from './resources/managedIdentity';
import type { Outcome } from './resources/outcome';
import { ensurePipelinePermissions, PipelinePermissions, resolvePipelines, type Pipeline } from './resources/pipelinePermissions';
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, ensureConnection, findConnection } from './resources/serviceConnection';
import { assertShareable, ensureShared, readShareTargets, type ShareTarget, type Sharing } from './resources/sharing';

export interface Provisioned {
  project: Project;
  subscription: Subscription;
  roleDefinition: RoleDefinition;
  identityResourceGroup: ResourceGroup;
  scopeResourceGroup: ResourceGroup;
  existingIdentity: ManagedIdentity | null;
  existingConnection: ServiceEndpoint | null;
  sharedProjects: ShareTarget[];
  pipelines: Pipeline[];
  identity: Outcome<ManagedIdentity>;
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
  pipelinePermissions: Outcome<PipelinePermissions>;
  sharing: Outcome<Sharing>;
}

export function provision(
  request: ProvisioningRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<Provisioned> {
  const { azure, identity, devops } = request;
  return runPlan<Provisioned>(
    plan,
    {
      project: () => lookupProject(clients, devops.project),
      subscription: () => lookupSubscription(clients, azure.subscriptionId),
      roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
      identityResourceGroup: () =>
        lookupResourceGroup(clients, 'identityResourceGroup', azure.subscriptionId, identity.resourceGroup),
      scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
      existingIdentity: () => readIdentity(clients, identity.resourceGroup, identity.name),
      existingConnection: (done) => findConnection(clients, done.project.id, request.connectionName),
      sharedProjects: () => readShareTargets(clients, devops.shareWithProjects, request.connectionName),
      pipelines: (done) => resolvePipelines(clients, done.project, devops.authorizePipelines),

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
        if (done.sharedProjects) assertShareable(done.sharedProjects, request.connectionName, done.existingConnection?.id);
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
      pipelinePermissions: (done) =>
        ensurePipelinePermissions(
          clients,
          {
            project: done.project,
            connectionId: done.connection.value.id,
            allPipelines: devops.authorizeAllPipelines,
            pipelineIds: (done.pipelines ?? []).map((p) => p.id),
          },
          done.connection.action === 'created',
        ),
      sharing: (done) =>
        ensureShared(
          clients,
          {
            connectionId: done.connection.value.id,
            connectionName: done.connection.value.name || request.connectionName,
            description: request.connectionDescription,
            projects: done.sharedProjects.map((target) => target.project),
          },
          done.connection.value.projectIds,
        ),
    },
    (id: StepId, result) => onStep(plan.find((s) => s.id === id)!, result),
  );
}
