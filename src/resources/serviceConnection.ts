/**
 * The Azure DevOps AzureRM service connection (scheme WorkloadIdentityFederation, creationMode Manual):
 * Endpoints - Create, Update, Get, Get Service Endpoints By Names (tests/fixtures/contracts/ado-serviceendpoint-7.2).
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { type ChangeAction, type Existing, planned, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { ConflictError, PermissionError, ServiceError, TaskError } from '../errors';
import { type ConnectionAccess, devopsIdentity } from '../preflight';
import type { ProvisioningRequest } from '../request';
import { TRANSIENT, waitFor } from '../retry';
import { devops } from '../clients/devops';
import { type AppliedIdentity, type ObservedIdentity, type SignIn, signInAfter, signInBefore } from './identity';
import { compare, type Connection, type DesiredConnection, fromWire, identityMismatch, isPartial, SCHEME, SCOPE_DATA, toWire } from './serviceConnectionWire';
import type { ManagementGroup, Project, ResourceGroup, Subscription } from './lookups';

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
async function createConnection(
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
function assertReusable(
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
  const mismatch = identityMismatch(existing, wanted.tenantId, wanted.clientId);
  if (mismatch) {
    throw new ConflictError(`the service connection '${wanted.name}' ${where} ${mismatch}`, {
      operation: `reuse the service connection '${wanted.name}'`,
      hint: 'Pick another connectionName; this task never changes a connection that belongs to another identity',
    });
  }
  if (existing.isDisabled === true) throw disabledConnection(wanted.name, wanted.projectName);
}

/**
 * A connection of that name exists that the identity of devOpsAuth may not read (fully). Azure DevOps answers
 * such a caller 200 with an empty list or a partial object, never 401/403 (ado-serviceendpoint-get-real).
 */
function unreadableConnection(name: string, projectName: string, seen: string): PermissionError {
  return new PermissionError(`a service connection named '${name}' exists in project '${projectName}', and the identity of devOpsAuth ${seen}`, {
    operation: `reuse the service connection '${name}'`,
    hint: `Make that identity (the project's build service for jobAccessToken) a User of the connection to reuse it, or an Administrator to let this task update it: Project settings → Service connections → '${name}' → ⋮ → Security; then re-run the task, or pick another connectionName`,
  });
}

/**
 * A disabled connection is not ready: Azure DevOps disables connections unused for 100 days. The task
 * does not enable it: no documented call does (isDisabled is a read-only field of the published contract).
 */
function disabledConnection(name: string, projectName: string): ConflictError {
  return new ConflictError(`the service connection '${name}' in project '${projectName}' is disabled, so it is not ready for use`, {
    operation: `reuse the service connection '${name}'`,
    hint: `Azure DevOps disables connections unused for 100 days: an Administrator of the connection enables it again under Project settings → Service connections → '${name}' → ⋮ → Enable; then re-run the task`,
  });
}

/** Changes what this task owns in an existing connection, keeping what Azure DevOps generated (issuer, subject). */
async function updateConnection(clients: Clients, desired: DesiredConnection, existing: ServiceEndpoint): Promise<Connection> {
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
        hint: 'Azure DevOps is still preparing the connection; re-run the task later: it picks up from what exists',
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

export type ConnectionChange = Existing<ChangeAction, ServiceEndpoint> & {
  /** The connection as wanted; its clientId is the identity's, filled in by apply for a new identity. */
  desired: DesiredConnection;
};

/** What the decision reads. */
interface Observed {
  project: Project;
  subscription: Subscription;
  managementGroup?: ManagementGroup;
  scopeResourceGroup?: ResourceGroup;
  connection: ServiceEndpoint | null;
  identity: ObservedIdentity;
  devopsAccess: ConnectionAccess;
}

/** Create the connection when the name is free, else keep or update it when this identity may reuse it (assertReusable). */
export function decide(request: ProvisioningRequest, observed: Observed): ConnectionChange {
  const { project, connection: existing } = observed;
  const who = devopsIdentity(request);
  const desired = desiredConnection(request, observed, signInBefore(request, observed.identity));
  const what = `service connection '${request.connectionName}' (workload identity federation)`;
  if (!existing) {
    const unmet = `${who} lacks the Creator role on service connections in project '${project.name}' (add it as Creator under Project settings, Service connections, Security)`;
    return { action: 'create', what, needs: [{ allowed: observed.devopsAccess.create, unmet }], desired, existing: null };
  }
  const action = decideConnection(desired, existing, request.existingConnection) === 'keep' ? 'keep' : 'update';
  const unmet = `${who} lacks the Administrator role on the service connection '${request.connectionName}', which this run must update (add it as Administrator on that connection's Security page)`;
  return { action, what, needs: [{ allowed: observed.devopsAccess.administer, unmet }], desired, existing };
}

/** The service connection for the identity, from the request and the reads. */
function desiredConnection(request: ProvisioningRequest, observed: Observed, signIn: SignIn): DesiredConnection {
  const { azure, bootstrap } = request;
  return {
    name: request.connectionName,
    description: request.connectionDescription,
    project: observed.project,
    environment: bootstrap.cloud.environment,
    resourceManagerUrl: bootstrap.cloud.resourceManagerUrl,
    tenantId: signIn.tenantId,
    clientId: signIn.clientId,
    subscriptionId: azure.subscriptionId,
    subscriptionName: azure.subscriptionName ?? observed.subscription.name,
    managementGroup:
      azure.managementGroup && observed.managementGroup
        ? { id: observed.managementGroup.id, name: azure.managementGroup.name ?? observed.managementGroup.displayName }
        : undefined,
    resourceGroupScope:
      azure.resourceGroup && observed.scopeResourceGroup
        ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${observed.scopeResourceGroup.name}`
        : undefined,
  };
}

/** The connection as written, and whether another run created it between our read and our write. */
export interface AppliedConnection {
  connection: Connection;
  createdByAnotherRun: boolean;
}

/** Creates, updates or keeps the connection, with the identity's ids as written. */
export async function apply(change: ConnectionChange, after: AppliedIdentity, run: Run): Promise<Written<AppliedConnection>> {
  const { clients, request } = run;
  const desired = { ...change.desired, ...signInAfter(request, after) };
  if (change.action === 'create') {
    const created = await createConnection(clients, desired, request.existingConnection);
    return { happened: created.action, value: { connection: created.value, createdByAnotherRun: created.action !== 'created' } };
  }
  const connection =
    change.action === 'update'
      ? await updateConnection(clients, desired, change.existing)
      : await untilReady(clients, desired.project, fromWire(change.existing));
  return { happened: planned(change), value: { connection, createdByAnotherRun: false } };
}

/**
 * Deletes the connection from the projects it is in (Endpoints - Delete, `projectIds` required). `deep=false`
 * always, and sent: its default is true, which for a connection Azure DevOps created in the Automatic flow also
 * deletes the application behind it (REST reference, Endpoints - Delete; docs/wire.md "Removal"). This task
 * never asks Azure DevOps to delete an identity. A connection that is gone already answers 404.
 */
export async function deleteConnection(clients: Clients, connection: { id: string; name: string }, projectIds: string[]): Promise<void> {
  await devops(clients, `remove the service connection '${connection.name}'`, () =>
    clients.devops.request({
      method: 'DELETE',
      path: endpointPath(connection.id),
      apiVersion: ENDPOINTS_API,
      query: { projectIds: projectIds.join(','), deep: 'false' },
    }),
  ).catch((error: unknown) => ((error as TaskError).status === 404 ? undefined : Promise.reject(error)));
}

/** The project's AzureRM connections, with their details (client ids). */
export async function listAzureRmConnections(clients: Clients, project: string, projectName = project): Promise<ServiceEndpoint[]> {
  const found = await devops(clients, `list the service connections of project '${projectName}'`, () =>
    clients.devops.list<ServiceEndpoint>({ path: projectEndpointPath(project), apiVersion: ENDPOINTS_API, query: { type: 'azurerm' }, nullWhenNotFound: true }),
  );
  return found.value;
}
