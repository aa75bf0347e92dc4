/**
 * A removal's reads, before anything is decided or written: the project and the connection, the identity
 * this task would have made for it (read as provisioning reads it: the managed identity at the request's
 * name, or the application by its uniqueName), then what hangs on them side by side: its federated
 * credentials, its role assignments, the other connections that sign in with its client id, the
 * connection's last use, and the permissions every delete needs (the preflight).
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../clients';
import { readArmPermissions, readConnectionAccess } from '../preflight';
import { identityIds, type RemovalIdentity, type RemovalObserved, type RemovalRequest } from './decide';
import { applicationUniqueName, connectionTagValue } from '../resourceNames';
import { readApplication } from '../resources/application';
import { listApplicationCredentials } from '../resources/applicationCredential';
import { type LastUse, readLastUse } from '../resources/connectionUse';
import { listFederatedCredentials } from '../resources/federatedCredential';
import { lookupProject, lookupRoleDefinition, type Project } from '../resources/lookups';
import { identityScope, ownership, readIdentity } from '../resources/managedIdentity';
import { listAssignmentsOf, roleNameOf } from '../resources/roleAssignment';
import { findConnection, listAzureRmConnections } from '../resources/serviceConnection';
import { readServicePrincipal } from '../resources/servicePrincipal';
import { replicationPolicy } from '../retry';
import { together } from '../together';

export type RemovalRead = RemovalObserved & { lastUse?: LastUse | null | { unread: string } };

export async function readForRemoval(request: RemovalRequest, clients: Clients): Promise<RemovalRead> {
  const project = await lookupProject(clients, request.devops.project);
  const [connection, identity] = await together([
    findConnection(clients, project.id, request.connectionName, project.name),
    readRemovalIdentity(request, clients, project),
  ]);
  const connectionProjects = connection ? projectsOf(connection, project) : [];
  const ids = identityIds(identity);
  const principalId = ids?.principalId;
  const [credentials, assignments, others, lastUse] = await together([
    readCredentials(request, clients, identity),
    principalId ? readAssignments(request, clients, connection, principalId) : Promise.resolve([]),
    ids ? otherConnections(clients, connectionProjects.length > 0 ? connectionProjects : [project], connection?.id, ids.clientId) : Promise.resolve([]),
    connection?.id ? readLastUse(clients, project.id, connection.id) : Promise.resolve(undefined),
  ]);
  // Only the grants the request names are removed when the identity stays: their roles are looked up then only,
  // so a removal of everything does not depend on a role scope that may be gone already.
  const grants = principalId && (!request.removeIdentity || others.length > 0) ? await requestedGrants(request, clients) : [];
  // The preflight: every scope a delete goes to, read once the assignments are known.
  const scopes = [...(request.identityType === 'managedIdentity' ? [identityScope(request)] : []), ...assignments.map((assignment) => assignment.scope)];
  const distinct = scopes.filter((scope, index) => scopes.findIndex((other) => other.toLowerCase() === scope.toLowerCase()) === index);
  const [permissions, devopsAccess] = await together([
    Promise.all(distinct.map((scope) => readArmPermissions(clients, scope))),
    readConnectionAccess(clients, project.id, Promise.resolve(connection?.id ?? undefined)),
  ]);
  return {
    project,
    connection,
    connectionProjects,
    identity,
    credentials,
    assignments,
    grants,
    others,
    lastUse,
    armPermissions: Object.fromEntries(distinct.map((scope, index) => [scope.toLowerCase(), permissions[index]])),
    devopsAccess,
  };
}

/** The grants the request names: roleDefinitionName at the role scope, and each roleAssignments line. */
function requestedGrants(request: RemovalRequest, clients: Clients): Promise<RemovalObserved['grants']> {
  const { azure } = request;
  return together(
    [{ scope: azure.scope, role: azure.roleDefinitionName, line: undefined }, ...azure.additionalRoles].map(async (grant) => ({
      scope: grant.scope,
      role: await lookupRoleDefinition(clients, grant.scope, grant.role, grant.line === undefined ? undefined : { input: 'roleAssignments', line: grant.line }),
    })),
  );
}

/** The identity at the request's name (or the earlier default name, when tagged for this connection), or the application by its uniqueName. */
async function readRemovalIdentity(request: RemovalRequest, clients: Clients, project: Project): Promise<RemovalIdentity> {
  if (request.identityType === 'appRegistration') {
    const application = await readApplication(clients, applicationUniqueName(request.devops.organization, project.id, request.connectionName));
    return { kind: 'appRegistration', application, servicePrincipal: application ? await readServicePrincipal(clients, application.appId) : null };
  }
  const { resourceGroup, name, earlierName } = request.identity;
  const existing = await readIdentity(clients, resourceGroup, name);
  if (existing || !earlierName) return { kind: 'managedIdentity', existing };
  const earlier = await readIdentity(clients, resourceGroup, earlierName);
  const owner = connectionTagValue(request.devops.organization, project.id, request.connectionName);
  return { kind: 'managedIdentity', existing: earlier && ownership(earlier, owner) === 'ours' ? earlier : null };
}

/** The projects the connection is in, by its project references (its own project's name as read). */
function projectsOf(connection: ServiceEndpoint, own: Project): Project[] {
  const references = (connection.serviceEndpointProjectReferences ?? [])
    .map((reference) => ({ id: reference.projectReference?.id ?? '', name: reference.projectReference?.name ?? '' }))
    .filter((reference) => reference.id);
  const others = references.filter((reference) => reference.id.toLowerCase() !== own.id.toLowerCase());
  return [own, ...others.map((reference) => ({ id: reference.id, name: reference.name || reference.id }))];
}

async function readCredentials(request: RemovalRequest, clients: Clients, identity: RemovalIdentity): Promise<RemovalObserved['credentials']> {
  if (identity.kind === 'managedIdentity')
    return identity.existing ? listFederatedCredentials(clients, identity.existing.resourceGroup, identity.existing.name) : [];
  return identity.application ? listApplicationCredentials(clients, identity.application, replicationPolicy(request.replicationWaitSeconds)) : [];
}

/**
 * The principal's assignments ARM lists at the subscription (those at it, above it and below it: every
 * resource group), at the request's and the connection's management group, and at any roleAssignments scope
 * outside the subscription; each once.
 */
async function readAssignments(
  request: RemovalRequest,
  clients: Clients,
  connection: ServiceEndpoint | null,
  principalId: string,
): Promise<RemovalObserved['assignments']> {
  const subscription = `/subscriptions/${request.azure.subscriptionId}`;
  const group = request.azure.managementGroup?.id ?? connection?.data?.managementGroupId;
  const scopes = [
    subscription,
    ...(group ? [`/providers/Microsoft.Management/managementGroups/${group}`] : []),
    ...request.azure.additionalRoles.map((grant) => grant.scope).filter((scope) => !scope.toLowerCase().startsWith(`${subscription.toLowerCase()}/`)),
  ];
  const distinct = scopes.filter((scope, index) => scopes.findIndex((other) => other.toLowerCase() === scope.toLowerCase()) === index);
  const lists = await Promise.all(distinct.map((scope) => listAssignmentsOf(clients, scope, principalId)));
  const all = lists.flat();
  const distinctAssignments = all.filter((assignment, index) => all.findIndex((other) => other.id.toLowerCase() === assignment.id.toLowerCase()) === index);
  // The role's name for the lines: one read per role, side by side.
  const roles = [...new Set(distinctAssignments.map((assignment) => assignment.roleDefinitionId))];
  const names = await Promise.all(roles.map((role) => roleNameOf(clients, role)));
  return distinctAssignments.map((assignment) => ({ ...assignment, roleName: names[roles.indexOf(assignment.roleDefinitionId)] }));
}

/** The connections other than ours, in the projects read, that sign in with `clientId`. */
async function otherConnections(clients: Clients, projects: Project[], ours: string | undefined, clientId: string): Promise<RemovalObserved['others']> {
  const lists = await Promise.all(projects.map(async (project) => ({ project, connections: await listAzureRmConnections(clients, project.id, project.name) })));
  const found = lists.flatMap(({ project, connections }) =>
    connections
      .filter(
        (c) => c.id?.toLowerCase() !== ours?.toLowerCase() && (c.authorization?.parameters?.serviceprincipalid ?? '').toLowerCase() === clientId.toLowerCase(),
      )
      .map((c) => ({ id: c.id ?? '', name: c.name ?? '', projectName: project.name })),
  );
  return found.filter((c, index) => found.findIndex((other) => other.id === c.id) === index).map(({ name, projectName }) => ({ name, projectName }));
}
