/**
 * The Azure DevOps AzureRM service connection (scheme WorkloadIdentityFederation, creationMode Manual):
 * Endpoints - Create, Update, Get, Get Service Endpoints By Names (tests/fixtures/contracts/ado-serviceendpoint-7.2).
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../clients';
import { ConflictError, PermissionError, ServiceError, TaskError } from '../errors';
import { TRANSIENT, waitFor } from '../retry';
import { devops } from '../clients/devops';

/**
 * What azure-devops-node-api's ServiceEndpointApi asks for (locations 14e48fdc-2c8b-41ce-a0c3-e26f6cc55bd0 for
 * the organization's endpoints, e85f1c62-adfc-4b74-b618-11a150fb195e for a project's; docs/wire.md).
 */
export const ENDPOINTS_API = '7.2-preview.4';

/** {org}/_apis/serviceendpoint/endpoints/{id}: create (no id), update, share. */
export function endpointPath(id = ''): string {
  return `_apis/serviceendpoint/endpoints${id ? `/${encodeURIComponent(id)}` : ''}`;
}

/** {org}/{project}/_apis/serviceendpoint/endpoints/{id}: a project's connections, or one by id. */
function projectEndpointPath(project: string, id = ''): string {
  return `${encodeURIComponent(project)}/${endpointPath(id)}`;
}

/** Endpoints - Get: null when the caller may not see the connection (200 without a body) or it is not there (404). */
function readEndpoint(clients: Clients, project: string, id: string): Promise<ServiceEndpoint | null> {
  return clients.devops.request<ServiceEndpoint>({ path: projectEndpointPath(project, id), apiVersion: ENDPOINTS_API, nullWhenNotFound: true });
}

export interface DesiredConnection {
  name: string;
  description: string;
  project: { id: string; name: string };
  environment: string;
  resourceManagerUrl: string;
  tenantId: string;
  clientId: string;
  subscriptionId: string;
  subscriptionName: string;
  /** ARM id of a resource group when the connection is scoped to one. */
  resourceGroupScope?: string;
  /** Set when the connection is scoped to a management group: then it names no subscription (docs/wire.md). */
  managementGroup?: { id: string; name: string };
}

export interface Connection {
  id: string;
  name: string;
  tenantId: string;
  clientId: string;
  issuer: string;
  subject: string;
  ready: boolean;
  /** Azure DevOps disables connections unused for 100 days; a disabled one is not ready. */
  disabled: boolean;
  failed?: string;
  /** Ids of the projects the connection is in (its own, and those it is shared with). */
  projectIds: string[];
}

const SCHEME = 'WorkloadIdentityFederation';
/** The data keys that say what the connection is scoped to; an update replaces them all. */
const SCOPE_DATA = ['scopeLevel', 'subscriptionId', 'subscriptionName', 'managementGroupId', 'managementGroupName'];

export function toWire(desired: DesiredConnection): ServiceEndpoint {
  return {
    name: desired.name,
    type: 'AzureRM',
    url: desired.resourceManagerUrl,
    owner: 'library',
    description: desired.description,
    authorization: {
      scheme: SCHEME,
      parameters: {
        tenantid: desired.tenantId,
        serviceprincipalid: desired.clientId,
        // Resource-group scope lives in the authorization parameters; scopeLevel stays Subscription (docs/wire.md).
        ...(desired.resourceGroupScope ? { scope: desired.resourceGroupScope } : {}),
      },
    },
    data: {
      environment: desired.environment,
      ...(desired.managementGroup
        ? { scopeLevel: 'ManagementGroup', managementGroupId: desired.managementGroup.id, managementGroupName: desired.managementGroup.name }
        : { scopeLevel: 'Subscription', subscriptionId: desired.subscriptionId, subscriptionName: desired.subscriptionName }),
      creationMode: 'Manual',
    },
    isShared: false,
    serviceEndpointProjectReferences: [
      { projectReference: { id: desired.project.id, name: desired.project.name }, name: desired.name, description: desired.description },
    ],
  };
}

export function fromWire(wire: ServiceEndpoint): Connection {
  const parameters = wire.authorization?.parameters ?? {};
  const state = (wire.operationStatus as { state?: string; statusMessage?: string } | undefined) ?? {};
  return {
    id: wire.id ?? '',
    name: wire.name ?? '',
    tenantId: parameters.tenantid ?? '',
    clientId: parameters.serviceprincipalid ?? '',
    issuer: parameters.workloadIdentityFederationIssuer ?? '',
    subject: parameters.workloadIdentityFederationSubject ?? '',
    // Real GETs carry no operationStatus (tests/fixtures/recordings/ado-serviceendpoint-get-real.json): absent reads as Ready.
    ready: wire.isReady !== false && wire.isDisabled !== true && (state.state ?? 'Ready').toLowerCase() === 'ready',
    disabled: wire.isDisabled === true,
    failed: (state.state ?? '').toLowerCase() === 'failed' ? state.statusMessage || 'the connection failed' : undefined,
    projectIds: (wire.serviceEndpointProjectReferences ?? []).map((r) => r.projectReference?.id ?? '').filter(Boolean),
  };
}

/** How an existing connection relates to the one we want. */
export function compare(desired: DesiredConnection, existing: ServiceEndpoint): 'same' | 'update' | 'foreign' {
  if (!usesIdentity(existing, desired.tenantId, desired.clientId)) return 'foreign';
  const parameters = existing.authorization?.parameters ?? {};
  const data = existing.data ?? {};
  const group = desired.managementGroup;
  const sameScope = group
    ? (data.scopeLevel ?? '').toLowerCase() === 'managementgroup' &&
      (data.managementGroupId ?? '').toLowerCase() === group.id.toLowerCase() &&
      (data.managementGroupName ?? '') === group.name
    : (data.scopeLevel ?? 'Subscription').toLowerCase() === 'subscription' &&
      (data.subscriptionId ?? '').toLowerCase() === desired.subscriptionId.toLowerCase();
  const same =
    sameScope &&
    (parameters.scope ?? '').toLowerCase() === (desired.resourceGroupScope ?? '').toLowerCase() &&
    (data.environment ?? '').toLowerCase() === desired.environment.toLowerCase() &&
    (existing.description ?? '') === desired.description;
  return same ? 'same' : 'update';
}

/** Whether a connection signs in with workload identity federation as this identity. */
function usesIdentity(existing: ServiceEndpoint, tenantId: string, clientId: string): boolean {
  const parameters = existing.authorization?.parameters ?? {};
  return (
    existing.type?.toLowerCase() === 'azurerm' &&
    existing.authorization?.scheme?.toLowerCase() === SCHEME.toLowerCase() &&
    parameters.serviceprincipalid?.toLowerCase() === clientId.toLowerCase() &&
    parameters.tenantid?.toLowerCase() === tenantId.toLowerCase()
  );
}

/**
 * The connection of that name in the project, if any (names are unique per project, case-insensitively).
 * The by-name lookup sends `endpointNames` as a comma-separated list (ServiceEndpointApi
 * getServiceEndpointsByNames joins the array with commas; the service splits it again), so a name holding
 * a comma can never be found that way: for such a name every connection of the project is listed (no
 * filter at all, so that a connection of another type holding the name is found too). Either way the match
 * is made here, exactly and case-insensitively. `projectName` is for messages only.
 */
export async function findConnection(clients: Clients, project: string, name: string, projectName = project): Promise<ServiceEndpoint | null> {
  const found = await devops(clients, `look up the service connection '${name}' in project '${projectName}'`, () =>
    clients.devops.list<ServiceEndpoint>({
      path: projectEndpointPath(project),
      apiVersion: ENDPOINTS_API,
      query: { endpointNames: name.includes(',') ? undefined : name },
      nullWhenNotFound: true,
    }),
  );
  return found.value.find((endpoint) => endpoint.name?.toLowerCase() === name.toLowerCase()) ?? null;
}

/**
 * What to do about the connection: create it when the name is free; otherwise keep it or update what this
 * task owns in it, when it may be reused (see assertReusable, which throws when not).
 */
export function decideConnection(desired: DesiredConnection, existing: ServiceEndpoint | null, whenExists: 'reuse' | 'fail'): 'create' | 'keep' | 'update' {
  if (!existing) return 'create';
  assertReusable(existing, { name: desired.name, projectName: desired.project.name, tenantId: desired.tenantId, clientId: desired.clientId }, whenExists);
  return compare(desired, existing) === 'same' ? 'keep' : 'update';
}

/**
 * Creates the connection. When the name is taken after all (another run created it a moment ago, or this
 * run did and its answer was lost, so clients/devops.ts retried the create), converges on that
 * connection instead of failing: keeps or updates it when it may be reused.
 */
export async function createConnection(
  clients: Clients,
  desired: DesiredConnection,
  whenExists: 'reuse' | 'fail',
): Promise<{ action: 'created' | 'updated' | 'kept'; value: Connection }> {
  let created: ServiceEndpoint;
  try {
    const operation = `create the service connection '${desired.name}'`;
    const answer = await devops(clients, operation, () =>
      clients.devops.request<ServiceEndpoint>({ method: 'POST', path: endpointPath(), apiVersion: ENDPOINTS_API, body: toWire(desired) }),
    );
    if (!answer) throw new ServiceError('Azure DevOps answered without the connection', { operation });
    created = answer;
  } catch (error) {
    if ((error as TaskError).code !== 'DuplicateServiceConnectionException') throw error;
    const raced = await findConnection(clients, desired.project.id, desired.name, desired.project.name);
    // The name is taken by a connection the caller cannot see at all (an empty list, ado-serviceendpoint-get-real).
    if (!raced) throw unreadableConnection(desired.name, desired.project.name, 'cannot see it');
    if (decideConnection(desired, raced, whenExists) === 'keep') return { action: 'kept', value: await untilReady(clients, desired.project, fromWire(raced)) };
    return { action: 'updated', value: await updateConnection(clients, desired, raced) };
  }
  return { action: 'created', value: await untilReady(clients, desired.project, fromWire(created)) };
}

/**
 * Refuses an existing connection that this run may not take over: any, when the user said `fail`; one
 * that signs in as another identity otherwise. `clientId` is the identity's client id, or undefined when
 * the identity does not exist yet (then no existing connection can be using it). Called before the
 * first write, and again when a concurrent run created the connection.
 */
export function assertReusable(
  existing: ServiceEndpoint,
  wanted: { name: string; projectName: string; tenantId: string; clientId: string | undefined },
  whenExists: 'reuse' | 'fail',
): void {
  const where = `in project '${wanted.projectName}'`;
  if (whenExists === 'fail') {
    throw new ConflictError(`a service connection named '${wanted.name}' already exists ${where}`, {
      operation: `create the service connection '${wanted.name}'`,
      hint: "Set existingConnection to 'reuse' to keep it, or pick another connectionName",
    });
  }
  // A caller with partial rights gets the connection with type, data or authorization null
  // (tests/fixtures/recordings/ado-serviceendpoint-get-real.json): whose it is cannot be told, so nothing is written.
  if (isPartial(existing)) throw unreadableConnection(wanted.name, wanted.projectName, 'can see its name but not its details');
  const parameters = existing.authorization?.parameters ?? {};
  if (!wanted.clientId || !usesIdentity(existing, wanted.tenantId, wanted.clientId)) {
    throw new ConflictError(
      `the service connection '${wanted.name}' ${where} uses ${existing.authorization?.scheme ?? 'another scheme'} with client id '${parameters.serviceprincipalid ?? 'unknown'}', not the identity ${wanted.clientId ? `'${wanted.clientId}'` : 'this task provisions'}`,
      {
        operation: `reuse the service connection '${wanted.name}'`,
        hint: 'Pick another connectionName; this task never changes a connection that belongs to another identity',
      },
    );
  }
  if (existing.isDisabled === true) throw disabledConnection(wanted.name, wanted.projectName);
}

/** Whether Azure DevOps withheld the connection's details from the caller (type, data or authorization null). */
export function isPartial(existing: ServiceEndpoint): boolean {
  return existing.type == null || existing.data == null || existing.authorization == null;
}

/**
 * A connection of that name exists that the identity of devOpsAuth may not read (fully). Azure DevOps answers
 * such a caller 200 with an empty list or a partial object, never 401/403 (ado-serviceendpoint-get-real).
 */
export function unreadableConnection(name: string, projectName: string, seen: string): PermissionError {
  return new PermissionError(`a service connection named '${name}' exists in project '${projectName}', and the identity of devOpsAuth ${seen}`, {
    operation: `reuse the service connection '${name}'`,
    hint: `Make that identity (the project's build service for jobAccessToken) a User of the connection to reuse it, or an Administrator to let this task update it: Project settings → Service connections → '${name}' → ⋮ → Security; then re-run the task, or pick another connectionName`,
  });
}

/**
 * A disabled connection is not ready: Azure DevOps disables connections unused for 100 days. The task
 * does not enable it: no documented call does (isDisabled is a read-only field of the published contract).
 */
export function disabledConnection(name: string, projectName: string): ConflictError {
  return new ConflictError(`the service connection '${name}' in project '${projectName}' is disabled, so it is not ready for use`, {
    operation: `reuse the service connection '${name}'`,
    hint: `Azure DevOps disables connections unused for 100 days: an Administrator of the connection enables it again under Project settings → Service connections → '${name}' → ⋮ → Enable; then re-run the task`,
  });
}

/** Changes what this task owns in an existing connection, keeping what Azure DevOps generated (issuer, subject). */
export async function updateConnection(clients: Clients, desired: DesiredConnection, existing: ServiceEndpoint): Promise<Connection> {
  const wanted = toWire(desired);
  const merged: ServiceEndpoint = {
    ...existing,
    description: wanted.description,
    url: wanted.url,
    authorization: {
      scheme: SCHEME,
      parameters: { ...stripScope(existing.authorization?.parameters), ...wanted.authorization?.parameters },
    },
    data: { ...withoutScopeData(existing.data), ...wanted.data },
  };
  const updated = await devops(clients, `update the service connection '${desired.name}'`, () =>
    clients.devops.request<ServiceEndpoint>({ method: 'PUT', path: endpointPath(existing.id ?? ''), apiVersion: ENDPOINTS_API, body: merged }),
  );
  return untilReady(clients, desired.project, fromWire({ ...existing, ...updated }));
}

function withoutScopeData(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).filter(([key]) => !SCOPE_DATA.includes(key)));
}

function stripScope(parameters: Record<string, string> | undefined): Record<string, string> {
  const { scope: _scope, ...rest } = parameters ?? {};
  return rest;
}

/** Manual connections are ready at once; should one report InProgress, wait a bounded time for it. */
export async function untilReady(clients: Clients, project: { id: string; name: string }, connection: Connection): Promise<Connection> {
  const check = (current: Connection): Connection => {
    if (current.failed) {
      throw new ServiceError(current.failed, { operation: `prepare the service connection '${current.name}'` });
    }
    if (current.disabled) throw disabledConnection(current.name, project.name);
    if (!current.ready || !current.issuer || !current.subject) {
      throw new ServiceError('it is not ready and has no workload identity issuer and subject yet', {
        operation: `read the service connection '${current.name}'`,
        code: 'ConnectionNotReady',
      });
    }
    return current;
  };
  try {
    return check(connection);
  } catch (notYet) {
    if ((notYet as TaskError).code !== 'ConnectionNotReady') throw notYet;
  }
  return waitFor(
    clients.clock,
    `the service connection '${connection.name}' to become ready`,
    async () => {
      const current = await devops(clients, `read the service connection '${connection.name}'`, async () => readEndpoint(clients, project.id, connection.id));
      // A caller who may not read the connection gets 200 with a null body for its id, or an object whose
      // authorization is null (tests/fixtures/recordings/ado-serviceendpoint-get-real.json): no wait will
      // change that, only a role on the connection.
      if (!current) throw unreadableConnection(connection.name, project.name, 'cannot read it (Azure DevOps answers no connection for its id)');
      if (!current.authorization) throw unreadableConnection(connection.name, project.name, 'may see only part of it (no authorization details)');
      return check(fromWire(current));
    },
    (error) => ((error as TaskError).code === 'ConnectionNotReady' ? 'policy' : undefined),
    TRANSIENT,
  );
}

/**
 * The name of a connection by its id, or undefined when it cannot be read: only to name the bootstrap
 * connection in a failure (the agent hands the task its id alone). One try, no waiting: the run is ending.
 */
export async function bootstrapConnectionName(clients: Clients, project: string, id: string): Promise<string | undefined> {
  try {
    return (await readEndpoint(clients, project, id))?.name || undefined;
  } catch {
    return undefined;
  }
}
