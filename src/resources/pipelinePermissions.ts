/**
 * Which pipelines may use the connection: "pipeline permissions" of the endpoint resource
 * (tests/fixtures/contracts/ado-pipelinepermissions-7.2; plain REST, azure-devops-node-api has no client for it),
 * and the pipeline definitions the user names, resolved to ids.
 *
 * Only ever adds: an authorization someone granted by hand is kept, and nothing is revoked. Changing
 * pipeline permissions needs the Administrator role on the connection, which the job identity has on a
 * connection it created (https://learn.microsoft.com/azure/devops/pipelines/policies/service-connection-permissions).
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { type Change, planned, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { InputError } from '../errors';
import { describePipeline, type PipelineReference, type ProvisioningRequest } from '../request';
import { devops } from '../clients/devops';
import type { Project } from './lookups';
import type { AppliedConnection } from './serviceConnection';

/** The pipeline-permissions resource type of a service connection. */
const ENDPOINT = 'endpoint';
/**
 * Pipeline permissions are preview-only (7.2-preview.1 in the published spec; 7.1-preview.1 is served
 * too and is what this task asks for); build definitions are released at 7.1.
 */
const PIPELINE_PERMISSIONS_API = '7.1-preview.1';
const BUILD_API = '7.1';

/** {project}/_apis/pipelines/pipelinePermissions/endpoint/{id} (tests/fixtures/contracts/ado-pipelinepermissions-7.2). */
function permissionsPath(project: Project, connectionId: string): string {
  return `${encodeURIComponent(project.id)}/_apis/pipelines/pipelinePermissions/${ENDPOINT}/${encodeURIComponent(connectionId)}`;
}

export interface PipelinePermissions {
  /** "Open access": every pipeline of the project may use the connection. */
  allPipelines: boolean;
  /** Definition ids authorized one by one. */
  pipelineIds: number[];
}

/** ResourcePipelinePermissions as the service reads and writes it. */
export interface WirePermissions {
  resource?: { type?: string; id?: string; name?: string };
  allPipelines?: { authorized?: boolean; authorizedBy?: unknown; authorizedOn?: string } | null;
  pipelines?: Array<{ id?: number; authorized?: boolean; authorizedBy?: unknown; authorizedOn?: string }> | null;
}

export function fromWire(wire: unknown): PipelinePermissions {
  const body = (typeof wire === 'object' && wire !== null ? wire : {}) as WirePermissions;
  return {
    allPipelines: body.allPipelines?.authorized === true,
    pipelineIds: (body.pipelines ?? []).filter((p) => p.authorized === true && typeof p.id === 'number').map((p) => p.id as number),
  };
}

/** What must be added to `current` for `desired`; nothing when all of it is there already. */
export function toAdd(current: PipelinePermissions, desired: PipelinePermissions): PipelinePermissions {
  return {
    allPipelines: desired.allPipelines && !current.allPipelines,
    pipelineIds: desired.pipelineIds.filter((id) => !current.pipelineIds.includes(id)),
  };
}

export function isEmpty(permissions: PipelinePermissions): boolean {
  return !permissions.allPipelines && permissions.pipelineIds.length === 0;
}

/** The PATCH body: only what is to be added; the service merges it into what exists. */
export function toWire(connectionId: string, add: PipelinePermissions): WirePermissions {
  return {
    resource: { type: ENDPOINT, id: connectionId },
    ...(add.allPipelines ? { allPipelines: { authorized: true } } : {}),
    pipelines: add.pipelineIds.map((id) => ({ id, authorized: true })),
  };
}

/** What pipelines may use the connection now. */
async function readPipelinePermissions(clients: Clients, project: Project, connectionId: string): Promise<PipelinePermissions> {
  return fromWire(
    await devops(clients, `read the pipeline permissions of the service connection ${connectionId} in project '${project.name}'`, () =>
      clients.devops.request({ path: permissionsPath(project, connectionId), apiVersion: PIPELINE_PERMISSIONS_API }),
    ),
  );
}

/** Adds `add` (only what is not there yet: the service merges it into what exists) and answers what now is. */
async function addPipelinePermissions(clients: Clients, project: Project, connectionId: string, add: PipelinePermissions): Promise<PipelinePermissions> {
  return fromWire(
    await devops(clients, `authorize pipelines to use the service connection ${connectionId} in project '${project.name}'`, () =>
      // PATCH with a ResourcePipelinePermissions body; answers the permissions as they now are.
      clients.devops.request({
        method: 'PATCH',
        path: permissionsPath(project, connectionId),
        apiVersion: PIPELINE_PERMISSIONS_API,
        body: toWire(connectionId, add),
      }),
    ),
  );
}

// ---- the pipeline permissions' entry of the change set -------------------------------------------

export interface PipelinePermissionsChange extends Change<'update' | 'keep'> {
  project: Project;
  /** What is to be added to what is. */
  add: PipelinePermissions;
}

/** What the read and the decision use. */
interface Observed {
  project: Project;
  connection: ServiceEndpoint | null;
  /** The authorizePipelines lines, resolved. */
  pipelines: Pipeline[];
  /** What pipelines may use the existing connection; undefined when there is none or none is asked for. */
  pipelinePermissions: PipelinePermissions | undefined;
}

/** What pipelines may use the existing connection, when the request authorizes any. */
export async function read(
  request: ProvisioningRequest,
  clients: Clients,
  observed: Omit<Observed, 'pipelinePermissions'>,
): Promise<PipelinePermissions | undefined> {
  const id = observed.connection?.id;
  return id && (request.devops.authorizeAllPipelines || observed.pipelines.length > 0) ? readPipelinePermissions(clients, observed.project, id) : undefined;
}

/** An entry when the request authorizes pipelines: an update when some are not authorized yet. */
export function decide(request: ProvisioningRequest, observed: Observed): PipelinePermissionsChange | undefined {
  const { devops } = request;
  const asked = [
    ...(devops.authorizeAllPipelines ? [`all pipelines of project '${observed.project.name}'`] : []),
    ...(devops.authorizePipelines.length > 0 ? [`pipelines ${devops.authorizePipelines.map(describePipeline).join(', ')}`] : []),
  ].join(' and ');
  if (!asked) return undefined;
  const current = observed.pipelinePermissions ?? { allPipelines: false, pipelineIds: [] };
  const add = toAdd(current, { allPipelines: devops.authorizeAllPipelines, pipelineIds: observed.pipelines.map((p) => p.id) });
  return { action: isEmpty(add) ? 'keep' : 'update', what: `pipeline permissions on the connection: ${asked}`, needs: [], project: observed.project, add };
}

/** Open access the request does not ask for stays: this task never takes a permission back. */
export function warnings(request: ProvisioningRequest, observed: Observed): string[] {
  if (!observed.pipelinePermissions?.allPipelines || request.devops.authorizeAllPipelines) return [];
  return [
    `Input 'authorizeAllPipelines' is false, but every pipeline of project '${observed.project.name}' may already use the service connection '${request.connectionName}'; this task never takes a permission back: restrict it in Project settings, Service connections, the connection, Security, Pipeline permissions.`,
  ];
}

export async function apply(change: PipelinePermissionsChange, after: { connection: AppliedConnection }, run: Run): Promise<Written<undefined>> {
  if (change.action === 'update') await addPipelinePermissions(run.clients, change.project, after.connection.connection.id, change.add);
  return { happened: planned(change), value: undefined };
}

// ---- pipeline definitions by id or name ---------------------------------------------------------

export interface Pipeline {
  id: number;
  name: string;
  /** Folder as Azure DevOps writes it: `\` for the root, `\apps` below it. */
  folder: string;
}

export function definitionsFromWire(wire: unknown): Pipeline[] {
  const value = (typeof wire === 'object' && wire !== null ? (wire as { value?: unknown }).value : undefined) ?? [];
  if (!Array.isArray(value)) return [];
  return (value as { id?: unknown; name?: unknown; path?: string }[])
    .filter((d): d is { id: number; name: string; path?: string } => typeof d?.id === 'number' && typeof d?.name === 'string')
    .map((d) => ({ id: d.id, name: d.name, folder: d.path || '\\' }));
}

/** Folders compare without case and trailing separators: `\Apps\` is `\apps`. */
export function sameFolder(a: string, b: string): boolean {
  const normal = (folder: string): string => `\\${folder.replace(/^\\+|\\+$/g, '')}`.toLowerCase();
  return normal(a) === normal(b);
}

/**
 * Resolves each reference in the project to one definition: ids in one request, each name in its own
 * (the list filters by name on the server; `*` there is a wildcard, so matches are checked exactly here).
 * Fails naming authorizePipelines for a missing id, a missing name, or a name found in several folders.
 */
export async function resolvePipelines(clients: Clients, project: Project, references: PipelineReference[]): Promise<Pipeline[]> {
  const ids = references.flatMap((r) => ('id' in r ? [r.id] : []));
  const names = references.flatMap((r) => ('name' in r ? [r] : []));
  const notFound = (what: string): InputError =>
    new InputError(
      'authorizePipelines',
      // A pipeline is authorized by its definition, so it must exist before this run; Azure DevOps offers no
      // authorization by a name to come. The run that creates it can be queued after this one (README, Use).
      `names ${what}, which is not a pipeline in project '${project.name}' that the pipeline's identity can see. A pipeline must exist before it can be authorized: create it first (Pipelines → New pipeline, or az pipelines create), then re-run; or leave it out, and its first run asks for permission (Permit).`,
    );

  const byIds = async (): Promise<Pipeline[]> => {
    if (ids.length === 0) return [];
    const found = definitionsFromWire(
      await devops(clients, `read the pipelines ${ids.join(', ')} in project '${project.name}'`, () =>
        listDefinitions(clients, project, { definitionIds: ids.join(',') }),
      ),
    );
    const absent = ids.find((id) => !found.some((p) => p.id === id));
    if (absent !== undefined) throw notFound(`the pipeline id ${absent}`);
    return ids.map((id) => found.find((p) => p.id === id)!);
  };
  const byName = async (reference: { name: string; folder?: string }): Promise<Pipeline> => {
    const what = describePipeline(reference);
    const listed = definitionsFromWire(
      await devops(clients, `find the pipeline ${what} in project '${project.name}'`, () =>
        listDefinitions(clients, project, { name: reference.name, path: reference.folder }),
      ),
    );
    const matches = listed.filter(
      (p) => p.name.toLowerCase() === reference.name.toLowerCase() && (!reference.folder || sameFolder(p.folder, reference.folder)),
    );
    if (matches.length === 0) throw notFound(what);
    if (matches.length > 1) {
      throw new InputError(
        'authorizePipelines',
        `names ${what}, which matches pipelines in several folders (${matches.map((p) => p.folder).join(', ')}); write it with its folder, e.g. ${matches[0].folder.replace(/\\$/, '')}\\${matches[0].name}, or use its id.`,
      );
    }
    return matches[0];
  };
  const [fromIds, fromNames] = await Promise.all([byIds(), Promise.all(names.map(byName))]);
  const all = [...fromIds, ...fromNames];
  return all.filter((pipeline, index) => all.findIndex((p) => p.id === pipeline.id) === index);
}

/** GET {org}/{project}/_apis/build/definitions (Definitions - List, 7.1), every page: by exact name and folder, or by ids. */
function listDefinitions(clients: Clients, project: Project, filter: { name?: string; path?: string; definitionIds?: string }): Promise<unknown> {
  return clients.devops.list({ path: `${encodeURIComponent(project.id)}/_apis/build/definitions`, apiVersion: BUILD_API, query: filter });
}
