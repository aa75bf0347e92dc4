/**
 * Azure DevOps pipeline definitions (build definitions, Definitions - List 7.1) and pipeline permissions
 * of protected resources (tests/fixtures/contracts/ado-pipelinepermissions-7.2).
 *
 * Pipeline permissions: GET answers {resource, pipelines[], allPipelines?} as in
 * GET__GetPipelinePermissionsForResource.json; PATCH merges the given pipelines and allPipelines into what
 * exists (authorized true adds or refreshes, false removes) and answers the result, as in
 * PATCH__UpdatePipelinePermissionsForResource.json. Reading needs the Reader role in the project; changing
 * needs the Administrator role on the service connection ("you'll need the administrator role to ... edit
 * its Security configuration. When you don't [have it], the Grant access permission to all pipelines option
 * is disabled": Microsoft's "Add an admin role to a protected resource"). The creator of a connection has
 * that role on it.
 *
 * Assumed where the contracts say nothing: an unknown connection id or pipeline id answers 404 with the
 * service's not-found exception types.
 */
import { jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { ADO_TYPES, adoError, hasRole, projectRole, type DevOpsCaller } from './devops-common';
import type { ServiceEndpointsResource } from './devops-endpoints';
import type { ApiResourceLocation } from './devops-locations';
import { identityReference, type PipelinePermissionsRecord, type ProjectRecord } from './devops-records';
import { type EmulatorState } from './state';
import { type PipelineFacts } from './world';

/**
 * Versions of the pipeline-permissions resource: preview only (the 7.2 spec and the 6.1 examples carry
 * -preview.1). Its location id is not published (the spec names only the resource area
 * a81a0441-de52-4000-aa15-ff0e07bfbbaa) and no client negotiates it, so it is not served by OPTIONS.
 */
export const PIPELINE_PERMISSIONS_VERSIONS: ApiResourceLocation = {
  id: '',
  area: 'pipelinePermissions',
  resourceName: 'pipelinePermissions',
  routeTemplate: '{project}/_apis/pipelines/{resource}/{resourceType}/{resourceId}',
  resourceVersion: 1,
  minVersion: '6.1',
  maxVersion: '7.2',
  releasedVersion: '0.0',
};

const RESOURCE_TYPES = ['endpoint', 'queue', 'environment', 'variablegroup', 'securefile', 'repository'];
const DEFINITION_NOT_FOUND = 'Microsoft.TeamFoundation.Build.WebApi.DefinitionNotFoundException, Microsoft.TeamFoundation.Build2.WebApi';

export class PipelinesResource {
  constructor(
    private readonly state: EmulatorState,
    private readonly endpoints: ServiceEndpointsResource,
  ) {}

  // ---- build definitions ----------------------------------------------------------------------------

  /**
   * GET {org}/{project}/_apis/build/definitions: `name` matches the whole name without case, `*` as a
   * wildcard ("FabCI" or "Fab*", az pipelines build definition list --name); `path` keeps the definitions
   * in that folder or below it; `definitionIds` is a comma-separated list.
   */
  listDefinitions(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord): EmulatorResponse {
    if (!hasRole(projectRole(this.state, caller, project), 'Reader')) return jsonResponse(200, { count: 0, value: [] });
    const name = request.query.get('name');
    const path = request.query.get('path');
    const ids = (request.query.get('definitionIds') ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (ids.some((id) => !/^\d+$/.test(id))) {
      return adoError(400, ADO_TYPES.argument, `The value '${request.query.get('definitionIds')}' is not valid for definitionIds.`);
    }
    const pattern = name ? new RegExp(`^${name.split('*').map(escapeRegExp).join('.*')}$`, 'i') : undefined;
    const folder = path ? normalFolder(path) : undefined;
    const value = this.state.pipelineDefinitions
      .filter((d) => d.projectId === project.id)
      .filter((d) => !pattern || pattern.test(d.name))
      .filter((d) => !folder || folder === '\\' || normalFolder(d.folder) === folder || normalFolder(d.folder).startsWith(`${folder}\\`))
      .filter((d) => ids.length === 0 || ids.includes(String(d.id)))
      .map((d) => this.definitionReference(d, project));
    // Pages under the page-size knob: the next page's token in x-ms-continuationtoken, asked for with
    // continuationToken= (Definitions - List, build 7.1; the recording ado-build-definitions-list-by-name is one page).
    const pageSize = this.state.settings.recorded.pageSize;
    const start = Number(request.query.get('continuationToken') ?? '0') || 0;
    if (!pageSize || value.length - start <= pageSize) return jsonResponse(200, { count: value.length - start, value: value.slice(start) });
    const page = value.slice(start, start + pageSize);
    return jsonResponse(200, { count: page.length, value: page }, { 'x-ms-continuationtoken': String(start + pageSize) });
  }

  // ---- pipeline permissions -------------------------------------------------------------------------

  getPermissions(caller: DevOpsCaller, project: ProjectRecord, resourceType: string, resourceId: string): EmulatorResponse {
    const problem = this.checkResource(project, resourceType, resourceId);
    if (problem) return problem;
    if (!hasRole(projectRole(this.state, caller, project), 'Reader')) {
      return adoError(403, ADO_TYPES.accessCheck, `You do not have permission to view the pipeline permissions of ${resourceType} ${resourceId}.`);
    }
    return jsonResponse(200, this.present(project, resourceType, resourceId));
  }

  updatePermissions(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord, resourceType: string, resourceId: string): EmulatorResponse {
    const problem = this.checkResource(project, resourceType, resourceId);
    if (problem) return problem;
    const denied = this.endpoints.requireAdministrator(
      caller,
      this.state.serviceEndpoints.get(resourceId.toLowerCase())!,
      'change the pipeline permissions of',
    );
    if (denied) return denied;
    let body: unknown;
    try {
      body = parseJsonBody(request);
    } catch {
      body = undefined;
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: resourcePipelinePermissions');
    }
    const { pipelines, allPipelines } = body as { pipelines?: unknown; allPipelines?: unknown };
    if (pipelines !== undefined && pipelines !== null && !Array.isArray(pipelines)) {
      return adoError(400, ADO_TYPES.argument, 'pipelines must be an array of {id, authorized}.');
    }
    const changes: Array<{ id: number; authorized: boolean }> = [];
    for (const entry of (pipelines as unknown[] | null | undefined) ?? []) {
      const { id, authorized } = (entry ?? {}) as { id?: unknown; authorized?: unknown };
      if (typeof id !== 'number' || !Number.isInteger(id) || typeof authorized !== 'boolean') {
        return adoError(400, ADO_TYPES.argument, 'Each pipeline permission needs an integer id and a boolean authorized.');
      }
      if (!this.state.pipelineDefinitions.some((d) => d.id === id && d.projectId === project.id)) {
        return adoError(404, DEFINITION_NOT_FOUND, `Pipeline with id ${id} does not exist in project ${project.name}.`);
      }
      changes.push({ id, authorized });
    }
    // typescript-eslint 8.74 reports this cast from `unknown` as unnecessary, and its fix breaks tsc.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    const all = (allPipelines ?? undefined) as { authorized?: unknown } | undefined;
    if (all !== undefined && typeof all.authorized !== 'boolean') {
      return adoError(400, ADO_TYPES.argument, 'allPipelines needs a boolean authorized.');
    }

    const record = this.record(project, resourceType, resourceId, true)!;
    const by = identityReference(caller.identity, this.state.world.organization.url);
    const on = new Date().toISOString();
    for (const change of changes) {
      record.pipelines = record.pipelines.filter((p) => p.id !== change.id);
      if (change.authorized) record.pipelines.push({ id: change.id, authorized: true, authorizedBy: by, authorizedOn: on });
    }
    if (all !== undefined) {
      if (all.authorized === true) record.allPipelines = { authorized: true, authorizedBy: by, authorizedOn: on };
      else delete record.allPipelines;
    }
    return jsonResponse(200, this.present(project, resourceType, resourceId));
  }

  // ---- helpers --------------------------------------------------------------------------------------

  private checkResource(project: ProjectRecord, resourceType: string, resourceId: string): EmulatorResponse | undefined {
    const type = resourceType.toLowerCase();
    if (!RESOURCE_TYPES.includes(type)) {
      return adoError(400, ADO_TYPES.argument, `The resource type '${resourceType}' is not supported. Supported types: ${RESOURCE_TYPES.join(', ')}.`);
    }
    if (type !== 'endpoint') return adoError(400, ADO_TYPES.argument, `The emulator serves pipeline permissions of endpoints only, not '${resourceType}'.`);
    const stored = this.state.serviceEndpoints.get(resourceId.toLowerCase());
    if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) {
      return adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${resourceId} not found in project ${project.name}.`);
    }
    return undefined;
  }

  private record(project: ProjectRecord, resourceType: string, resourceId: string, create: boolean): PipelinePermissionsRecord | undefined {
    const key = `${project.id}/${resourceType}/${resourceId}`.toLowerCase();
    let record = this.state.pipelinePermissions.get(key);
    if (!record && create) {
      record = { projectId: project.id, resource: { type: resourceType.toLowerCase(), id: resourceId.toLowerCase() }, pipelines: [] };
      this.state.pipelinePermissions.set(key, record);
    }
    return record;
  }

  private present(project: ProjectRecord, resourceType: string, resourceId: string): Record<string, unknown> {
    const record = this.record(project, resourceType, resourceId, false);
    return structuredClone({
      resource: { type: resourceType.toLowerCase(), id: resourceId.toLowerCase() },
      ...(record?.allPipelines ? { allPipelines: record.allPipelines } : {}),
      pipelines: record?.pipelines ?? [],
    });
  }

  /** BuildDefinitionReference as the shallow list answers it. */
  private definitionReference(definition: PipelineFacts, project: ProjectRecord): Record<string, unknown> {
    const org = this.state.world.organization.url;
    const url = `${org}${project.id}/_apis/build/Definitions/${definition.id}?revision=1`;
    return {
      _links: {
        self: { href: url },
        web: { href: `${org}${project.id}/_build/definition?definitionId=${definition.id}` },
      },
      quality: 'definition',
      id: definition.id,
      name: definition.name,
      url,
      uri: `vstfs:///Build/Definition/${definition.id}`,
      path: definition.folder,
      type: 'build',
      queueStatus: 'enabled',
      revision: 1,
      createdDate: project.lastUpdateTime,
      project: {
        id: project.id,
        name: project.name,
        url: `${org}_apis/projects/${project.id}`,
        state: project.state,
        revision: project.revision,
        visibility: 'private',
        lastUpdateTime: project.lastUpdateTime,
      },
    };
  }
}

function normalFolder(folder: string): string {
  return `\\${folder.replace(/^\\+|\\+$/g, '')}`.toLowerCase();
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
