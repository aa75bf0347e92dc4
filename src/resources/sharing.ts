/**
 * Sharing the connection with other projects: one more project reference per project
 * (PATCH {org}/_apis/serviceendpoint/endpoints/{id} with the project references, answered 204;
 * tests/fixtures/contracts/ado-serviceendpoint-7.2/httpExamples/endpoints/ShareServiceEndpoint.json).
 *
 * Only adds references: projects the connection is shared with already are left as they are, and none
 * is ever removed. Sharing needs the Administrator role on the connection, and the connection's name
 * must be free in each project.
 */
import type { ServiceEndpoint, ServiceEndpointProjectReference } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { type Change, planned, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { ConflictError, TaskError } from '../errors';
import type { ProvisioningRequest } from '../request';
import { devops } from '../clients/devops';
import { lookupProject, type Project } from './lookups';
import { type AppliedConnection, ENDPOINTS_API, endpointPath, findConnection } from './serviceConnection';
import { fromWire as connectionFromWire } from './serviceConnectionWire';

/** A project to share with, and the id of a connection of the same name already in it, if any. */
export interface ShareTarget {
  project: Project;
  sameNameConnectionId?: string;
}

/**
 * Reads each project (waiting while one is still being created) and looks for a connection of the
 * same name in it, so a name clash is found before anything is written.
 */
export async function readShareTargets(clients: Clients, projects: string[], connectionName: string): Promise<ShareTarget[]> {
  return Promise.all(
    projects.map(async (name) => {
      const project = await lookupProject(clients, name, 'shareWithProjects');
      const sameName = await findConnection(clients, project.id, connectionName, project.name);
      return { project, sameNameConnectionId: sameName?.id };
    }),
  );
}

/**
 * Refuses to share into a project that has another connection of the same name: Azure DevOps would
 * refuse it (DuplicateServiceConnectionException) after the connection was already made.
 * `connectionId` is the existing connection's id, or undefined when it is yet to be created.
 */
export function assertShareable(targets: ShareTarget[], connectionName: string, connectionId: string | undefined): void {
  const clash = targets.find((t) => t.sameNameConnectionId && t.sameNameConnectionId.toLowerCase() !== connectionId?.toLowerCase());
  if (clash) {
    throw new ConflictError(`project '${clash.project.name}' already has another service connection named '${connectionName}'`, {
      operation: `share the service connection '${connectionName}' with '${clash.project.name}'`,
      hint: 'Rename or remove that connection, or leave that project out of shareWithProjects',
    });
  }
}

export interface DesiredSharing {
  connectionId: string;
  /** The name the connection gets in each project: its own. */
  connectionName: string;
  description: string;
  projects: Project[];
}

/** The projects the connection is not in yet, each once. */
export function projectsToAdd(currentProjectIds: string[], wanted: Project[]): Project[] {
  const current = new Set(currentProjectIds.map((id) => id.toLowerCase()));
  return wanted.filter((project, index) => !current.has(project.id.toLowerCase()) && wanted.findIndex((p) => p.id === project.id) === index);
}

export function toWire(projects: Project[], connectionName: string, description: string): ServiceEndpointProjectReference[] {
  return projects.map((project) => ({ projectReference: { id: project.id, name: project.name }, name: connectionName, description }));
}

/** Adds the connection to `desired.projects`, under its own name; none is ever removed. */
async function share(clients: Clients, desired: DesiredSharing): Promise<void> {
  const names = desired.projects.map((p) => `'${p.name}'`).join(', ');
  try {
    await devops(clients, `share the service connection '${desired.connectionName}' with ${names}`, async () =>
      clients.devops.request({
        method: 'PATCH',
        path: endpointPath(desired.connectionId),
        apiVersion: ENDPOINTS_API,
        body: toWire(desired.projects, desired.connectionName, desired.description),
      }),
    );
  } catch (error) {
    if ((error as TaskError).code !== 'DuplicateServiceConnectionException') throw error;
    throw new ConflictError(`another service connection named '${desired.connectionName}' exists in one of ${names}`, {
      operation: `share the service connection '${desired.connectionName}'`,
      code: 'DuplicateServiceConnectionException',
      hint: 'Rename or remove that connection, or leave that project out of shareWithProjects',
    });
  }
}

export interface SharingChange extends Change<'update' | 'keep'> {
  /** Projects the connection is to be added to. */
  add: Project[];
}

/** What the decision reads. */
interface Observed {
  project: Project;
  connection: ServiceEndpoint | null;
  shareTargets: ShareTarget[];
}

/** An entry when the request shares the connection: an update when some projects do not have it yet. Refuses a name clash. */
export function decide(request: ProvisioningRequest, observed: Observed): SharingChange | undefined {
  const { connection } = observed;
  assertShareable(observed.shareTargets, request.connectionName, connection?.id ?? undefined);
  const names = request.devops.shareWithProjects;
  if (names.length === 0) return undefined;
  const inProjects = connection ? connectionFromWire(connection).projectIds : [observed.project.id];
  const add = projectsToAdd(
    inProjects,
    observed.shareTargets.map((target) => target.project),
  );
  const what = `the connection is shared with projects ${names.map((name) => `'${name}'`).join(', ')}`;
  return { action: add.length > 0 ? 'update' : 'keep', what, needs: [], add };
}

/** Projects the connection is shared with that the request does not list: this task never unshares. */
export function warnings(request: ProvisioningRequest, observed: Observed): string[] {
  const { connection } = observed;
  if (!connection) return [];
  const own = observed.project.id.toLowerCase();
  const wanted = new Set(observed.shareTargets.map((target) => target.project.id.toLowerCase()));
  const others = (connection.serviceEndpointProjectReferences ?? [])
    .map((reference) => reference.projectReference)
    .filter((project) => project?.id && project.id.toLowerCase() !== own && !wanted.has(project.id.toLowerCase()));
  if (others.length === 0) return [];
  const names = others.map((project) => `'${project?.name || project?.id}'`).join(', ');
  return [
    `Input 'shareWithProjects' does not list ${names}, which the service connection '${connection.name ?? request.connectionName}' is shared with; this task never unshares: stop sharing it in Project settings, Service connections, the connection, Security (or add the project to shareWithProjects).`,
  ];
}

export async function apply(change: SharingChange, after: { connection: AppliedConnection }, run: Run): Promise<Written<undefined>> {
  const { request } = run;
  const { connection } = after.connection;
  if (change.action === 'update') {
    await share(run.clients, {
      connectionId: connection.id,
      connectionName: connection.name || request.connectionName,
      description: request.connectionDescription,
      projects: change.add,
    });
  }
  return { happened: planned(change), value: undefined };
}
