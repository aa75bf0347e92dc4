/**
 * The application's service principal in the tenant (Microsoft Graph v1.0, tests/fixtures/contracts/graph-v1.0/NOTES.md
 * §3-4): the object Entra signs the connection in as, and whose object id ARM role assignments name.
 */
import type { Change, Run, Written } from '../change';
import type { Clients } from '../clients';
import { ServiceError, type TaskError } from '../errors';
import type { ProvisioningRequest } from '../request';
import { toTaskError } from '../sdkErrors';
import { waitFor, type WaitPolicy } from '../retry';
import { graphCall, isReplicationLag, odataKey } from '../clients/graph';

export interface ServicePrincipal {
  /** Object id: the principal id of role assignments. */
  id: string;
  appId: string;
  displayName: string;
}

export interface WireServicePrincipal {
  id?: string;
  appId?: string;
  displayName?: string | null;
  accountEnabled?: boolean | null;
}

/**
 * The body of the upsert. The appId travels in the URL; the body only makes explicit what a new service
 * principal needs to sign in (an enabled account), which is also Graph's default.
 */
export function toWire(): WireServicePrincipal {
  return { accountEnabled: true };
}

export function fromWire(wire: WireServicePrincipal): ServicePrincipal {
  return { id: wire.id ?? '', appId: wire.appId ?? '', displayName: wire.displayName ?? '' };
}

/**
 * Whether a failed create means "the application has not replicated yet". Graph answers 400
 * "The appId '…' of the service principal does not reference a valid application object."
 * (detail NoBackingApplicationObject) to a caller with Application.ReadWrite.All, and 403
 * Authorization_RequestDenied "When using this permission, the backing application of the service
 * principal being created must in the local tenant" to one with Application.ReadWrite.OwnedBy, whose
 * ownership check cannot see the application yet (Azure CLI retries both: azure-cli
 * create_service_principal_for_rbac). The 403 is also what a caller gets for an application it does not
 * own, so it is awaited only for an application this run created.
 */
export function isAwaitingApplication(error: TaskError, applicationIsNew: boolean): boolean {
  const message = error.message.toLowerCase();
  if (error.status === 400 && message.includes('does not reference a valid application object')) return true;
  // All recorded evidence is for POST /servicePrincipals (tests/fixtures/recordings/graph-serviceprincipal-create-errors.json);
  // what the upsert by appId answers during the same lag is undocumented (graph-upsert-docs-notes.json), so
  // Graph's not-found for the application this run just made is awaited too, as the 403 is.
  if (applicationIsNew && isReplicationLag(error)) return true;
  return (
    applicationIsNew && error.status === 403 && error.code === 'Authorization_RequestDenied' && message.includes('backing application of the service principal')
  );
}

/** A replication answer carries Graph's generic code; say what it means when the wait runs out. */
function explained(error: TaskError, applicationIsNew: boolean): TaskError {
  if (!isAwaitingApplication(error, applicationIsNew)) return error;
  const { operation, status, code, correlationId } = error;
  return new ServiceError(error.message, {
    operation,
    status,
    code,
    correlationId,
    hint: 'Microsoft Graph has not replicated the new application yet; re-run the task in a few minutes',
  });
}

function byAppId(appId: string): string {
  return `/servicePrincipals(appId=${odataKey(appId)})`;
}

export async function readServicePrincipal(clients: Clients, appId: string): Promise<ServicePrincipal | null> {
  const graph = await clients.graph();
  try {
    return fromWire(
      await graphCall(clients, `read the service principal of application ${appId}`, () => graph.api(byAppId(appId)).get() as Promise<WireServicePrincipal>),
    );
  } catch (error) {
    if ((error as TaskError).status === 404) return null;
    throw error;
  }
}

/**
 * Creates the service principal of the application with Graph's upsert by appId. `applicationIsNew` lets
 * the create wait (bounded by `replication`) for the new application to replicate. `created: false` when
 * it existed after all (204: a concurrent run, or a replica the read missed); it is then read back.
 */
async function createServicePrincipal(
  clients: Clients,
  appId: string,
  applicationIsNew: boolean,
  replication: WaitPolicy,
): Promise<{ created: boolean; value: ServicePrincipal }> {
  const graph = await clients.graph();
  const operation = `create the service principal of application ${appId}`;
  const written = await waitFor(
    clients.clock,
    `the application ${appId} to replicate in Microsoft Graph`,
    () =>
      graphCall(
        clients,
        operation,
        () => graph.api(byAppId(appId)).header('Prefer', 'create-if-missing').patch(toWire()) as Promise<WireServicePrincipal | undefined>,
      ).catch((error: unknown) => Promise.reject(explained(error as TaskError, applicationIsNew))),
    (error) => (isAwaitingApplication(error as TaskError, applicationIsNew) ? 'policy' : undefined),
    replication,
  );
  if (written?.id) return { created: true, value: fromWire(written) };
  const found = await waitFor(
    clients.clock,
    `the service principal of application ${appId} to replicate in Microsoft Graph`,
    async () => {
      const principal = await readServicePrincipal(clients, appId);
      if (principal) return principal;
      throw toTaskError('graph', operation, {
        statusCode: 404,
        code: 'Request_ResourceNotFound',
        message: 'Graph answered that it exists, but reading it found nothing yet',
      });
    },
    (error) => ((error as TaskError).code === 'Request_ResourceNotFound' ? 'policy' : undefined),
    replication,
  );
  return { created: false, value: found };
}

export interface ServicePrincipalChange extends Change<'create' | 'keep'> {
  existing: ServicePrincipal | null;
}

/** The service principal's entry of the change set, for an app-registration request. */
export function decide(
  request: ProvisioningRequest,
  observed: { identity: { kind: 'appRegistration'; servicePrincipal: ServicePrincipal | null } | { kind: 'managedIdentity' } },
): ServicePrincipalChange | undefined {
  if (request.identityType !== 'appRegistration' || observed.identity.kind !== 'appRegistration') return undefined;
  return {
    action: observed.identity.servicePrincipal ? 'keep' : 'create',
    what: `the service principal of application '${request.application.displayName}'`,
    needs: [],
    existing: observed.identity.servicePrincipal,
  };
}

/**
 * The principal role assignments name. `recheck`: it was not new after all (a read inside Graph's
 * replication window missed it), so its role assignments are looked for before they are written.
 */
export interface AppliedPrincipal {
  id: string;
  recheck: boolean;
}

export async function apply(
  change: ServicePrincipalChange,
  after: { application: { appId: string; isNew: boolean } | undefined },
  run: Run,
): Promise<Written<AppliedPrincipal>> {
  if (change.action === 'keep') return { happened: 'kept', value: { id: change.existing?.id ?? '', recheck: false } };
  const appId = after.application?.appId ?? '';
  const result = await createServicePrincipal(run.clients, appId, after.application?.isNew ?? false, run.replication);
  return { happened: result.created ? 'created' : 'updated', value: { id: result.value.id, recheck: !result.created } };
}
