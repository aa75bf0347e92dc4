/**
 * Binds each step of the plan to the resource module that carries it out, for either variant.
 *
 * Every ensure reads, decides with pure functions, and only then writes (resources/outcome.ts WriteOptions):
 * a dry run stops before each write and reports the decision, and the permission preflight checks, before
 * the first write, every permission the decisions already make certain; a later write checks its own
 * before it is sent.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { runPlan, type EngineStep, type Runners } from './engine';
import { applicationUniqueName, connectionTagValue, federatedCredentialName } from './naming';
import { armWriteScopes, identityScope, type Step, type StepId } from './plan';
import type { AppRegistrationRequest, ManagedIdentityRequest, ProvisioningRequest } from './request';
import { replicationPolicy } from './retry';
import { Application, decideApplication, ensureApplication, readApplication } from './resources/application';
import { ensureApplicationCredential } from './resources/applicationCredential';
import { ensureFederatedCredential, FederatedCredential } from './resources/federatedCredential';
import {
  lookupIdentityLocation,
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
import { decideIdentity, DesiredIdentity, ensureIdentity, ManagedIdentity, readIdentity } from './resources/managedIdentity';
import type { Outcome } from './resources/outcome';
import {
  ACTIONS,
  type ArmGrants,
  armRequirement,
  assertPermitted,
  type ConnectionAccess,
  readArmPermissions,
  readConnectionAccess,
  type Requirement,
} from './resources/permissions';
import { ensurePipelinePermissions, PipelinePermissions, resolvePipelines, type Pipeline } from './resources/pipelinePermissions';
import { ensureRoleAssignment, RoleAssignment } from './resources/roleAssignment';
import { assertReusable, Connection, decideConnection, DesiredConnection, ensureConnection, findConnection } from './resources/serviceConnection';
import { ensureServicePrincipal, ServicePrincipal } from './resources/servicePrincipal';
import { assertShareable, ensureShared, readShareTargets, type ShareTarget, type Sharing } from './resources/sharing';

export type Provisioned = ManagedIdentityProvisioned | AppRegistrationProvisioned;

/** The bootstrap identity's permissions at each scope this run writes at, by lower-cased ARM id. */
export type ArmPermissionsByScope = Record<string, ArmGrants>;

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
  azurePermissions: ArmPermissionsByScope;
  devopsPermissions: ConnectionAccess;
  roleAssignment: Outcome<RoleAssignment>;
  connection: Outcome<Connection>;
  federatedCredential: Outcome<FederatedCredential>;
  pipelinePermissions: Outcome<PipelinePermissions>;
  sharing: Outcome<Sharing>;
}

export interface ManagedIdentityProvisioned extends CommonProvisioned {
  identityResourceGroup: ResourceGroup;
  existingIdentity: ManagedIdentity | null;
  identityLocation: string;
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
  const { azure, identity, devops, dryRun } = request;
  const needs = requirements(request);
  // A managed identity and its federated credentials are written in the identity's resource group.
  const identityGroup = identityScope(request);
  const identityFix = `assign it Managed Identity Contributor or Contributor on resource group '${identity.resourceGroup}'`;
  const identityNeeds = {
    identity: (done: CommonProvisioned) => armRequirement(grantsAt(done, identityGroup), ACTIONS.writeIdentity, identityGroup, identityFix),
    credential: (done: CommonProvisioned) =>
      armRequirement(grantsAt(done, identityGroup), ACTIONS.writeFederatedCredential, identityGroup, identityFix),
  };
  const desiredIdentity = (done: ManagedIdentityProvisioned): DesiredIdentity => ({
    resourceGroup: identity.resourceGroup,
    name: identity.name,
    location: identity.location ?? done.identityResourceGroup.location,
    owner: connectionTagValue(devops.organization, done.project.id, request.connectionName),
  });
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
      identityLocation: () => lookupIdentityLocation(clients, azure.subscriptionId, identity.location ?? ''),

      identity: async (done) => {
        // A connection of that name without the identity: a concurrent run may have made both between
        // our two reads, so look again before calling the connection someone else's.
        const existingIdentity =
          done.existingIdentity ?? (done.existingConnection ? await readIdentity(clients, identity.resourceGroup, identity.name) : null);
        const tenantId = existingIdentity?.tenantId || request.bootstrap.auth.tenantId;
        refuseBeforeWriting(request, done, { tenantId, clientId: existingIdentity?.clientId });
        const desired = desiredIdentity(done);
        const identityDecision = decideIdentity(desired, existingIdentity);
        const connectionDecision = decideConnection(
          desiredConnection(request, done, { tenantId, clientId: existingIdentity?.clientId ?? '' }),
          done.existingConnection,
          request.existingConnection,
        );
        // Everything this run will certainly write is checked before its first write. Once the identity
        // exists, its credential and role assignments may exist too: those steps check before they write.
        const certain: Requirement[] = [needs.connection(done, connectionDecision)];
        if (identityDecision === 'create') certain.push(identityNeeds.identity(done), identityNeeds.credential(done), ...needs.roleAssignments(done));
        assertPermitted(certain, 'before any write');
        return ensureIdentity(clients, desired, existingIdentity, { dryRun });
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
          {
            dryRun,
            replication: replicationPolicy(request.replicationWaitSeconds),
            beforeWrite: () => assertPermitted([needs.roleAssignment(done, azure.scope)], 'before this write'),
          },
        ),
      connection: (done) =>
        connectionRunner(request, clients, done, {
          tenantId: done.identity.value.tenantId || request.bootstrap.auth.tenantId,
          clientId: done.identity.value.clientId,
        }),
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
          // A new identity has no credential; nor, in a dry run, does a connection that does not exist yet.
          done.identity.action === 'created' || (dryRun && done.connection.action === 'created'),
          { dryRun, beforeWrite: () => assertPermitted([identityNeeds.credential(done)], 'before this write') },
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
  const { application, devops, dryRun } = request;
  const tenantId = request.bootstrap.auth.tenantId;
  const needs = requirements(request);
  const replication = replicationPolicy(request.replicationWaitSeconds);
  const uniqueName = (done: CommonProvisioned): string => applicationUniqueName(devops.organization, done.project.id, request.connectionName);
  return runPlan<AppRegistrationProvisioned>(
    stepsOf<AppRegistrationProvisioned>(plan),
    {
      ...commonRunners(request, clients),
      ...grantRunners<AppRegistrationProvisioned>(request, clients, (done) => ({
        principalId: done.servicePrincipal.value.id,
        created: done.servicePrincipal.action === 'created',
      })),
      existingApplication: (done) => readApplication(clients, uniqueName(done)),

      application: async (done) => {
        // As for a managed identity: a concurrent run may have made the application and the connection
        // between our reads; look again before calling the connection someone else's.
        const existing = done.existingApplication ?? (done.existingConnection ? await readApplication(clients, uniqueName(done)) : null);
        refuseBeforeWriting(request, done, { tenantId, clientId: existing?.appId });
        const desired = { uniqueName: uniqueName(done), displayName: application.displayName };
        const connectionDecision = decideConnection(
          desiredConnection(request, done, { tenantId, clientId: existing?.appId ?? '' }),
          done.existingConnection,
          request.existingConnection,
        );
        // Microsoft Graph's permissions cannot be read beforehand (Graph answers Authorization_RequestDenied
        // to the write); what ARM and Azure DevOps say is checked here. A new application's service principal
        // cannot hold its role assignments yet, so they are certain writes.
        const certain: Requirement[] = [needs.connection(done, connectionDecision)];
        if (decideApplication(desired, existing) === 'create') certain.push(...needs.roleAssignments(done));
        assertPermitted(certain, 'before any write');
        return ensureApplication(clients, desired, existing, { dryRun, replication });
      },
      servicePrincipal: (done) =>
        ensureServicePrincipal(clients, done.application.value.appId, done.application.action === 'created', { dryRun, replication }),
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
          {
            dryRun,
            replication,
            beforeWrite: () => assertPermitted([needs.roleAssignment(done, request.azure.scope)], 'before this write'),
          },
        ),
      connection: (done) => connectionRunner(request, clients, done, { tenantId, clientId: done.application.value.appId }),
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
          done.application.action === 'created' || (dryRun && done.connection.action === 'created'),
          { dryRun, replication },
        ),
    },
    (id: StepId, result) => onStep(plan.find((s) => s.id === id)!, result),
  );
}

/** The runners both variants share: the reads that validate the request, the preflight, and what follows the connection. */
function commonRunners(
  request: ProvisioningRequest,
  clients: Clients,
): Omit<Runners<CommonProvisioned>, 'roleAssignment' | 'connection' | 'federatedCredential'> {
  const { azure, devops, dryRun } = request;
  // One lookup of the connection of that name serves its step and the permission check that follows it.
  let existingConnection: Promise<ServiceEndpoint | null> | undefined;
  const findExisting = (project: Project) => (existingConnection ??= findConnection(clients, project.id, request.connectionName));
  return {
    project: () => lookupProject(clients, devops.project),
    subscription: () => lookupSubscription(clients, azure.subscriptionId),
    managementGroup: () => lookupManagementGroup(clients, azure.managementGroup?.id ?? ''),
    roleDefinition: () => lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
    scopeResourceGroup: () => lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup ?? ''),
    existingConnection: (done) => findExisting(done.project),
    sharedProjects: () => readShareTargets(clients, devops.shareWithProjects, request.connectionName),
    pipelines: (done) => resolvePipelines(clients, done.project, devops.authorizePipelines),
    azurePermissions: async () => {
      const scopes = armWriteScopes(request);
      const grants = await Promise.all(scopes.map((scope) => readArmPermissions(clients, scope)));
      return Object.fromEntries(scopes.map((scope, index) => [scope.toLowerCase(), grants[index]]));
    },
    devopsPermissions: (done) =>
      readConnectionAccess(
        clients,
        done.project.id,
        findExisting(done.project).then((connection) => connection?.id ?? undefined),
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
        { dryRun },
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
        { dryRun },
      ),
  };
}

/** The connection step of either variant: create, keep or update, the permission checked before a write. */
function connectionRunner(
  request: ProvisioningRequest,
  clients: Clients,
  done: CommonProvisioned,
  identity: { tenantId: string; clientId: string },
): Promise<Outcome<Connection>> {
  const desired = desiredConnection(request, done, identity);
  const needs = requirements(request);
  return ensureConnection(clients, desired, done.existingConnection, request.existingConnection, {
    dryRun: request.dryRun,
    beforeWrite: () =>
      assertPermitted([needs.connection(done, decideConnection(desired, done.existingConnection, request.existingConnection))], 'before this write'),
  });
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
  const needs = requirements(request);
  const replication = replicationPolicy(request.replicationWaitSeconds);
  request.azure.additionalRoles.forEach((grant, index) => {
    const n = index + 1;
    runners[`roleDefinition:${n}`] = () => lookupRoleDefinition(clients, grant.scope, grant.role, { input: 'roleAssignments', line: grant.line });
    runners[`roleAssignment:${n}`] = (done) => {
      const role = done[`roleDefinition:${n}`];
      const { principalId, created } = principal(done as R);
      return ensureRoleAssignment(clients, { scope: grant.scope, principalId, roleDefinitionId: role.id, roleName: role.name }, created, {
        dryRun: request.dryRun,
        replication,
        beforeWrite: () => assertPermitted([needs.roleAssignment(done, grant.scope)], 'before this write'),
      });
    };
  });
  return runners as Partial<Runners<R>>;
}

/** The preflight's reading for one scope (undefined when it was not or could not be read). */
function grantsAt(done: Pick<CommonProvisioned, 'azurePermissions'>, scope: string): ArmGrants {
  return done.azurePermissions?.[scope.toLowerCase()];
}

/** What the Azure DevOps calls run as, for the preflight's lines (devOpsAuth). */
function devopsIdentity(request: ProvisioningRequest): string {
  switch (request.devopsAuth.kind) {
    case 'jobAccessToken':
      return "the pipeline's build service identity";
    case 'bootstrapIdentity':
      return "the bootstrap connection's identity (devOpsAuth bootstrapIdentity)";
    case 'personalAccessToken':
      return `the owner of the token in '${request.devopsAuth.variable}'`;
  }
}

/** The permissions both variants' writes need, against the preflight's reads (see resources/permissions.ts). */
function requirements(request: ProvisioningRequest) {
  const { azure } = request;
  const roleFix = 'assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope';
  const roleAssignment = (done: CommonProvisioned, scope: string): Requirement =>
    armRequirement(grantsAt(done, scope), ACTIONS.writeRoleAssignment, scope, roleFix);
  const who = devopsIdentity(request);
  return {
    roleAssignment,
    /** The main grant and every roleAssignments line. */
    roleAssignments: (done: CommonProvisioned): Requirement[] => [azure.scope, ...azure.additionalRoles.map((g) => g.scope)].map((scope) => roleAssignment(done, scope)),
    connection: (done: CommonProvisioned, decision: 'create' | 'keep' | 'update'): Requirement => {
      if (decision === 'create') {
        return {
          granted: done.devopsPermissions?.create,
          missing: `${who} lacks the Creator role on service connections in project '${done.project.name}' (add it as Creator under Project settings, Service connections, Security)`,
        };
      }
      return {
        granted: decision === 'update' ? done.devopsPermissions?.administer : true,
        missing: `${who} lacks the Administrator role on the service connection '${request.connectionName}', which this run must update (add it as Administrator on that connection's Security page)`,
      };
    },
  };
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
