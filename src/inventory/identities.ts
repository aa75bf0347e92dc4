/**
 * The identities behind the connections, by client id (docs/wire.md, "Inventory reads"): Microsoft Graph's
 * service principal and application by appId, two requests per client id in `$batch` requests of up to 20
 * (Graph's limit, "Combine multiple requests in one HTTP call using JSON batching"), then, for a managed
 * identity, its federated credentials through ARM at the ARM id its service principal names in
 * alternativeNames. A refusal is `Unreadable` (Graph: Application.Read.All; ARM: Reader on the identity);
 * an answer that is not the shape is a failure of the run, never "not found".
 */
import type { Clients } from '../clients';
import { arm } from '../clients/arm';
import { graphCall } from '../clients/graph';
import { ServiceError } from '../errors';
import { parseRetryAfter } from '../sdkErrors';
import { limiter } from './limit';
import type { FederatedCredential, Identity, KeyCredential, Unreadable } from './model';

/** Graph's limit of requests in one $batch. */
export const BATCH_SIZE = 20;
/** Batches in flight at once: Graph throttles per application, and a batch's requests count one by one. */
const GRAPH_IN_FLIGHT = 4;
const ARM_IN_FLIGHT = 8;
/** Microsoft.ManagedIdentity's federated credentials (the version src/clients/arm.ts's SDK pins). */
const FEDERATED_CREDENTIALS_API = '2024-11-30';

const GRAPH_GRANT = 'the Microsoft Graph application permission Application.Read.All (with admin consent) for the identity the run signs in as';

export interface SubResponse {
  id: string;
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** The two requests that describe one client id. */
export function identityRequests(clientId: string, index: number): { id: string; method: 'GET'; url: string }[] {
  const key = `'${encodeURIComponent(clientId.replace(/'/g, "''"))}'`;
  return [
    {
      id: `sp${index}`,
      method: 'GET',
      url: `/servicePrincipals(appId=${key})?$select=id,appId,servicePrincipalType,alternativeNames,signInAudience,appOwnerOrganizationId`,
    },
    {
      id: `app${index}`,
      method: 'GET',
      url: `/applications(appId=${key})?$select=id,appId,signInAudience,passwordCredentials,keyCredentials&$expand=federatedIdentityCredentials`,
    },
  ];
}

export interface IdentityReader {
  /** The identity of a client id; asked once per client id, answered when its batch is. */
  identity(clientId: string): Promise<Identity>;
  /** Sends what is queued: the caller knows no more client ids are coming. */
  flush(): void;
  readonly requests: { graph: number; arm: number };
}

/** Collects client ids into batches of BATCH_SIZE requests, sends them (GRAPH_IN_FLIGHT at once), then reads managed identities' credentials. */
export function identityReader(clients: Clients, tenantId: string): IdentityReader {
  const requests = { graph: 0, arm: 0 };
  const graphSlot = limiter(GRAPH_IN_FLIGHT);
  const armSlot = limiter(ARM_IN_FLIGHT);
  const known = new Map<string, Promise<Identity>>();
  let queued: { clientId: string; resolve: (identity: Identity) => void; reject: (error: unknown) => void }[] = [];
  const send = (): void => {
    const batch = queued;
    queued = [];
    if (batch.length === 0) return;
    void graphSlot(() => sendBatch(clients, batch.map((entry, index) => identityRequests(entry.clientId, index)).flat(), requests)).then(
      (answers) =>
        batch.forEach((entry, index) => {
          const found = identityFrom(entry.clientId, answers.get(`sp${index}`), answers.get(`app${index}`), tenantId);
          const resolved = found.kind === 'managedIdentity' && found.resourceId ? withCredentials(found, found.resourceId) : Promise.resolve(found);
          resolved.then(entry.resolve, entry.reject);
        }),
      (error: unknown) => batch.forEach((entry) => entry.reject(error)),
    );
  };
  const withCredentials = async (found: Extract<Identity, { kind: 'managedIdentity' }>, resourceId: string): Promise<Identity> => ({
    ...found,
    federatedCredentials: await armSlot(() => readManagedIdentityCredentials(clients, resourceId, requests)),
  });
  return {
    identity: (clientId) => {
      const key = clientId.toLowerCase();
      let found = known.get(key);
      if (!found) {
        found = new Promise<Identity>((resolve, reject) => queued.push({ clientId, resolve, reject }));
        known.set(key, found);
        if (queued.length * 2 >= BATCH_SIZE) send();
      }
      return found;
    },
    flush: send,
    requests,
  };
}

/**
 * One $batch, its transient answers (429, 5xx) sent again in the next batch after the longest Retry-After
 * they asked for, bounded as every Graph call (graphCall). Answers by request id.
 */
async function sendBatch(clients: Clients, all: { id: string; method: string; url: string }[], requests: { graph: number }): Promise<Map<string, SubResponse>> {
  const answers = new Map<string, SubResponse>();
  await graphCall(clients, 'read the identities of the connections (Microsoft Graph $batch)', async () => {
    const pending = all.filter((request) => !answers.has(request.id));
    requests.graph += 1;
    const answer: unknown = await (await clients.graph()).api('/$batch').post({ requests: pending });
    const responses = (answer as { responses?: unknown } | null)?.responses;
    if (!Array.isArray(responses)) throw new ServiceError('Microsoft Graph answered the $batch without responses', { code: 'UnreadableAnswer' });
    let retryAfterMs: number | undefined;
    let transient: SubResponse | undefined;
    for (const response of responses as SubResponse[]) {
      if (typeof response?.id !== 'string' || typeof response.status !== 'number') {
        throw new ServiceError('Microsoft Graph answered a $batch response without its id or status', { code: 'UnreadableAnswer' });
      }
      if (response.status === 429 || response.status >= 500) {
        transient = response;
        const asked = parseRetryAfter(headerOf(response, 'retry-after'));
        retryAfterMs = Math.max(retryAfterMs ?? 0, asked ?? 0);
      } else answers.set(response.id, response);
    }
    if (transient) {
      const error = (transient.body as { error?: { code?: string; message?: string } } | undefined)?.error;
      throw new ServiceError(error?.message ?? `HTTP ${transient.status}`, {
        status: transient.status,
        code: error?.code,
        retryAfterMs: retryAfterMs || undefined,
      });
    }
    const missing = pending.find((request) => !answers.has(request.id));
    if (missing) throw new ServiceError(`Microsoft Graph answered the $batch without the response '${missing.id}'`, { code: 'UnreadableAnswer' });
  });
  return answers;
}

function headerOf(response: SubResponse, name: string): string | undefined {
  return Object.entries(response.headers ?? {}).find(([key]) => key.toLowerCase() === name)?.[1];
}

/** What Graph's two answers say of a client id (pure). */
export function identityFrom(clientId: string, servicePrincipal: SubResponse | undefined, application: SubResponse | undefined, tenantId: string): Identity {
  if (!servicePrincipal) throw unexpected('no answer for the service principal');
  if (servicePrincipal.status === 404) return { kind: 'notFound', clientId };
  const refused = refusedByGraph(servicePrincipal);
  if (refused) return { kind: 'unreadable', clientId, ...refused };
  const sp = objectBody(servicePrincipal, 'a service principal');
  const objectId = stringField(sp, 'id', 'a service principal');
  if (sp.servicePrincipalType === 'ManagedIdentity') {
    const names = Array.isArray(sp.alternativeNames) ? sp.alternativeNames.filter((n): n is string => typeof n === 'string') : [];
    // alternativeNames: ["isExplicit=True", "/subscriptions/…/userAssignedIdentities/id-app1"] (docs/wire.md).
    const resourceId = names.find((name) => /^\/subscriptions\//i.test(name));
    return {
      kind: 'managedIdentity',
      clientId,
      objectId,
      resourceId,
      federatedCredentials: resourceId
        ? []
        : { unreadable: true, reason: 'its service principal names no ARM id', grant: 'nothing: a system-assigned identity has no federated credentials' },
    };
  }
  const audience = (value: unknown): boolean => typeof value === 'string' && value !== 'AzureADMyOrg';
  const spMultiTenant =
    audience(sp.signInAudience) || (typeof sp.appOwnerOrganizationId === 'string' && sp.appOwnerOrganizationId.toLowerCase() !== tenantId.toLowerCase());
  if (!application || application.status === 404) return { kind: 'appRegistration', clientId, objectId, multiTenant: spMultiTenant };
  const appRefused = refusedByGraph(application);
  if (appRefused) return { kind: 'appRegistration', clientId, objectId, multiTenant: spMultiTenant, application: appRefused };
  const app = objectBody(application, 'an application');
  return {
    kind: 'appRegistration',
    clientId,
    objectId,
    multiTenant: audience(app.signInAudience) || spMultiTenant,
    application: {
      objectId: stringField(app, 'id', 'an application'),
      federatedCredentials: list(app.federatedIdentityCredentials).map((c) => credentialOf(c.name, c.issuer, c.subject)),
      credentials: [...keys(app.passwordCredentials, 'secret'), ...keys(app.keyCredentials, 'certificate')],
    },
  };
}

function refusedByGraph(response: SubResponse): Unreadable | undefined {
  if (response.status === 200) return undefined;
  const error = (response.body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const words = `HTTP ${response.status}${typeof error?.code === 'string' ? ` ${error.code}` : ''}${typeof error?.message === 'string' ? `: ${error.message}` : ''}`;
  if (response.status === 401 || response.status === 403) return { unreadable: true, reason: words, grant: GRAPH_GRANT };
  throw unexpected(words);
}

function keys(value: unknown, kind: KeyCredential['kind']): KeyCredential[] {
  return list(value).map((key) => ({
    keyId: typeof key.keyId === 'string' ? key.keyId : '',
    kind,
    displayName: typeof key.displayName === 'string' ? key.displayName : null,
    endDateTime: typeof key.endDateTime === 'string' ? key.endDateTime : null,
  }));
}

/** A managed identity's federated credentials, every page, through ARM. */
async function readManagedIdentityCredentials(clients: Clients, resourceId: string, requests: { arm: number }): Promise<FederatedCredential[] | Unreadable> {
  const name = resourceId.split('/').pop() ?? resourceId;
  const operation = `read the federated credentials of the managed identity '${name}'`;
  const found: FederatedCredential[] = [];
  for (let next: string | undefined = `${resourceId}/federatedIdentityCredentials`; next;) {
    const page: string = next;
    requests.arm += 1;
    const response = await arm(clients, operation, async () => (await clients.azure()).armGet(page, FEDERATED_CREDENTIALS_API));
    if (response.status === 401 || response.status === 403 || response.status === 404) {
      const error = (response.body?.error ?? {}) as { code?: unknown; message?: unknown };
      return {
        unreadable: true,
        reason: `HTTP ${response.status}${typeof error.code === 'string' ? ` ${error.code}` : ''}${typeof error.message === 'string' ? `: ${error.message}` : ''}`,
        grant: `the Azure role Reader on the managed identity '${name}' (its Access control (IAM))`,
      };
    }
    if (response.status !== 200 || !Array.isArray(response.body?.value))
      throw new ServiceError(`ARM answered HTTP ${response.status} without a list`, { operation, status: response.status, code: 'UnreadableAnswer' });
    for (const item of response.body.value as { name?: unknown; properties?: { issuer?: unknown; subject?: unknown } }[]) {
      found.push(credentialOf(item?.name, item?.properties?.issuer, item?.properties?.subject));
    }
    next = typeof response.body.nextLink === 'string' ? response.body.nextLink : undefined;
  }
  return found;
}

function credentialOf(name: unknown, issuer: unknown, subject: unknown): FederatedCredential {
  if (typeof issuer !== 'string' || typeof subject !== 'string') throw unexpected('a federated credential without issuer or subject');
  return { name: typeof name === 'string' ? name : '', issuer, subject };
}

function list(value: unknown): Record<string, unknown>[] {
  return Array.isArray(value) ? value.filter((item): item is Record<string, unknown> => typeof item === 'object' && item !== null) : [];
}

function objectBody(response: SubResponse, what: string): Record<string, unknown> {
  if (typeof response.body !== 'object' || response.body === null) throw unexpected(`${what} without a body`);
  return response.body as Record<string, unknown>;
}

function stringField(body: Record<string, unknown>, field: string, what: string): string {
  const value = body[field];
  if (typeof value !== 'string' || !value) throw unexpected(`${what} without its ${field}`);
  return value;
}

function unexpected(what: string): ServiceError {
  return new ServiceError(`Microsoft Graph answered ${what}`, { operation: 'read the identities of the connections', code: 'UnreadableAnswer' });
}
