/**
 * Read: everything a run needs to know before it decides, read side by side. Nothing is written here, so a
 * request naming a missing project, resource group, management group or role writes nothing; the
 * permission preflight's reads (what the bootstrap identity may do at the scopes this run writes at, what
 * the Azure DevOps identity may do with service connections) run beside the others.
 *
 * A read that needs an earlier answer waits for that one only: the connection lookup for the project. The
 * resources' own reads (their `read` in resources/index.ts: an existing identity's role assignments and
 * credentials, an existing connection's pipeline permissions and checks) follow once the identity and the
 * connection are found; on a first run nothing exists, and they read nothing.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from './clients';
import { type ArmPermissions, type ConnectionAccess, readArmPermissions, readConnectionAccess } from './preflight';
import type { AppRegistrationRequest, ManagedIdentityRequest, ProvisioningRequest } from './request';
import { applicationUniqueName, connectionTagValue } from './resourceNames';
import { type Key, KEYS, RESOURCES } from './resources';
import { readApplication, readSameName } from './resources/application';
import { type Approver, resolveApprovers } from './resources/approvers';
import type { ObservedIdentity } from './resources/identity';
import {
  lookupIdentityLocation,
  lookupManagementGroup,
  lookupProject,
  lookupResourceGroup,
  lookupRoleDefinition,
  lookupSubscription,
  type ManagementGroup,
  type Project,
  type ResourceGroup,
  type Subscription,
} from './resources/lookups';
import { identityScope, type ManagedIdentity, ownership, readIdentity } from './resources/managedIdentity';
import { type Pipeline, resolvePipelines } from './resources/pipelinePermissions';
import type { Grant } from './resources/roleAssignment';
import { findConnection } from './resources/serviceConnection';
import { readServicePrincipal } from './resources/servicePrincipal';
import { readShareTargets, type ShareTarget } from './resources/sharing';
import { together } from './together';

/** What a run reads first, side by side: what the request names, the identity and the connection, and the preflight. */
export interface Found {
  project: Project;
  subscription: Subscription;
  managementGroup?: ManagementGroup;
  /** The role scope's resource group, when the role is granted on one. */
  scopeResourceGroup?: ResourceGroup;
  /** The main grant first, then one per roleAssignments line. */
  grants: Grant[];
  /** The connection of that name in the project, if any. */
  connection: ServiceEndpoint | null;
  shareTargets: ShareTarget[];
  pipelines: Pipeline[];
  identity: ObservedIdentity;
  /** The preflight: the bootstrap identity's permissions at each ARM scope this run writes at, by lower-cased id. */
  armPermissions: Record<string, ArmPermissions>;
  devopsAccess: ConnectionAccess;
  /** The approvers lines as identities (empty without approvers). */
  approvers: Approver[];
}

/** The resources of the list that read what exists of them once the identity and the connection are known. */
type ReadKey = { [K in Key]: (typeof RESOURCES)[K] extends { read: unknown } ? K : never }[Key];

/** Each such read, given what was found: one that needs what the run does not find does not compile. */
const READS: { [K in ReadKey]: { read: (request: ProvisioningRequest, clients: Clients, found: Found) => ReturnType<(typeof RESOURCES)[K]['read']> } } =
  RESOURCES;

/** Everything a run reads before it decides: what it found, and what exists of each resource that reads it after. */
export type Observed = Found & { [K in ReadKey]: Awaited<ReturnType<(typeof RESOURCES)[K]['read']>> };

export async function read(request: ProvisioningRequest, clients: Clients): Promise<Observed> {
  const { azure, devops } = request;
  const project = lookupProject(clients, devops.project);
  const connection = project.then((p) => findConnection(clients, p.id, request.connectionName, p.name));
  const identity =
    request.identityType === 'appRegistration'
      ? readAppRegistration(request, clients, project, connection)
      : readManagedIdentity(request, clients, project, connection);
  const scopes = armWriteScopes(request);
  const grants = together([
    lookupRoleDefinition(clients, azure.scope, azure.roleDefinitionName),
    ...azure.additionalRoles.map((grant) => lookupRoleDefinition(clients, grant.scope, grant.role, { input: 'roleAssignments', line: grant.line })),
  ]);
  // Approvers are resolved on every run, so an unknown name fails before any write.
  const approvers = resolveApprovers(clients, request.checks.approvers);
  const roleScopeGroup = azure.resourceGroup ? lookupResourceGroup(clients, 'resourceGroup', azure.subscriptionId, azure.resourceGroup) : undefined;

  // The order is the order failures are reported in: the scopes before the roles looked up at them, the
  // project before what lives in it.
  const [
    p,
    subscription,
    managementGroup,
    scopeResourceGroup,
    roles,
    existingConnection,
    shareTargets,
    pipelines,
    observedIdentity,
    armPermissions,
    devopsAccess,
    approverList,
  ] = await together([
    project,
    lookupSubscription(clients, azure.subscriptionId),
    azure.managementGroup ? lookupManagementGroup(clients, azure.managementGroup.id) : Promise.resolve(undefined),
    roleScopeGroup ?? Promise.resolve(undefined),
    grants,
    connection,
    devops.shareWithProjects.length > 0 ? readShareTargets(clients, devops.shareWithProjects, request.connectionName) : Promise.resolve([]),
    devops.authorizePipelines.length > 0 ? project.then((p) => resolvePipelines(clients, p, devops.authorizePipelines)) : Promise.resolve([]),
    identity,
    Promise.all(scopes.map((scope) => readArmPermissions(clients, scope))),
    project.then((p) =>
      readConnectionAccess(
        clients,
        p.id,
        connection.then((c) => c?.id ?? undefined),
      ),
    ),
    approvers,
  ]);
  const found: Found = {
    project: p,
    subscription,
    managementGroup,
    scopeResourceGroup,
    grants: [
      { scope: roleScope(request, scopeResourceGroup), role: roles[0] },
      ...azure.additionalRoles.map((g, i) => ({ scope: g.scope, role: roles[i + 1] })),
    ],
    connection: existingConnection,
    shareTargets,
    pipelines,
    identity: observedIdentity,
    armPermissions: Object.fromEntries(scopes.map((scope, index) => [scope.toLowerCase(), armPermissions[index]])),
    devopsAccess,
    approvers: approverList,
  };

  // What the identity and the connection already hold, when they exist: the resources' own reads.
  const keys = KEYS.filter((key): key is ReadKey => 'read' in RESOURCES[key]);
  const existing = await together(keys.map((key) => READS[key].read(request, clients, found)));
  return { ...found, ...Object.fromEntries(keys.map((key, index) => [key, existing[index]])) } as Observed;
}

async function readManagedIdentity(
  request: ManagedIdentityRequest,
  clients: Clients,
  project: Promise<Project>,
  connection: Promise<ServiceEndpoint | null>,
): Promise<ObservedIdentity> {
  const { azure, identity } = request;
  const [resourceGroup, existing, region] = await together([
    lookupResourceGroup(clients, 'identityResourceGroup', azure.subscriptionId, identity.resourceGroup),
    readIdentity(clients, identity.resourceGroup, identity.name),
    identity.location ? lookupIdentityLocation(clients, azure.subscriptionId, identity.location) : Promise.resolve(undefined),
  ]);
  // A connection of that name without the identity: a concurrent run may have made both between our two
  // reads, so look again before calling the connection someone else's.
  const again = !existing && (await connection.catch(() => null)) ? await readIdentity(clients, identity.resourceGroup, identity.name) : existing;
  return { kind: 'managedIdentity', resourceGroup, existing: again ?? (await earlierIdentity(request, clients, project)), region };
}

/**
 * The identity an earlier version made under its default name (without the hash resourceNames.ts now adds), when it
 * is tagged for this very connection: another connection's identity of that name is left alone.
 */
async function earlierIdentity(request: ManagedIdentityRequest, clients: Clients, project: Promise<Project>): Promise<ManagedIdentity | null> {
  const { earlierName, resourceGroup } = request.identity;
  if (!earlierName) return null;
  const [found, p] = await Promise.all([readIdentity(clients, resourceGroup, earlierName), project]);
  const owner = connectionTagValue(request.devops.organization, p.id, request.connectionName);
  return found && ownership(found, owner) === 'ours' ? found : null;
}

async function readAppRegistration(
  request: AppRegistrationRequest,
  clients: Clients,
  project: Promise<Project>,
  connection: Promise<ServiceEndpoint | null>,
): Promise<ObservedIdentity> {
  // Its uniqueName is made from the project's id.
  // Other applications of the display name are listed beside the project read: a new application's warning needs them.
  const sameName = readSameName(clients, request.application.displayName);
  const uniqueName = applicationUniqueName(request.devops.organization, (await project).id, request.connectionName);
  let application = await readApplication(clients, uniqueName);
  // As for a managed identity: a concurrent run may have made both between our reads; look again.
  if (!application && (await connection.catch(() => null))) application = await readApplication(clients, uniqueName);
  const servicePrincipal = application ? await readServicePrincipal(clients, application.appId) : null;
  return { kind: 'appRegistration', uniqueName, application, servicePrincipal, sameName: await sameName };
}

/**
 * The ARM scopes this request writes at, each once (ARM ids compare case-insensitively): the identity's
 * resource group (a managed identity and its federated credentials), the role scope and every
 * roleAssignments scope (role assignments).
 */
export function armWriteScopes(request: ProvisioningRequest): string[] {
  const { azure } = request;
  const scopes = [
    ...(request.identityType === 'managedIdentity' ? [identityScope(request)] : []),
    azure.scope,
    ...azure.additionalRoles.map((grant) => grant.scope),
  ];
  return scopes.filter((scope, index) => scopes.findIndex((other) => other.toLowerCase() === scope.toLowerCase()) === index);
}

/** The role scope, with the resource group's name as ARM spells it. */
function roleScope(request: ProvisioningRequest, scopeResourceGroup: ResourceGroup | undefined): string {
  const { azure } = request;
  return azure.resourceGroup && scopeResourceGroup ? `/subscriptions/${azure.subscriptionId}/resourceGroups/${scopeResourceGroup.name}` : azure.scope;
}
