/**
 * Approvals and checks on service connections, the organization's identities, and what checks do to a
 * later run of a stage that uses the connection.
 *
 * Check configurations ({project}/_apis/pipelines/checks/configurations, preview only: 7.1-preview.1 in
 * terraform-provider-azuredevops' pipelineschecksextras client, 7.2-preview.1 the newest in the REST
 * reference): List filters on resourceType and resourceId and carries `settings` only with $expand=settings
 * (Check Configurations - List, expand values none/settings); Add answers the configuration with its integer
 * id, version 1, createdBy/createdOn; Update (PATCH …/{id}) replaces settings and timeout, version + 1.
 * Type ids as terraform's approvalsandchecks/common_check.go: Approval 8c6f20a7-…, Task Check fe1de3ee-…
 * (branch control: definitionRef 86b05a0c-… evaluatebranchProtection). Changing a connection's checks needs
 * the Administrator role on it, as its security page does (Microsoft's "Approvals and checks": "you need to
 * be an administrator of the resource"); reading needs the Reader role in the project.
 *
 * Identities (assumed shapes follow azure-devops-go-api v7 identity/models.go Identity): the organization's
 * resource area 8a3d49b8-91f0-46ef-b33d-dda338c25db3 answers a locationUrl on another base (here the same
 * loopback port under /_vssps/{org}/, standing in for https://vssps.dev.azure.com/{org}/: a task that asked
 * the organization URL for identities would get a 404), and Read Identities with searchFilter=General answers
 * the identities whose account name, mail or display name is the filter value, `{count, value}`; an unknown
 * name answers an empty list (not 404). Knob: `identitiesDenied` answers 401 as to a caller without access.
 */
import { jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { ADO_TYPES, adoError, hasRole, projectRole, type DevOpsCaller } from './devops-common';
import type { ServiceEndpointsResource } from './devops-endpoints';
import type { ApiResourceLocation } from './devops-locations';
import { identityReference, type ProjectRecord } from './devops-records';
import { type EmulatorState } from './state';

export const CHECK_TYPES = {
  approval: '8c6f20a7-a545-4486-9777-f762fafe0d4d',
  taskCheck: 'fe1de3ee-a436-41b4-bb20-f6eb4cb879a7',
  branchControlDefinition: '86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b',
} as const;

export const IDENTITIES_AREA = '8a3d49b8-91f0-46ef-b33d-dda338c25db3';

export const CHECK_CONFIGURATIONS_VERSIONS: ApiResourceLocation = {
  id: '86c8381e-5aee-4cde-8ae4-25c0c7f5eaea',
  area: 'PipelinesChecks',
  resourceName: 'configurations',
  routeTemplate: '{project}/_apis/pipelines/checks/{resource}/{id}',
  resourceVersion: 1,
  minVersion: '5.0',
  maxVersion: '7.2',
  releasedVersion: '0.0',
};

export const IDENTITIES_VERSIONS: ApiResourceLocation = {
  id: '28010c54-d0c0-4c89-a5b0-1c9e188b9fb7',
  area: 'IMS',
  resourceName: 'Identities',
  routeTemplate: '_apis/{resource}/{identityId}',
  resourceVersion: 1,
  minVersion: '1.0',
  maxVersion: '7.2',
  releasedVersion: '7.1',
};

/** Users and groups of organization "contoso" that approvers may name. */
export interface OrganizationIdentity {
  id: string;
  displayName: string;
  /** A user's principal name, or a group's `[scope]\Name`. */
  account: string;
  mail?: string;
  isGroup: boolean;
}

export const ORGANIZATION_IDENTITIES: OrganizationIdentity[] = [
  { id: 'a1a1a1a1-0000-4000-8000-000000000001', displayName: 'Alice Approver', account: 'alice@contoso.com', mail: 'alice@contoso.com', isGroup: false },
  { id: 'b2b2b2b2-0000-4000-8000-000000000002', displayName: 'Bob Builder', account: 'bob@contoso.com', mail: 'bob@contoso.com', isGroup: false },
  { id: 'c3c3c3c3-0000-4000-8000-000000000003', displayName: '[platform]\\Release Approvers', account: '[platform]\\Release Approvers', isGroup: true },
  {
    id: 'd4d4d4d4-0000-4000-8000-000000000004',
    displayName: '[contoso]\\Project Collection Administrators',
    account: '[contoso]\\Project Collection Administrators',
    isGroup: true,
  },
];

export interface CheckConfigurationRecord {
  id: number;
  projectId: string;
  version: number;
  type: { id: string; name?: string };
  resource: { type: string; id: string; name?: string };
  timeout?: number;
  settings: Record<string, unknown>;
  createdBy: Record<string, unknown>;
  createdOn: string;
  modifiedBy: Record<string, unknown>;
  modifiedOn: string;
}

/** What a stage that uses the connection meets: its checks, evaluated for a run from `branch`. */
export type StageOutcome =
  { status: 'running' } | { status: 'waitingForApproval'; approvers: string[]; requesterMayApprove: boolean } | { status: 'failed'; reason: string };

export class ChecksResource {
  /** Answers 401 to identity reads, as to a caller the organization does not let see its identities. */
  identitiesDenied = false;

  constructor(
    private readonly state: EmulatorState,
    private readonly endpoints: ServiceEndpointsResource,
  ) {}

  /** Resource Areas - Get: the identities area lives on another base; other areas on the organization. */
  resourceArea(areaId: string, origin: string): EmulatorResponse {
    const org = this.state.world.organization.name;
    if (areaId.toLowerCase() === IDENTITIES_AREA) return jsonResponse(200, { id: IDENTITIES_AREA, name: 'IMS', locationUrl: `${origin}/_vssps/${org}/` });
    return jsonResponse(200, { id: areaId.toLowerCase(), name: areaId, locationUrl: this.state.world.organization.url });
  }

  searchIdentities(request: EmulatorRequest): EmulatorResponse {
    if (this.identitiesDenied) {
      return adoError(401, ADO_TYPES.unauthorized, 'TF400813: The user is not authorized to access this resource.');
    }
    const filter = request.query.get('searchFilter');
    const value = (request.query.get('filterValue') ?? '').trim().toLowerCase();
    if (!filter || !value) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: filterValue');
    const found = ORGANIZATION_IDENTITIES.filter((i) => [i.displayName, i.account, i.mail ?? ''].some((name) => name.toLowerCase() === value));
    return jsonResponse(200, { count: found.length, value: found.map((i) => this.identity(i)) });
  }

  list(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord): EmulatorResponse {
    if (!hasRole(projectRole(this.state, caller, project), 'Reader')) return jsonResponse(200, { count: 0, value: [] });
    const type = request.query.get('resourceType')?.toLowerCase();
    const id = request.query.get('resourceId')?.toLowerCase();
    const expand = (request.query.get('$expand') ?? '').toLowerCase() === 'settings';
    const value = [...this.state.checkConfigurations.values()]
      .filter((c) => c.projectId === project.id && (!type || c.resource.type === type) && (!id || c.resource.id === id))
      .map((c) => this.present(c, expand));
    return jsonResponse(200, { count: value.length, value });
  }

  add(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord): EmulatorResponse {
    const parsed = this.body(request);
    if ('response' in parsed) return parsed.response;
    const body = parsed.body;
    const resource = body.resource as { type?: unknown; id?: unknown } | undefined;
    const type = body.type as { id?: unknown; name?: unknown } | undefined;
    if (typeof type?.id !== 'string' || ![CHECK_TYPES.approval, CHECK_TYPES.taskCheck].includes(type.id.toLowerCase() as never)) {
      return adoError(400, ADO_TYPES.argument, `The check type '${String(type?.id)}' is not valid.`);
    }
    const target = this.target(caller, project, resource, 'add a check to');
    if ('response' in target) return target.response;
    if (typeof body.settings !== 'object' || body.settings === null)
      return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: settings');
    const invalid = validateSettings(type.id.toLowerCase(), body.settings as Record<string, unknown>);
    if (invalid) return invalid;
    const by = identityReference(caller.identity, this.state.world.organization.url);
    const on = new Date(this.state.settings.clock.now()).toISOString();
    const record: CheckConfigurationRecord = {
      id: this.state.nextCheckId++,
      projectId: project.id,
      version: 1,
      type: { id: type.id.toLowerCase(), name: typeof type.name === 'string' ? type.name : undefined },
      resource: { type: 'endpoint', id: target.id, name: target.name },
      timeout: typeof body.timeout === 'number' ? body.timeout : undefined,
      settings: structuredClone(body.settings as Record<string, unknown>),
      createdBy: by,
      createdOn: on,
      modifiedBy: by,
      modifiedOn: on,
    };
    this.state.checkConfigurations.set(record.id, record);
    return jsonResponse(200, this.present(record, true));
  }

  update(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord, id: string): EmulatorResponse {
    const record = this.state.checkConfigurations.get(Number(id));
    if (!record || record.projectId !== project.id) {
      return adoError(
        404,
        'Microsoft.Azure.Pipelines.Checks.WebApi.CheckConfigurationNotFoundException, Microsoft.Azure.Pipelines.Checks.WebApi',
        `Check configuration with id ${id} not found.`,
      );
    }
    const parsed = this.body(request);
    if ('response' in parsed) return parsed.response;
    const body = parsed.body;
    const target = this.target(caller, project, record.resource, 'change a check of');
    if ('response' in target) return target.response;
    if (typeof body.settings === 'object' && body.settings !== null) {
      const invalid = validateSettings(record.type.id, body.settings as Record<string, unknown>);
      if (invalid) return invalid;
      record.settings = structuredClone(body.settings as Record<string, unknown>);
    }
    if (typeof body.timeout === 'number') record.timeout = body.timeout;
    record.version += 1;
    record.modifiedBy = identityReference(caller.identity, this.state.world.organization.url);
    record.modifiedOn = new Date(this.state.settings.clock.now()).toISOString();
    return jsonResponse(200, this.present(record, true));
  }

  /**
   * A stage that uses the connection, run from `branch`: a branch control check the branch does not match
   * fails it; otherwise an approval check makes it wait for its approvers; otherwise it runs.
   */
  runStage(connectionId: string, branch: string): StageOutcome {
    const checks = [...this.state.checkConfigurations.values()].filter((c) => c.resource.type === 'endpoint' && c.resource.id === connectionId.toLowerCase());
    for (const check of checks) {
      const definition = (check.settings.definitionRef ?? {}) as { id?: string };
      if (check.type.id !== CHECK_TYPES.taskCheck || definition.id?.toLowerCase() !== CHECK_TYPES.branchControlDefinition) continue;
      const inputs = (check.settings.inputs ?? {}) as { allowedBranches?: string };
      const allowed = (inputs.allowedBranches ?? '')
        .split(',')
        .map((b) => b.trim())
        .filter(Boolean);
      const pattern = (ref: string): RegExp =>
        new RegExp(
          `^${ref
            .split('*')
            .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
            .join('.*')}$`,
          'i',
        );
      if (!allowed.some((ref) => pattern(ref).test(branch))) {
        return { status: 'failed', reason: `Branch control: the branch ${branch} is not one of ${allowed.join(', ')}.` };
      }
    }
    const approval = checks.find((c) => c.type.id === CHECK_TYPES.approval);
    if (approval) {
      const approvers = (approval.settings.approvers as { id?: string }[] | undefined) ?? [];
      // "Requester cannot approve" (settings.requesterCannotBeApprover, false when absent): the run's requester may not approve.
      return {
        status: 'waitingForApproval',
        approvers: approvers.map((a) => a.id ?? ''),
        requesterMayApprove: approval.settings.requesterCannotBeApprover !== true,
      };
    }
    return { status: 'running' };
  }

  private identity(i: OrganizationIdentity): Record<string, unknown> {
    return {
      id: i.id,
      descriptor: i.isGroup ? `Microsoft.TeamFoundation.Identity;S-1-9-${i.id}` : `Microsoft.IdentityModel.Claims.ClaimsIdentity;${i.account}`,
      subjectDescriptor: `${i.isGroup ? 'vssgp' : 'aad'}.${Buffer.from(i.id).toString('base64url')}`,
      providerDisplayName: i.displayName,
      isActive: true,
      isContainer: i.isGroup,
      members: [],
      memberOf: [],
      memberIds: [],
      resourceVersion: 2,
      metaTypeId: i.isGroup ? 255 : 0,
      properties: {
        SchemaClassName: { $type: 'System.String', $value: i.isGroup ? 'Group' : 'User' },
        Account: { $type: 'System.String', $value: i.account },
        ...(i.mail ? { Mail: { $type: 'System.String', $value: i.mail } } : {}),
      },
    };
  }

  private body(request: EmulatorRequest): { body: Record<string, unknown> } | { response: EmulatorResponse } {
    try {
      const body = parseJsonBody(request);
      if (typeof body === 'object' && body !== null && !Array.isArray(body)) return { body: body as Record<string, unknown> };
    } catch {
      // answered below
    }
    return { response: adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: configuration') };
  }

  /** The connection a check is on, once the caller is known to administer it. */
  private target(
    caller: DevOpsCaller,
    project: ProjectRecord,
    resource: { type?: unknown; id?: unknown } | undefined,
    verb: string,
  ): { id: string; name: string } | { response: EmulatorResponse } {
    if (typeof resource?.type !== 'string' || resource.type.toLowerCase() !== 'endpoint' || typeof resource.id !== 'string') {
      return { response: adoError(400, ADO_TYPES.argument, 'The emulator serves checks on resources of type endpoint only.') };
    }
    const stored = this.state.serviceEndpoints.get(resource.id.toLowerCase());
    if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) {
      return { response: adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${resource.id} not found in project ${project.name}.`) };
    }
    const denied = this.endpoints.requireAdministrator(caller, stored, verb);
    if (denied) return { response: denied };
    return { id: stored.endpoint.id.toLowerCase(), name: stored.endpoint.name };
  }

  private present(record: CheckConfigurationRecord, withSettings: boolean): Record<string, unknown> {
    const org = this.state.world.organization.url;
    const url = `${org}${record.projectId}/_apis/pipelines/checks/configurations/${record.id}`;
    const { settings, projectId: _projectId, ...rest } = record;
    return structuredClone({ ...rest, ...(withSettings ? { settings } : {}), url, _links: { self: { href: url } } });
  }
}

function validateSettings(typeId: string, settings: Record<string, unknown>): EmulatorResponse | undefined {
  if (typeId === CHECK_TYPES.approval) {
    const approvers = settings.approvers;
    if (!Array.isArray(approvers) || approvers.length === 0) return adoError(400, ADO_TYPES.argument, 'An approval check needs at least one approver.');
    if (settings.requesterCannotBeApprover !== undefined && typeof settings.requesterCannotBeApprover !== 'boolean') {
      return adoError(400, ADO_TYPES.argument, `requesterCannotBeApprover must be a boolean, not ${JSON.stringify(settings.requesterCannotBeApprover)}.`);
    }
    for (const approver of approvers as { id?: unknown }[]) {
      if (!ORGANIZATION_IDENTITIES.some((i) => typeof approver?.id === 'string' && i.id === approver.id.toLowerCase())) {
        return adoError(400, ADO_TYPES.argument, `The approver '${String(approver?.id)}' is not an identity of the organization.`);
      }
    }
    return undefined;
  }
  const definition = (settings.definitionRef ?? {}) as { id?: unknown };
  if (typeof definition.id !== 'string') return adoError(400, ADO_TYPES.argument, 'A task check needs settings.definitionRef.');
  return undefined;
}
