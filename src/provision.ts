/**
 * Binds each step of the plan to the resource module that carries it out, for either variant.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan, type EngineStep } from './engine';
import { applicationUniqueName, connectionTagValue, federatedCredentialName } from './naming';
import type { Step, StepId } from './plan';
import type { AppRegistrationRequest, ManagedIdentityRequest, ProvisioningRequest } from './request';
import { Application, ensureApplication, readApplication } from './resources/application';
import { ensureApplicationCredential } from './resources/applicationCredential';
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
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, DesiredConnection, ensureConnection, findConnection } from './resources/serviceConnection';
import { ensureServicePrincipal, ServicePrincipal } from './resources/servicePrincipal';

export type Provisioned = ManagedIdentityProvisioned | AppRegistrationProvisioned;

export interface ManagedIdentityProvisioned {
  project: Project;
  subscription: Subscription;
  roleDefinition: RoleDefinition;
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
  return request.identityType === 'appRegistration'
    ? provisionAppRegistration(request, plan, clients, onStep)
    : provisionManagedIdentity(request, plan, clients, onStep);
}

function provisionManagedIdentity(
  request: ManagedIdentityRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<ManagedIdentityProvisioned> {
  const { azure, identity, devops } = request;
  return runPlan<ManagedIdentityProvisioned>(
    stepsOf<ManagedIdentityProvisioned>(plan),
    {
      project: () => lookupProject(clients, devops.project),
      subscription: () => lookupSubscription(clients, azure.subscriptionId),
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
            scope: roleScope(request, done.scopeResourceGroup),
            principalId: done.identity.value.principalId,
            roleDefinitionId: done.roleDefinition.id,
            roleName: done.roleDefinition.name,
          },
          done.identity.action === 'created',
        ),
      connection: (done) =>
        ensureConnection(
          clients,
          desiredConnection(request, done, {
            tenantId: done.identity.value.tenantId || request.bootstrap.auth.tenantId,
            clientId: done.identity.value.clientId,
          }),
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

export interface AppRegistrationProvisioned {
  project: Project;
  subscription: Subscription;
  roleDefinition: RoleDefinition;
  scopeResourceGroup: ResourceGroup;
  existingConnection: ServiceEndpoint | null;
  existingApplication: Application | null;
  application: Outcome<Application>;
  servicePrincipal: Outcome<ServicePrincipal>;
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
}

function provisionAppRegistration(
  request: AppRegistrationRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<AppRegistrationProvisioned> {
  const { azure, application, devops } = request;
  const tenantId = request.bootstrap.auth.tenantId;
  return runPlan<AppRegistrationProvisioned>(
    stepsOf<AppRegistrationProvisioned>(plan),
    {
      project: () => lookupProject(clients, devops.project),
      subscription: () => lookupSubscription(clients, azure.subscriptionId),
      roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
      scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
      existingConnection: () => findConnection(clients, devops.project, request.connectionName),
      existingApplication: (done) =>
        readApplication(clients, applicationUniqueName(devops.organization, done.project.id, request.connectionName)),

      application: (done) => {
        // An existing connection of that name must be reusable before anything is written.
        if (done.existingConnection) {
          assertReusable(
            done.existingConnection,
            { name: request.connectionName, projectName: done.project.name, tenantId, clientId: done.existingApplication?.appId },
            request.existingConnection,
          );
        }
        return ensureApplication(
          clients,
          {
            uniqueName: applicationUniqueName(devops.organization, done.project.id, request.connectionName),
            displayName: application.displayName,
          },
          done.existingApplication,
        );
      },
      servicePrincipal: (done) => ensureServicePrincipal(clients, done.application.value.appId, done.application.action === 'created'),
      roleAssignment: (done) =>
        ensureRoleAssignment(
          clients,
          {
            scope: roleScope(request, done.scopeResourceGroup),
            principalId: done.servicePrincipal.value.id,
            roleDefinitionId: done.roleDefinition.id,
            roleName: done.roleDefinition.name,
          },
          done.servicePrincipal.action === 'created',
        ),
      connection: (done) =>
        ensureConnection(
          clients,
          desiredConnection(request, done, { tenantId, clientId: done.application.value.appId }),
          done.existingConnection,
          request.existingConnection,
        ),
      federatedCredential: (done) =>
        ensureApplicationCredential(
          clients,
          {
            applicationId: done.application.value.id,
            applicationName: done.application.value.displayName,
            name: federatedCredentialName(done.connection.value.id),
            issuer: done.connection.value.issuer,
            subject: done.connection.value.subject,
          },
          done.application.action === 'created',
        ),
    },
    (id: StepId, result) => onStep(plan.find((s) => s.id === id)!, result),
  );
}

/**
 * The plan as the engine runs it for one variant. planFor made it for this request's variant; a step
 * without a runner would still stop the engine with "plan step has no runner".
 */
function stepsOf<R>(plan: readonly Step[]): readonly EngineStep<Extract<keyof R, string>>[] {
  return plan as unknown as readonly EngineStep<Extract<keyof R, string>>[];
}

/** The role's scope, with the resource group's name as ARM spells it. */
export function roleScope(request: ProvisioningRequest, scopeResourceGroup: ResourceGroup | undefined): string {
  const { azure } = request;
  return azure.resourceGroup && scopeResourceGroup
    ? `/subscriptions/${azure.subscriptionId}/resourceGroups/${scopeResourceGroup.name}`
    : azure.scope;
}

/** The service connection for an identity, from the request and the reads. */
export function desiredConnection(
  request: ProvisioningRequest,
  done: { project: Project; subscription: Subscription; scopeResourceGroup?: ResourceGroup },
  identity: { tenantId: string; clientId: string },
): DesiredConnection {
  const { azure, bootstrap } = request;
  return {
    name: request.connectionName,
    description: request.connectionDescription,
    project: done.project,
    environment: bootstrap.cloud.environment,
    resourceManagerUrl: bootstrap.cloud.resourceManagerUrl,
    tenantId: identity.tenantId,
    clientId: identity.clientId,
    subscriptionId: azure.subscriptionId,
    subscriptionName: azure.subscriptionName ?? done.subscription.name,
    resourceGroupScope:
      azure.resourceGroup && done.scopeResourceGroup
        ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${done.scopeResourceGroup.name}`
        : undefined,
  };
}
