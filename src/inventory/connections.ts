/**
 * The inventory's Azure DevOps reads (docs/wire.md, "Inventory reads"): the projects (paged with
 * x-ms-continuationtoken), each project's AzureRM connections with their details and the failed ones, the
 * newest execution record of a connection, and TestConnection; and the pure converter of a connection's
 * wire shape. A refusal (401, 403, 404 of a project that was listed) is `Unreadable`, naming the role that
 * would let the run read it; an answer that is not JSON, or a JSON that is not the shape, is a failure.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { TeamProjectReference } from 'azure-devops-node-api/interfaces/CoreInterfaces';
import { type Clock } from '../clock';
import { devops, type PacedDevOpsRest } from '../clients/devops';
import { ServiceError, type TaskError } from '../errors';
import { EXECUTION_HISTORY_API, lastUseFromWire } from '../resources/connectionUse';
import { ENDPOINTS_API } from '../resources/serviceConnection';
import { verdictOf } from '../resources/verification';
import type { Connection, LastUse, Unreadable, Verified } from './model';

/** Projects - List and Projects - Get (core 7.2; the same version lookups.ts reads a project with). */
const PROJECTS_API = '7.2-preview.4';
/** Endpointproxy - Execute Service Endpoint Request, as src/resources/verification.ts sends it. */
const ENDPOINT_PROXY_API = '7.2-preview.1';

export interface DevOpsReads {
  clock: Clock;
  devops: PacedDevOpsRest;
}

export interface ProjectRef {
  id: string;
  name: string;
}

/** A refusal of Azure DevOps as an Unreadable (401, 403; 404 for a project or connection it listed); anything else is raised. */
export function refusedByDevOps(error: unknown, grant: string): Unreadable {
  const failure = error as TaskError;
  if (failure?.status !== 401 && failure?.status !== 403 && failure?.status !== 404) throw error;
  return { unreadable: true, reason: `HTTP ${failure.status}${failure.code ? ` ${failure.code}` : ''}: ${failure.message}`, grant };
}

/** Every project the identity may read (organization scope), page after page. */
export async function listProjects(reads: DevOpsReads): Promise<ProjectRef[]> {
  const page = await devops(reads, 'list the projects of the organization', () =>
    reads.devops.list<TeamProjectReference>({ path: '_apis/projects', apiVersion: PROJECTS_API }),
  );
  return page.value.map((project) => ({ id: text(project.id, 'a project id'), name: text(project.name, 'a project name') }));
}

/** The project input's project (project scope). */
export async function readProject(reads: DevOpsReads, project: string): Promise<ProjectRef> {
  const found = await devops(reads, `read the project '${project}'`, () =>
    reads.devops.request<TeamProjectReference>({ path: `_apis/projects/${encodeURIComponent(project)}`, apiVersion: PROJECTS_API }),
  );
  return { id: text(found?.id, 'a project id'), name: text(found?.name, 'a project name') };
}

/**
 * A project's AzureRM connections, the failed ones included (includeFailed), with their authorization
 * parameters and data (includeDetails). The list has no paging (docs/wire.md).
 */
export async function listConnections(reads: DevOpsReads, project: ProjectRef): Promise<ServiceEndpoint[] | Unreadable> {
  const operation = `list the service connections of the project '${project.name}'`;
  return devops(reads, operation, () =>
    reads.devops.list<ServiceEndpoint>({
      path: `${encodeURIComponent(project.id)}/_apis/serviceendpoint/endpoints`,
      apiVersion: ENDPOINTS_API,
      query: { type: 'azurerm', includeFailed: 'true', includeDetails: 'true' },
    }),
  ).then(
    (page) => page.value,
    (error: unknown) =>
      refusedByDevOps(error, `the Reader role on service connections in the project '${project.name}' (Project settings, Service connections, Security)`),
  );
}

/**
 * The newest execution record (newest first, top=1; src/resources/connectionUse.ts reads it): its finishTime,
 * else its startTime; `at: null` when there is none. The continuation token of older records is not followed:
 * the newest is all it needs. An answer without a list of records is a failure, never "no record".
 */
export async function readLastUse(reads: DevOpsReads, connection: Connection): Promise<LastUse> {
  const operation = `read the execution history of the service connection '${connection.name}'`;
  return devops(reads, operation, () =>
    reads.devops.request<unknown>({
      path: `${encodeURIComponent(connection.project.id)}/_apis/serviceendpoint/${encodeURIComponent(connection.id)}/executionhistory`,
      apiVersion: EXECUTION_HISTORY_API,
      query: { top: '1' },
    }),
  ).then(
    (answer) => {
      const use = lastUseFromWire(answer);
      if (use === undefined) throw new ServiceError('Azure DevOps answered without a list of execution records', { operation, code: 'UnreadableAnswer' });
      return { at: use?.at === undefined ? null : new Date(use.at).toISOString() };
    },
    (error: unknown) => refusedByDevOps(error, `the User role on the service connection '${connection.name}'`),
  );
}

/** One TestConnection through the endpoint proxy: its verdict, asked once (the bound is the caller's). */
export async function testConnection(reads: DevOpsReads, connection: Connection): Promise<Verified> {
  const operation = `verify the service connection '${connection.name}'`;
  return devops(reads, operation, () =>
    reads.devops.request<unknown>({
      method: 'POST',
      path: `${encodeURIComponent(connection.project.id)}/_apis/serviceendpoint/endpointproxy`,
      apiVersion: ENDPOINT_PROXY_API,
      query: { endpointId: connection.id },
      body: { dataSourceDetails: { dataSourceName: 'TestConnection' } },
    }),
  ).then(
    (answer) => {
      const verdict = verdictOf(answer as Parameters<typeof verdictOf>[0]);
      return verdict.verified ? { ok: true, message: null } : { ok: false, message: verdict.message };
    },
    (error: unknown) => refusedByDevOps(error, `the User role on the service connection '${connection.name}'`),
  );
}

/**
 * A connection's wire shape as the inventory's model (pure). Shared connections carry every project
 * reference; the first is the owning project (the report schema). A caller without a role on the
 * connection gets type, data and authorization null (ado-serviceendpoint-get-real): `partial`.
 */
export function connectionFromWire(wire: ServiceEndpoint, listedIn: ProjectRef): Connection {
  const references = (wire.serviceEndpointProjectReferences ?? []).filter((r) => r?.projectReference?.id);
  const owner = references[0]?.projectReference;
  const parameters = (wire.authorization?.parameters ?? {}) as Record<string, string | null | undefined>;
  const data = (wire.data ?? {}) as Record<string, string | null | undefined>;
  const value = (v: string | null | undefined): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined);
  const scope = value(parameters.scope);
  const state = wire.operationStatus as { state?: unknown; statusMessage?: unknown } | undefined;
  return {
    id: text(wire.id, 'a connection id'),
    name: text(wire.name, 'a connection name'),
    project: owner ? { id: String(owner.id), name: String(owner.name ?? listedIn.name) } : listedIn,
    sharedWith: references.slice(1).map((r) => String(r.projectReference?.name ?? r.projectReference?.id)),
    scheme: value(wire.authorization?.scheme) ?? '',
    authenticationType: value(parameters.authenticationType),
    creationMode: value(data.creationMode),
    environment: value(data.environment),
    scopeLevel: value(data.scopeLevel),
    subscriptionId: value(data.subscriptionId),
    resourceGroup: scope ? /\/resourcegroups\/([^/]+)/i.exec(scope)?.[1] : undefined,
    managementGroupId: value(data.managementGroupId),
    tenantId: value(parameters.tenantid),
    clientId: value(parameters.serviceprincipalid),
    issuer: value(parameters.workloadIdentityFederationIssuer),
    subject: value(parameters.workloadIdentityFederationSubject),
    revertSchemeDeadline: value(data.revertSchemeDeadline),
    isDisabled: wire.isDisabled === true,
    isReady: typeof wire.isReady === 'boolean' ? wire.isReady : undefined,
    operation:
      state && typeof state.state === 'string'
        ? { state: state.state, message: typeof state.statusMessage === 'string' ? state.statusMessage : '' }
        : undefined,
    partial: wire.authorization === null || wire.type === null,
  };
}

function text(value: unknown, what: string): string {
  if (typeof value !== 'string' || value === '') throw new ServiceError(`Azure DevOps answered without ${what}`, { code: 'UnreadableAnswer' });
  return value;
}
