/**
 * Binds each step of the plan to the resource module that carries it out, for either variant.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan, type EngineStep, type Runners } from './engine';
import { applicationUniqueName, connectionTagValue, federatedCredentialName } from './naming';
import type { Step, StepId } from './plan';
import type { AppRegistrationRequest, ManagedIdentityRequest, ProvisioningRequest } from './request';
import { Application, ensureApplication, readApplication } from './resources/application';
import { ensureApplicationCredential } from './resources/applicationCredential';
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
import { ensurePipelinePermissions, PipelinePermissions, resolvePipelines, type Pipeline } from './resources/pipelinePermissions';
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, DesiredConnection, ensureConnection, findConnection } from './resources/serviceConnection';
import { ensureServicePrincipal, ServicePrincipal } from './resources/servicePrincipal';
import { assertShareable, ensureShared, readShareTargets, type ShareTarget, type Sharing } from './resources/sharing';

export type Provisioned = ManagedIdentityProvisioned | AppRegistrationProvisioned;

/** What both variants read and write besides their identity. */
interface CommonProvisioned {
  project: Project;
  subscription: Subscription;
  managementGroup: ManagementGroup;
  roleDefinition: RoleDefinition;
  /** The n-th grant of roleAssignments: its role, then its assignment. */
  [grantRole: `roleDefinition:${number}`]: RoleDefinition;
  [grant: `roleAssignment:${number}`]: Outcome<RoleAssignment>;
  scopeResourceGroup: ResourceGroup;
  existingConnection: ServiceEndpoint | null;
  sharedProjects: ShareTarget[];
  pipelines: Pipeline[];
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
  pipelinePermissions: Outcome<PipelinePermissions>;
  sharing: Outcome<Sharing>;
}

export interface ManagedIdentityProvisioned extends CommonProvisioned {
  identityResourceGroup: ResourceGroup;
  existingIdentity: ManagedIdentity | null;
  identity: Outcome<ManagedIdentity>;
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
      ...commonRunners(request, clients),
      ...grantRunners<ManagedIdentityProvisioned>(request, clients, (done) => ({
        principalId: done.identity.value.principalId,
        created: done.identity.action === 'created',
      })),
      identityResourceGroup: () =>
        lookupResourceGroup(clients, 'identityResourceGroup', azure.subscriptionId, identity.resourceGroup),
      existingIdentity: () => readIdentity(clients, identity.resourceGroup, identity.name),

      identity: (done) => {
        refuseBeforeWriting(request, done, {
          tenantId: done.existingIdentity?.tenantId || request.bootstrap.auth.tenantId,
          clientId: done.existingIdentity?.clientId,
        });
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

export interface AppRegistrationProvisioned extends CommonProvisioned {
  existingApplication: Application | null;
  application: Outcome<Application>;
  servicePrincipal: Outcome<ServicePrincipal>;
}

function provisionAppRegistration(
  request: AppRegistrationRequest,
  plan: readonly Step[],
  clients: Clients,
  onStep: (step: Step, result: unknown) => void,
): Promise<AppRegistrationProvisioned> {
  const { application, devops } = request;
  const tenantId = request.bootstrap.auth.tenantId;
  return runPlan<AppRegistrationProvisioned>(
    stepsOf<AppRegistrationProvisioned>(plan),
    {
      ...commonRunners(request, clients),
      ...grantRunners<AppRegistrationProvisioned>(request, clients, (done) => ({
        principalId: done.servicePrincipal.value.id,
        created: done.servicePrincipal.action === 'created',
      })),
      existingApplication: (done) =>
        readApplication(clients, applicationUniqueName(devops.organization, done.project.id, request.connectionName)),

      application: (done) => {
        refuseBeforeWriting(request, done, { tenantId, clientId: done.existingApplication?.appId });
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

/** The runners both variants share: the reads that validate the request, and what follows the connection. */
function commonRunners(
  request: ProvisioningRequest,
  clients: Clients,
): Omit<Runners<CommonProvisioned>, 'roleAssignment' | 'connection' | 'federatedCredential'> {
  const { azure, devops } = request;
  return {
    project: () => lookupProject(clients, devops.project),
    subscription: () => lookupSubscription(clients, azure.subscriptionId),
    managementGroup: () => lookupManagementGroup(clients, azure.managementGroup?.id ?? ''),
    roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
    scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
    existingConnection: (done) => findConnection(clients, done.project.id, request.connectionName),
    sharedProjects: () => readShareTargets(clients, devops.shareWithProjects, request.connectionName),
    pipelines: (done) => resolvePipelines(clients, done.project, devops.authorizePipelines),
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
  };
}

/**
 * The runners of the roleAssignments lines: the n-th line's role, then its grant to the principal the
 * variant made (`principal`), beside the main role assignment.
 */
function grantRunners<R extends CommonProvisioned>(
  request: ProvisioningRequest,
  clients: Clients,
  principal: (done: R) => { principalId: string; created: boolean },
): Partial<Runners<R>> {
  const runners: Partial<Runners<CommonProvisioned>> = {};
  request.azure.additionalRoles.forEach((grant, index) => {
    const n = index + 1;
    runners[`roleDefinition:${n}`] = () => lookupRoleDefinition(clients, grant.scope, grant.role, { input: 'roleAssignments', line: grant.line });
    runners[`roleAssignment:${n}`] = (done) => {
      const role = done[`roleDefinition:${n}`];
      const { principalId, created } = principal(done as R);
      return ensureRoleAssignment(clients, { scope: grant.scope, principalId, roleDefinitionId: role.id, roleName: role.name }, created);
    };
  });
  return runners as Partial<Runners<R>>;
}

/**
 * Checks, before the first write, that an existing connection of that name may be reused by this identity
 * (`clientId` undefined: the identity does not exist yet) and that the projects to share with have no other
 * connection of that name.
 */
function refuseBeforeWriting(
  request: ProvisioningRequest,
  done: Pick<CommonProvisioned, 'project' | 'existingConnection' | 'sharedProjects'>,
  identity: { tenantId: string; clientId: string | undefined },
): void {
  if (done.existingConnection) {
    assertReusable(
      done.existingConnection,
      { name: request.connectionName, projectName: done.project.name, ...identity },
      request.existingConnection,
    );
  }
  if (done.sharedProjects) assertShareable(done.sharedProjects, request.connectionName, done.existingConnection?.id);
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
  done: { project: Project; subscription: Subscription; managementGroup?: ManagementGroup; scopeResourceGroup?: ResourceGroup },
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
    managementGroup:
      azure.managementGroup && done.managementGroup
        ? { id: done.managementGroup.id, name: azure.managementGroup.name ?? done.managementGroup.displayName }
        : undefined,
    resourceGroupScope:
      azure.resourceGroup && done.scopeResourceGroup
        ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${done.scopeResourceGroup.name}`
        : undefined,
  };
}
