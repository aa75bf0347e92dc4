/**
 * Azure DevOps service endpoints ("service connections"), tests/fixtures/contracts/ado-serviceendpoint-7.2.
 *
 * Security model (https://learn.microsoft.com/azure/devops/pipelines/library/service-endpoints, "Manage
 * security"): creating needs the Creator role in the project; updating, sharing and deleting need
 * Administrator on the connection, which project administrators have and which the creator of a
 * connection receives for the connection it created (decompiled ServiceEndpointShareService /
 * PlatformServiceEndpointService: CheckCreatePermissions, then InitializeServiceEndpointSecurity with the
 * caller). Denials are AccessCheckException, 403; the create message is the service's own text as quoted
 * in microsoft/terraform-provider-azuredevops#723.
 *
 * A duplicate name answers DuplicateServiceConnectionException with HTTP 500: the 7.x controller
 * (ServiceEndpoints4Controller) maps no status for it, unlike the deprecated controllers (409), and
 * clients in the wild test for "status_code == 500 and DuplicateServiceConnectionException". The message
 * is the service's (quoted by terraform-provider-azuredevops' RequiresImportError).
 */
import { Rejection, jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { ADO_TYPES, adoError, hasRole, projectNotFound, projectRole, type DevOpsCaller } from './devops-common';
import {
  identityReference,
  workloadIdentityParameters,
  workloadIdentitySubject,
  type ProjectRecord,
  type ConnectionVisibility,
  type ServiceEndpoint,
  type ServiceEndpointProjectReference,
  type StoredEndpoint,
} from './devops-records';
import { newGuid } from './world';
import { type EmulatorState } from './state';

/** Authorization parameters Azure DevOps never returns (it answers them as null). */
const CONFIDENTIAL_PARAMETERS = ['serviceprincipalkey', 'serviceprincipalcertificate', 'password', 'apitoken', 'accesstoken'];
/** Parameters the service owns for workload identity connections; clients cannot set them. */
const SERVER_OWNED_PARAMETERS = ['workloadidentityfederationissuer', 'workloadidentityfederationissuertype', 'workloadidentityfederationsubject'];

export class ServiceEndpointsResource {
  constructor(private readonly state: EmulatorState) {}

  // ---- reads (project level, location e85f1c62) ---------------------------------------------------

  get(caller: DevOpsCaller, project: ProjectRecord, endpointId: string): EmulatorResponse {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored || !inProject(stored.endpoint, project) || !this.canRead(caller, project) || this.seenAs(caller, stored) === 'hidden') {
      // Azure DevOps answers an unknown or invisible id with 200 and no endpoint, which the SDKs turn into
      // null (terraform-provider-azuredevops isServiceEndpointDeleted: "Service response 200 but service
      // endpoint is null").
      return { status: 200 };
    }
    return jsonResponse(200, this.shownTo(caller, stored, this.read(stored)));
  }

  list(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord): EmulatorResponse {
    if (!this.canRead(caller, project)) return jsonResponse(200, { count: 0, value: [] });
    const names = splitList(request.query.get('endpointNames'));
    const ids = splitList(request.query.get('endpointIds')).map((id) => id.toLowerCase());
    const type = request.query.get('type');
    const schemes = splitList(request.query.get('authSchemes')).map((s) => s.toLowerCase());
    const owner = request.query.get('owner');
    const includeFailed = request.query.get('includeFailed')?.toLowerCase() === 'true';

    const value: ServiceEndpoint[] = [];
    for (const stored of this.state.serviceEndpoints.values()) {
      const reference = referenceIn(stored.endpoint, project);
      if (!reference) continue;
      if (names.length > 0 && !names.some((n) => n.toLowerCase() === reference.name.toLowerCase())) continue;
      if (ids.length > 0 && !ids.includes(stored.endpoint.id)) continue;
      if (type && stored.endpoint.type.toLowerCase() !== type.toLowerCase()) continue;
      if (schemes.length > 0 && !schemes.includes(stored.endpoint.authorization.scheme.toLowerCase())) continue;
      if (owner && stored.endpoint.owner.toLowerCase() !== owner.toLowerCase()) continue;
      if (this.seenAs(caller, stored) === 'hidden') continue;
      const endpoint = this.read(stored);
      if (endpoint.operationStatus?.state === 'Failed' && !includeFailed) continue;
      value.push(this.shownTo(caller, stored, endpoint));
    }
    return jsonResponse(200, { count: value.length, value });
  }

  // ---- writes (organization level, location 14e48fdc) ---------------------------------------------

  create(request: EmulatorRequest, caller: DevOpsCaller): EmulatorResponse {
    const body = readBody(request);
    if (body instanceof Rejection) return body.response;
    const references = this.resolveReferences(body.serviceEndpointProjectReferences, body.name);
    if (references instanceof Rejection) return references.response;
    for (const { project } of references) {
      if (!hasRole(projectRole(this.state, caller, project), 'Creator')) {
        return adoError(
          403,
          ADO_TYPES.accessCheck,
          'You do not have permission to create a service connection. You need to be a Creator for service connections in this project.',
        );
      }
    }
    const invalid = validateEndpoint(body);
    if (invalid) return invalid;
    for (const { project, reference } of references) {
      const duplicate = this.findByName(project, reference.name);
      if (duplicate) return duplicateName(reference.name);
    }

    const id = newGuid();
    const { parameters, secrets } = splitSecrets(asStringRecord(asObject(body.authorization)?.parameters));
    for (const value of Object.values(secrets)) this.state.noteSecret(value);
    const scheme = String(asObject(body.authorization)?.scheme);
    if (scheme === 'WorkloadIdentityFederation') this.addWorkloadIdentity(parameters, id, String(body.name), references[0]?.project);
    const readiness = this.state.settings.connectionReadiness;
    const stored: StoredEndpoint = {
      endpoint: {
        id,
        name: String(body.name),
        type: String(body.type),
        url: String(body.url),
        description: typeof body.description === 'string' ? body.description : '',
        data: asStringRecord(body.data),
        authorization: { scheme, parameters },
        createdBy: identityReference(caller.identity, this.state.world.organization.url),
        isShared: references.length > 1,
        isReady: true,
        isDisabled: false,
        isOutdated: false,
        // Answered as 'Library' (ado-serviceendpoint-get-real), whatever the casing sent.
        owner: typeof body.owner === 'string' && body.owner && body.owner.toLowerCase() !== 'library' ? body.owner : 'Library',
        serviceEndpointProjectReferences: references.map((r) => r.reference),
      },
      secrets,
      creatorId: caller.identity.id,
      inProgressReadsLeft: readiness.inProgressReads,
      finalState: readiness.finalState ?? 'Ready',
      finalStatusMessage: readiness.statusMessage ?? '',
    };
    this.state.serviceEndpoints.set(id, stored);
    return jsonResponse(200, this.present(stored));
  }

  update(request: EmulatorRequest, caller: DevOpsCaller, endpointId: string): EmulatorResponse {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored) return endpointNotFound(endpointId);
    const denied = this.requireAdministrator(caller, stored, 'update');
    if (denied) return denied;
    const body = readBody(request);
    if (body instanceof Rejection) return body.response;
    const invalid = validateEndpoint(body);
    if (invalid) return invalid;
    if (String(body.type).toLowerCase() !== stored.endpoint.type.toLowerCase()) {
      return adoError(
        400,
        ADO_TYPES.argument,
        `The type of service connection '${stored.endpoint.name}' cannot be updated from '${stored.endpoint.type}' to '${String(body.type)}'.`,
      );
    }
    const newName = String(body.name);
    if (newName.toLowerCase() !== stored.endpoint.name.toLowerCase()) {
      for (const reference of stored.endpoint.serviceEndpointProjectReferences) {
        const project = this.state.findProject(reference.projectReference.id);
        const clash = project && this.findByName(project, newName);
        if (clash && clash !== stored) return duplicateName(newName);
      }
    }

    const { parameters, secrets } = splitSecrets(asStringRecord(asObject(body.authorization)?.parameters));
    for (const value of Object.values(secrets)) this.state.noteSecret(value);
    const scheme = String(asObject(body.authorization)?.scheme);
    if (scheme === 'WorkloadIdentityFederation') {
      // Issuer and subject belong to the connection, not to the request: keep them (or mint them when a
      // connection is converted to workload identity federation).
      const old = stored.endpoint.authorization.parameters;
      if (old.workloadIdentityFederationSubject) {
        Object.assign(parameters, workloadIdentityParameters(String(old.workloadIdentityFederationIssuer), old.workloadIdentityFederationSubject));
      } else {
        const home = this.state.findProject(stored.endpoint.serviceEndpointProjectReferences[0]?.projectReference.id ?? '');
        this.addWorkloadIdentity(parameters, stored.endpoint.id, newName, home);
      }
    }
    for (const [key, value] of Object.entries(stored.secrets)) if (!(key in secrets) && key in parameters) secrets[key] = value;

    const endpoint = stored.endpoint;
    endpoint.name = newName;
    endpoint.url = String(body.url);
    endpoint.description = typeof body.description === 'string' ? body.description : endpoint.description;
    endpoint.data = asStringRecord(body.data);
    endpoint.authorization = { scheme, parameters };
    stored.secrets = secrets;
    const requested = Array.isArray(body.serviceEndpointProjectReferences) ? body.serviceEndpointProjectReferences : [];
    for (const reference of endpoint.serviceEndpointProjectReferences) {
      const match = requested.map(asObject).find((r) => asObject(r?.projectReference)?.id === reference.projectReference.id);
      if (match && typeof match.name === 'string') reference.name = match.name;
      if (match && typeof match.description === 'string') reference.description = match.description;
    }
    if (endpoint.serviceEndpointProjectReferences.length === 1) endpoint.serviceEndpointProjectReferences[0].name = newName;
    return jsonResponse(200, this.present(stored));
  }

  share(request: EmulatorRequest, caller: DevOpsCaller, endpointId: string): EmulatorResponse {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored) return endpointNotFound(endpointId);
    const denied = this.requireAdministrator(caller, stored, 'share');
    if (denied) return denied;
    let body: unknown;
    try {
      body = parseJsonBody(request);
    } catch {
      return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpointProjectReferences');
    }
    if (!Array.isArray(body)) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpointProjectReferences');
    const references = this.resolveReferences(body, stored.endpoint.name);
    if (references instanceof Rejection) return references.response;
    for (const { project, reference } of references) {
      if (!hasRole(projectRole(this.state, caller, project), 'Creator')) {
        return adoError(
          403,
          ADO_TYPES.accessCheck,
          'You do not have permission to create a service connection. You need to be a Creator for service connections in this project.',
        );
      }
      if (inProject(stored.endpoint, project)) continue;
      if (this.findByName(project, reference.name)) return duplicateName(reference.name);
      stored.endpoint.serviceEndpointProjectReferences.push(reference);
    }
    stored.endpoint.isShared = stored.endpoint.serviceEndpointProjectReferences.length > 1;
    return { status: 204 };
  }

  delete(request: EmulatorRequest, caller: DevOpsCaller, endpointId: string): EmulatorResponse {
    const projectIds = splitList(request.query.get('projectIds')).map((id) => id.toLowerCase());
    if (projectIds.length === 0) return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: projectIds');
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored) return endpointNotFound(endpointId);
    const denied = this.requireAdministrator(caller, stored, 'delete');
    if (denied) return denied;
    stored.endpoint.serviceEndpointProjectReferences = stored.endpoint.serviceEndpointProjectReferences.filter(
      (r) => !projectIds.includes(r.projectReference.id.toLowerCase()),
    );
    // `deep` (default true) deletes the app registration of a connection Azure DevOps created (Automatic);
    // the emulator makes Manual connections only, so it has nothing to delete either way.
    if (this.state.settings.recorded.connectionDeleteRemovesChecks) this.forgetChecks(stored.endpoint.id, projectIds);
    if (stored.endpoint.serviceEndpointProjectReferences.length === 0) this.state.serviceEndpoints.delete(stored.endpoint.id);
    else stored.endpoint.isShared = stored.endpoint.serviceEndpointProjectReferences.length > 1;
    return { status: 204 };
  }

  /**
   * Execution history (Executionhistory - List): the connection's records, newest first, `top` of them; the
   * rest behind `continuationToken`, whose value (the last record's id) comes in x-ms-continuationtoken, as
   * azure-devops-node-api 17 getServiceEndpointExecutionRecords reads it (docs/wire.md, "Inventory reads").
   */
  executionHistory(request: EmulatorRequest, caller: DevOpsCaller, project: ProjectRecord, endpointId: string): EmulatorResponse {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored || !inProject(stored.endpoint, project) || !this.canRead(caller, project)) return endpointNotFound(endpointId);
    const top = Number(request.query.get('top') ?? '') || 50;
    const all = this.state.executionHistory.get(stored.endpoint.id) ?? [];
    const idOf = (record: Record<string, unknown>): string => String((record.data as { id?: unknown } | undefined)?.id);
    const after = request.query.get('continuationToken');
    const start = after === null ? 0 : all.findIndex((record) => idOf(record) === after) + 1 || all.length;
    const records = all.slice(start, start + top);
    const more = start + top < all.length;
    return jsonResponse(200, { count: records.length, value: records }, more ? { 'x-ms-continuationtoken': idOf(records[records.length - 1]) } : {});
  }

  /** The check configurations and pipeline permissions of a connection in the projects it was deleted from. */
  private forgetChecks(endpointId: string, projectIds: string[]): void {
    for (const [id, check] of this.state.checkConfigurations) {
      if (check.resource.type === 'endpoint' && check.resource.id === endpointId && projectIds.includes(check.projectId.toLowerCase()))
        this.state.checkConfigurations.delete(id);
    }
    for (const [key, record] of this.state.pipelinePermissions) {
      if (record.resource.type === 'endpoint' && record.resource.id === endpointId && projectIds.includes(record.projectId.toLowerCase()))
        this.state.pipelinePermissions.delete(key);
    }
  }

  /**
   * Moves a workload identity connection to Entra ID's issuer and the subject Azure DevOps derives from the
   * organization and connection ids, as Azure DevOps has done to existing connections (its issuer change;
   * the former issuer is retired in July 2027). Nothing else about the connection changes.
   */
  moveToEntraIssuer(endpointId: string): void {
    const stored = this.state.serviceEndpoints.get(endpointId.toLowerCase());
    if (!stored || stored.endpoint.authorization.scheme !== 'WorkloadIdentityFederation')
      throw new Error(`Emulator: no workload identity connection ${endpointId}`);
    const parameters = stored.endpoint.authorization.parameters;
    const tenantId = String(parameters.tenantid);
    Object.assign(
      parameters,
      workloadIdentityParameters(this.state.entraIssuer(tenantId), workloadIdentitySubject(tenantId, this.state.world.organization.id, stored.endpoint.id)),
    );
  }

  // ---- helpers --------------------------------------------------------------------------------------

  /** What this caller sees of the connection: its creator and the projects' administrators see it all. */
  private seenAs(caller: DevOpsCaller, stored: StoredEndpoint): ConnectionVisibility {
    const visibility = stored.visibility ?? 'full';
    if (visibility === 'full' || this.requireAdministrator(caller, stored, 'read') === undefined) return 'full';
    return visibility;
  }

  /**
   * A caller with partial rights gets the object with type, data and authorization null
   * (ado-serviceendpoint-get-real: terraform-provider-azuredevops checkServiceConnection).
   */
  private shownTo(caller: DevOpsCaller, stored: StoredEndpoint, endpoint: ServiceEndpoint): ServiceEndpoint {
    if (this.seenAs(caller, stored) !== 'partial') return endpoint;
    return { ...endpoint, type: null, data: null, authorization: null } as unknown as ServiceEndpoint;
  }

  private canRead(caller: DevOpsCaller, project: ProjectRecord): boolean {
    return hasRole(projectRole(this.state, caller, project), 'Reader');
  }

  /** The connection's Administrator role: its creator, or a project administrator of a project it is in. */
  requireAdministrator(caller: DevOpsCaller, stored: StoredEndpoint, verb: string): EmulatorResponse | undefined {
    if (stored.creatorId === caller.identity.id) return undefined;
    const isAdministrator = stored.endpoint.serviceEndpointProjectReferences.some((r) => {
      const project = this.state.findProject(r.projectReference.id);
      return project !== undefined && projectRole(this.state, caller, project) === 'Administrator';
    });
    if (isAdministrator) return undefined;
    return adoError(
      403,
      ADO_TYPES.accessCheck,
      `You do not have permission to ${verb} the service connection '${stored.endpoint.name}'. You need to be an Administrator for this service connection.`,
    );
  }

  private findByName(project: ProjectRecord, name: string): StoredEndpoint | undefined {
    for (const stored of this.state.serviceEndpoints.values()) {
      const reference = referenceIn(stored.endpoint, project);
      if (reference && reference.name.toLowerCase() === name.toLowerCase()) return stored;
    }
    return undefined;
  }

  private resolveReferences(raw: unknown, defaultName: unknown): Array<{ project: ProjectRecord; reference: ServiceEndpointProjectReference }> | Rejection {
    if (!Array.isArray(raw) || raw.length === 0) {
      return new Rejection(
        adoError(400, ADO_TYPES.argument, 'The service connection must be associated with at least one project: serviceEndpointProjectReferences is empty.'),
      );
    }
    const resolved: Array<{ project: ProjectRecord; reference: ServiceEndpointProjectReference }> = [];
    for (const entry of raw.map(asObject)) {
      const projectId = asObject(entry?.projectReference)?.id;
      if (typeof projectId !== 'string' || !projectId) {
        return new Rejection(adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: projectReference.id'));
      }
      const project = this.state.findWellFormedProject(projectId);
      if (!project) return new Rejection(projectNotFound(projectId));
      const name = typeof entry?.name === 'string' && entry.name ? entry.name : String(defaultName);
      const description = typeof entry?.description === 'string' ? entry.description : '';
      resolved.push({ project, reference: { projectReference: { id: project.id, name: project.name }, name, description } });
    }
    return resolved;
  }

  private addWorkloadIdentity(parameters: Record<string, string | null>, endpointId: string, name: string, project: ProjectRecord | undefined): void {
    const tenantId = String(parameters.tenantid);
    if (this.state.settings.connectionIssuer === 'devops') {
      // The former issuer and subject (https://learn.microsoft.com/azure/devops/pipelines/release/troubleshoot-workload-identity, "issuer and subject identifier").
      const { organization } = this.state.world;
      Object.assign(
        parameters,
        workloadIdentityParameters(this.state.devopsIssuer(), `sc://${organization.name}/${project?.name ?? ''}/${name}`, 'AzureDevOps'),
      );
      return;
    }
    Object.assign(
      parameters,
      workloadIdentityParameters(this.state.entraIssuer(tenantId), workloadIdentitySubject(tenantId, this.state.world.organization.id, endpointId)),
    );
  }

  /** A read: consumes one "in progress" read of the readiness knob, then shows the settled state. */
  private read(stored: StoredEndpoint): ServiceEndpoint {
    const endpoint = this.present(stored);
    if (stored.inProgressReadsLeft > 0) {
      stored.inProgressReadsLeft -= 1;
      this.present(stored);
    }
    return endpoint;
  }

  /** The endpoint as the service shows it now; the stored copy follows, so state() agrees. */
  present(stored: StoredEndpoint): ServiceEndpoint {
    const inProgress = stored.inProgressReadsLeft > 0;
    stored.endpoint.isReady = !inProgress && stored.finalState === 'Ready' && !stored.endpoint.isDisabled;
    // Real GETs of a ready connection carry no operationStatus (ado-serviceendpoint-get-real); the contract's
    // InProgress and Failed states are kept for the readiness knob.
    if (inProgress) stored.endpoint.operationStatus = { state: 'InProgress', statusMessage: 'Creating the service connection.' };
    else if (stored.finalState === 'Failed') stored.endpoint.operationStatus = { state: 'Failed', statusMessage: stored.finalStatusMessage };
    else delete stored.endpoint.operationStatus;
    const shown = structuredClone(stored.endpoint);
    // What an old connection carries as its issuer type is unknown: the knob plays both (docs/wire.md).
    const parameters = shown.authorization.parameters;
    if (parameters.workloadIdentityFederationIssuerType === 'AzureDevOps' && this.state.settings.recorded.devopsIssuerType === 'absent') {
      delete parameters.workloadIdentityFederationIssuerType;
    }
    return shown;
  }
}

function validateEndpoint(body: Record<string, unknown>): EmulatorResponse | undefined {
  for (const field of ['name', 'type', 'url']) {
    if (typeof body[field] !== 'string' || String(body[field]).trim() === '') {
      return adoError(400, ADO_TYPES.argumentNull, `Value cannot be null.\r\nParameter name: endpoint.${field[0].toUpperCase()}${field.slice(1)}`);
    }
  }
  try {
    new URL(String(body.url));
  } catch {
    return adoError(400, 'System.UriFormatException, System', `Invalid URI: The format of the URI could not be determined. ${String(body.url)}`);
  }
  const authorization = asObject(body.authorization);
  if (!authorization || typeof authorization.scheme !== 'string' || !authorization.scheme) {
    return adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpoint.Authorization');
  }
  if (String(body.type).toLowerCase() !== 'azurerm') return undefined;
  const parameters = asStringRecord(authorization.parameters);
  const data = asStringRecord(body.data);
  if (data.creationMode?.toLowerCase() === 'automatic') {
    return adoError(
      400,
      ADO_TYPES.argument,
      'The emulator supports only creationMode Manual: automatic creation would need Azure DevOps to create an app registration.',
    );
  }
  const scheme = authorization.scheme;
  if (!['WorkloadIdentityFederation', 'ServicePrincipal', 'ManagedServiceIdentity', 'PublishProfile'].includes(scheme)) {
    return adoError(400, ADO_TYPES.argument, `Authorization scheme '${scheme}' is not supported for service connection type 'azurerm'.`);
  }
  if (scheme === 'WorkloadIdentityFederation' || scheme === 'ServicePrincipal') {
    if (!parameters.tenantid) return adoError(400, ADO_TYPES.argument, "Expected a value for authorization parameter 'tenantid'.");
    if (!parameters.serviceprincipalid) {
      return adoError(400, ADO_TYPES.argument, "Expected a value for authorization parameter 'serviceprincipalid', or set 'creationMode' to 'Automatic'.");
    }
  }
  // The AzureRM endpoint type's data: a subscription-level connection names its subscription, a
  // management-group-level one its group (the portal's two "scope level" forms; docs/wire.md). The wording of
  // these refusals is the emulator's (uncertain).
  const scopeLevel = data.scopeLevel ?? 'Subscription';
  const required: Record<string, string[]> = {
    subscription: ['subscriptionId', 'subscriptionName'],
    managementgroup: ['managementGroupId', 'managementGroupName'],
  };
  const fields = required[scopeLevel.toLowerCase()];
  if (!fields) return adoError(400, ADO_TYPES.argument, `The scope level '${scopeLevel}' is not valid for service connection type 'azurerm'.`);
  for (const field of fields) {
    if (!data[field])
      return adoError(400, ADO_TYPES.argument, `Expected a value for data parameter '${field}' of a connection at scope level '${scopeLevel}'.`);
  }
  return undefined;
}

function readBody(request: EmulatorRequest): Record<string, unknown> | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch {
    body = undefined;
  }
  const object = asObject(body);
  return object ?? new Rejection(adoError(400, ADO_TYPES.argumentNull, 'Value cannot be null.\r\nParameter name: endpoint'));
}

function splitSecrets(raw: Record<string, string>): { parameters: Record<string, string | null>; secrets: Record<string, string> } {
  const parameters: Record<string, string | null> = {};
  const secrets: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (SERVER_OWNED_PARAMETERS.includes(key.toLowerCase())) continue;
    if (CONFIDENTIAL_PARAMETERS.includes(key.toLowerCase())) {
      parameters[key] = null;
      if (value) secrets[key] = value;
    } else {
      parameters[key] = value;
    }
  }
  return { parameters, secrets };
}

function duplicateName(name: string): EmulatorResponse {
  return adoError(
    500,
    ADO_TYPES.duplicateConnection,
    `Service connection with name ${name} already exists. Only a user having Administrator/User role permissions on service connection ${name} can see it.`,
  );
}

function endpointNotFound(endpointId: string): EmulatorResponse {
  return adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${endpointId} not found.`);
}

function referenceIn(endpoint: ServiceEndpoint, project: ProjectRecord): ServiceEndpointProjectReference | undefined {
  return endpoint.serviceEndpointProjectReferences.find((r) => r.projectReference.id === project.id);
}

function inProject(endpoint: ServiceEndpoint, project: ProjectRecord): boolean {
  return referenceIn(endpoint, project) !== undefined;
}

function splitList(value: string | null): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function asObject(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function asStringRecord(value: unknown): Record<string, string> {
  const object = asObject(value) ?? {};
  return Object.fromEntries(
    Object.entries(object)
      .filter(([, v]) => v !== null && v !== undefined)
      .map(([k, v]) => [k, String(v)]),
  );
}
