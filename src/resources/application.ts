/**
 * The Entra application (app registration) behind an app-registration connection, through Microsoft
 * Graph v1.0 (tests/fixtures/contracts/graph-v1.0/NOTES.md §1-2). Found and created by its uniqueName, so every run of
 * the same connection lands on the same application.
 */
import { type ChangeAction, type Existing, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { TaskError } from '../errors';
import type { ProvisioningRequest } from '../request';
import { toTaskError } from '../sdkErrors';
import { waitFor, type WaitPolicy } from '../retry';
import { graphCall, isReplicationLag, odataKey } from '../clients/graph';
import type { ServicePrincipal } from './servicePrincipal';

/**
 * Single tenant: the Entra issuer of new Azure DevOps connections refuses multi-tenant applications
 * (AADSTS70052, docs/wire.md), and a connection's identity has no business in other tenants anyway.
 */
const SIGN_IN_AUDIENCE = 'AzureADMyOrg';

export interface DesiredApplication {
  uniqueName: string;
  displayName: string;
}

export interface Application {
  /** Object id: the key of /applications/{id}. */
  id: string;
  /** Client id: what the connection signs in as. */
  appId: string;
  uniqueName: string;
  displayName: string;
  signInAudience: string;
}

/** The Graph application properties this task owns (the uniqueName travels in the URL). */
export interface WireApplication {
  id?: string;
  appId?: string;
  uniqueName?: string | null;
  displayName?: string | null;
  signInAudience?: string | null;
}

export function toWire(desired: DesiredApplication): WireApplication {
  return { displayName: desired.displayName, signInAudience: SIGN_IN_AUDIENCE };
}

export function fromWire(wire: WireApplication): Application {
  return {
    id: wire.id ?? '',
    appId: wire.appId ?? '',
    uniqueName: wire.uniqueName ?? '',
    displayName: wire.displayName ?? '',
    signInAudience: wire.signInAudience ?? '',
  };
}

/** The properties to PATCH so an existing application matches the desired one; undefined when it does. */
export function changes(desired: DesiredApplication, existing: Application): WireApplication | undefined {
  const wanted = toWire(desired);
  const patch: WireApplication = {};
  if (existing.displayName !== wanted.displayName) patch.displayName = wanted.displayName;
  if (existing.signInAudience !== wanted.signInAudience) patch.signInAudience = wanted.signInAudience;
  return Object.keys(patch).length > 0 ? patch : undefined;
}

function byUniqueName(uniqueName: string): string {
  return `/applications(uniqueName=${odataKey(uniqueName)})`;
}

/** The application with this uniqueName, or null. Graph lets Application.ReadWrite.OwnedBy read any application. */
export async function readApplication(clients: Clients, uniqueName: string): Promise<Application | null> {
  const graph = await clients.graph();
  try {
    return fromWire(
      await graphCall(clients, `read the application '${uniqueName}'`, () => graph.api(byUniqueName(uniqueName)).get() as Promise<WireApplication>),
    );
  } catch (error) {
    if ((error as TaskError).status === 404) return null;
    throw error;
  }
}

/** Other applications of the display name a new application would take, or why they could not be listed. */
export type SameName = { applications: Application[] } | { unlisted: string };

/**
 * The applications that carry `displayName` (GET /applications?$filter=displayName eq '…'). Graph lists every
 * application of the tenant to Application.ReadWrite.OwnedBy as to Application.Read.All (its List applications
 * reference names both for application permissions); a refusal is kept as the reason, never a failure of
 * the run: the run does not need the answer, only the warning does. Undefined when Graph failed to answer.
 */
export async function readSameName(clients: Clients, displayName: string): Promise<SameName | undefined> {
  const filter = `displayName eq '${displayName.replace(/'/g, "''")}'`;
  // One try, no waiting: the run does not need the answer, and a Graph that keeps failing is the
  // application read's to report (within its bound), not this one's to double.
  try {
    const graph = await clients.graph();
    const page = (await graph.api('/applications').filter(filter).select('id,appId,uniqueName,displayName,signInAudience').get()) as {
      value?: WireApplication[];
    };
    return { applications: (page.value ?? []).map(fromWire) };
  } catch (error) {
    // A refusal (4xx) says what the bootstrap may not see; a bad service moment (5xx, a dropped
    // connection) says nothing of it, and the application read beside this one rides that out or reports it.
    const failure = toTaskError('graph', `list the applications named '${displayName}'`, error);
    return failure.status !== undefined && failure.status < 500 ? { unlisted: failure.code ?? `HTTP ${failure.status}` } : undefined;
  }
}

/**
 * A new application takes its display name, which someone else's application may already carry: the task
 * finds its own by uniqueName, so it cannot use that one and makes a second of the same name. It says so, as
 * it says when it could not look (Graph refused the list), since a person choosing in the portal by name
 * would then see two.
 */
export function warnings(request: ProvisioningRequest, observed: { identity: ObservedAppRegistration | { kind: 'managedIdentity' } }): string[] {
  if (request.identityType !== 'appRegistration' || observed.identity.kind !== 'appRegistration') return [];
  const { application, sameName, uniqueName } = observed.identity;
  if (application || !sameName) return [];
  const name = request.application.displayName;
  if ('unlisted' in sameName) {
    return [
      `Microsoft Graph did not let the bootstrap connection list the applications named '${name}' (${sameName.unlisted}), so one someone else made cannot be seen: this run made its own application of that name. Set applicationName to a name of its own, or grant the bootstrap's application Application.Read.All to let the task look.`,
    ];
  }
  const others = sameName.applications.filter((other) => other.uniqueName.toLowerCase() !== uniqueName.toLowerCase());
  if (others.length === 0) return [];
  return [
    `An application named '${name}' already exists (client id ${others.map((other) => other.appId).join(', ')}) that this task did not make for this connection: this run made another of the same name. Set applicationName to a name of its own to tell them apart.`,
  ];
}

/** What to do about the application: create it when missing, update it when it differs, keep it otherwise. */
function decideApplication(desired: DesiredApplication, existing: Application | null): 'create' | 'update' | 'keep' {
  if (!existing) return 'create';
  return changes(desired, existing) ? 'update' : 'keep';
}

/**
 * Brings an existing application to the desired display name and audience, or creates it with Graph's
 * idempotent upsert by uniqueName: a concurrent run that created it a moment ago turns the create into an
 * update (204, no body), after which the application is read back, waiting out the replica that answered.
 */
async function writeApplication(
  clients: Clients,
  desired: DesiredApplication,
  existing: Application | null,
  replication: WaitPolicy,
): Promise<{ created: boolean; value: Application }> {
  const graph = await clients.graph();
  if (existing) {
    const patch = changes(desired, existing) ?? {};
    await graphCall(clients, `update the application '${existing.displayName}' (${existing.appId})`, () =>
      graph.api(`/applications/${existing.id}`).patch(patch),
    );
    return { created: false, value: fromWire({ ...existing, ...patch }) };
  }
  const operation = `create the application '${desired.displayName}'`;
  const created = await graphCall(
    clients,
    operation,
    () => graph.api(byUniqueName(desired.uniqueName)).header('Prefer', 'create-if-missing').patch(toWire(desired)) as Promise<WireApplication | undefined>,
  );
  if (created?.id) return { created: true, value: fromWire(created) };
  const found = await waitFor(
    clients.clock,
    `the application '${desired.uniqueName}' to replicate in Microsoft Graph`,
    async () => {
      const application = await readApplication(clients, desired.uniqueName);
      if (!application) throw replicating(operation, desired.uniqueName);
      return application;
    },
    (error) => (isReplicationLag(error as TaskError) ? 'policy' : undefined),
    replication,
  );
  return { created: false, value: found };
}

function replicating(operation: string, uniqueName: string): TaskError {
  return toTaskError('graph', operation, {
    statusCode: 404,
    code: 'Request_ResourceNotFound',
    message: `Graph answered that the application '${uniqueName}' exists, but reading it found nothing yet`,
  });
}

/** The app registration as read: the application's uniqueName, and the application and its service principal if they exist. */
export interface ObservedAppRegistration {
  kind: 'appRegistration';
  uniqueName: string;
  application: Application | null;
  servicePrincipal: ServicePrincipal | null;
  /** Other applications of the display name, read beside the application (for the warning above). */
  sameName?: SameName;
}

export type ApplicationChange = Existing<ChangeAction, Application> & { desired: DesiredApplication };

/**
 * The application's entry of the change set, for an app-registration request. Microsoft Graph's
 * permissions cannot be read beforehand: Graph answers Authorization_RequestDenied to the write.
 */
export function decide(
  request: ProvisioningRequest,
  observed: { identity: ObservedAppRegistration | { kind: 'managedIdentity' } },
): ApplicationChange | undefined {
  if (request.identityType !== 'appRegistration') return undefined;
  if (observed.identity.kind !== 'appRegistration') throw new Error('the reads do not match the request: identity types differ');
  const { displayName } = request.application;
  const desired: DesiredApplication = { uniqueName: observed.identity.uniqueName, displayName };
  const existing = observed.identity.application;
  const what = `application '${displayName}' (single tenant)`;
  if (!existing) return { action: 'create', what, needs: [], desired, existing: null };
  return { action: decideApplication(desired, existing) === 'update' ? 'update' : 'keep', what, needs: [], desired, existing };
}

/** The application as written, and whether this run made it (its service principal then waits for it to replicate). */
export interface AppliedApplication extends Application {
  isNew: boolean;
}

export async function apply(change: ApplicationChange, _after: unknown, run: Run): Promise<Written<AppliedApplication>> {
  if (change.action === 'keep') return { happened: 'kept', value: { ...change.existing, isNew: false } };
  const result = await writeApplication(run.clients, change.desired, change.existing, run.replication);
  return {
    happened: result.created ? 'created' : 'updated',
    value: { ...result.value, isNew: change.action === 'create' && result.created },
  };
}

/**
 * Deletes the application, with its service principal: Entra ID keeps both in its deleted items for 30 days,
 * where they can be restored (docs/wire.md, "Removal"). Graph answers 404 when it is gone already.
 */
export async function deleteApplication(clients: Clients, application: { id: string; displayName: string; appId: string }): Promise<void> {
  const graph = await clients.graph();
  await graphCall(
    clients,
    `remove the application '${application.displayName}' (${application.appId})`,
    () => graph.api(`/applications/${application.id}`).delete() as Promise<unknown>,
  ).catch((error: unknown) => ((error as TaskError).status === 404 ? undefined : Promise.reject(error)));
}
