/**
 * The federated identity credential on the Entra application that trusts the connection's tokens
 * (Microsoft Graph v1.0 /applications/{id}/federatedIdentityCredentials, tests/fixtures/contracts/graph-v1.0/NOTES.md §5-7).
 * The managed-identity twin is federatedCredential.ts; both return the same model.
 */
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { waitFor, type WaitPolicy } from '../retry';
import { type FederatedCredential, TOKEN_EXCHANGE_AUDIENCE } from './federatedCredential';
import { graphCall, isReplicationLag, odataKey } from '../clients/graph';

export interface DesiredApplicationCredential {
  /** Object id of the application. */
  applicationId: string;
  applicationName: string;
  /** At most 120 URL-friendly characters, immutable (Graph). */
  name: string;
  /** Copied from the service connection, never computed. */
  issuer: string;
  subject: string;
}

export interface WireApplicationCredential {
  id?: string;
  name?: string;
  issuer?: string;
  subject?: string;
  audiences?: string[];
  description?: string | null;
}

/** The upsert body: the name travels in the URL. */
export function toWire(desired: DesiredApplicationCredential): WireApplicationCredential {
  return { issuer: desired.issuer, subject: desired.subject, audiences: [TOKEN_EXCHANGE_AUDIENCE] };
}

export function fromWire(wire: WireApplicationCredential): FederatedCredential {
  return { name: wire.name ?? '', issuer: wire.issuer ?? '', subject: wire.subject ?? '', audiences: wire.audiences ?? [] };
}

/**
 * The application's federated credentials, following Graph's paging. Graph may not know an application
 * created a moment ago (404 Request_ResourceNotFound): that is awaited, bounded by `replication`.
 */
export async function listApplicationCredentials(
  clients: Clients,
  application: { id: string; displayName: string },
  replication: WaitPolicy,
): Promise<FederatedCredential[]> {
  const graph = await clients.graph();
  const operation = `list the federated credentials of the application '${application.displayName}'`;
  type Page = { value?: WireApplicationCredential[]; '@odata.nextLink'?: string };
  return waitFor(
    clients.clock,
    `the application '${application.displayName}' to replicate in Microsoft Graph`,
    async () => {
      const credentials: FederatedCredential[] = [];
      for (let next: string | undefined = collectionOf(application.id); next;) {
        const url: string = next;
        const page = await graphCall(clients, operation, () => graph.api(url).get() as Promise<Page>);
        credentials.push(...(page.value ?? []).map(fromWire));
        next = page['@odata.nextLink'];
      }
      return credentials;
    },
    lagging,
    replication,
  );
}

/**
 * Writes the credential with Graph's upsert by name (create, or update what that name holds); every other
 * credential stays. A new application may not be known yet to the replica that answers: awaited, bounded.
 */
export async function writeApplicationCredential(
  clients: Clients,
  desired: DesiredApplicationCredential,
  replication: WaitPolicy,
): Promise<FederatedCredential> {
  const graph = await clients.graph();
  const operation = `add the federated credential '${desired.name}' to the application '${desired.applicationName}'`;
  const written = await waitFor(
    clients.clock,
    `the application '${desired.applicationName}' to replicate in Microsoft Graph`,
    () =>
      graphCall(
        clients,
        operation,
        () =>
          graph
            .api(`${collectionOf(desired.applicationId)}(name=${odataKey(desired.name)})`)
            .header('Prefer', 'create-if-missing')
            .patch(toWire(desired)) as Promise<WireApplicationCredential | undefined>,
      ),
    lagging,
    replication,
  );
  // 201 carries the new credential; 204 (the name existed) carries nothing: it now holds what was sent.
  return written?.name ? fromWire(written) : fromWire({ ...toWire(desired), name: desired.name });
}

function collectionOf(applicationId: string): string {
  return `/applications/${applicationId}/federatedIdentityCredentials`;
}

function lagging(error: unknown): 'policy' | undefined {
  return isReplicationLag(error as TaskError) ? 'policy' : undefined;
}

/** Deletes a credential of the application by its name (Graph answers 404 when it is gone already); others stay. */
export async function deleteApplicationCredential(clients: Clients, application: { id: string; displayName: string }, name: string): Promise<void> {
  const graph = await clients.graph();
  await graphCall(
    clients,
    `remove the federated credential '${name}' from the application '${application.displayName}'`,
    () => graph.api(`${collectionOf(application.id)}(name=${odataKey(name)})`).delete() as Promise<unknown>,
  ).catch((error: unknown) => ((error as TaskError).status === 404 ? undefined : Promise.reject(error)));
}
