/**
 * Sharing the connection with other projects: one more project reference per project
 * (PATCH {org}/_apis/serviceendpoint/endpoints/{id} with the project references, answered 204;
 * tests/fixtures/contracts/ado-serviceendpoint-7.2/httpExamples/endpoints/ShareServiceEndpoint.json).
 *
 * Only adds references: projects the connection is shared with already are left as they are, and none
 * is ever removed. Sharing needs the Administrator role on the connection, and the connection's name
 * must be free in each project.
 */
import type { ServiceEndpointProjectReference } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../clients';
import { ConflictError, TaskError } from '../errors';
import { devops } from '../clients/devops';
import { lookupProject, type Project } from './lookups';
import { ENDPOINTS_API, endpointPath, findConnection } from './serviceConnection';

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
export function missingProjects(currentProjectIds: string[], wanted: Project[]): Project[] {
  const current = new Set(currentProjectIds.map((id) => id.toLowerCase()));
  return wanted.filter((project, index) => !current.has(project.id.toLowerCase()) && wanted.findIndex((p) => p.id === project.id) === index);
}

export function toWire(projects: Project[], connectionName: string, description: string): ServiceEndpointProjectReference[] {
  return projects.map((project) => ({ projectReference: { id: project.id, name: project.name }, name: connectionName, description }));
}

/** Adds the connection to `desired.projects`, under its own name; none is ever removed. */
export async function share(clients: Clients, desired: DesiredSharing): Promise<void> {
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
