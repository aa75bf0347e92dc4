/**
 * The federated identity credential on the Entra application that trusts the connection's tokens
 * (Microsoft Graph v1.0 /applications/{id}/federatedIdentityCredentials, tests/fixtures/contracts/graph-v1.0/NOTES.md §5-7).
 * The managed-identity twin is federatedCredential.ts; both return the same model.
 */
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { REPLICATION, waitFor } from '../retry';
import { FederatedCredential, TOKEN_EXCHANGE_AUDIENCE, trusts } from './federatedCredential';
import { graphCall, isReplicationLag, odataKey, type GraphWriteOptions } from './graph';
import type { Outcome } from './outcome';

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
 * Adds the credential unless one on the application already trusts the connection's tokens (under any
 * name: Graph keeps issuer and subject unique per application). `applicationIsNew` skips the list. Graph
 * may not know an application created a moment ago (404 Request_ResourceNotFound): that is awaited, bounded.
 */
export async function ensureApplicationCredential(
  clients: Clients,
  desired: DesiredApplicationCredential,
  applicationIsNew: boolean,
  options: GraphWriteOptions = {},
): Promise<Outcome<FederatedCredential>> {
  const replication = options.replication ?? REPLICATION;
  const graph = await clients.graph();
  const collection = `/applications/${desired.applicationId}/federatedIdentityCredentials`;
  const awaitingApplication = `the application '${desired.applicationName}' to replicate in Microsoft Graph`;
  const lagging = (error: unknown): 'policy' | undefined => (isReplicationLag(error as TaskError) ? 'policy' : undefined);

  let existingByName: FederatedCredential | undefined;
  if (!applicationIsNew) {
    const listOperation = `list the federated credentials of the application '${desired.applicationName}'`;
    const listed = await waitFor(clients.clock,      awaitingApplication,
      async () => {
        type Page = { value?: WireApplicationCredential[]; '@odata.nextLink'?: string };
        const credentials: FederatedCredential[] = [];
        for (let next: string | undefined = collection; next; ) {
          const url: string = next;
          const page = await graphCall(clients, listOperation, () => graph.api(url).get() as Promise<Page>);
          credentials.push(...(page.value ?? []).map(fromWire));
          next = page['@odata.nextLink'];
        }
        return credentials;
      },
      lagging,
      replication,
    );
    for (const credential of listed) {
      if (trusts(credential, desired)) return { action: 'kept', value: credential };
      if (credential.name.toLowerCase() === desired.name.toLowerCase()) existingByName = credential;
    }
  }
  options.beforeWrite?.();
  if (options.dryRun) return { action: existingByName ? 'updated' : 'created', value: fromWire({ ...toWire(desired), name: desired.name }) };

  const operation = `add the federated credential '${desired.name}' to the application '${desired.applicationName}'`;
  const written = await waitFor(clients.clock,    awaitingApplication,
    () =>
      graphCall(clients, 
        operation,
        () =>
          graph
            .api(`${collection}(name=${odataKey(desired.name)})`)
            .header('Prefer', 'create-if-missing')
            .patch(toWire(desired)) as Promise<WireApplicationCredential | undefined>,
      ),
    lagging,
    replication,
  );
  // 201 carries the new credential; 204 (the name existed) carries nothing: it now holds what was sent.
  if (written?.name) return { action: existingByName ? 'updated' : 'created', value: fromWire(written) };
  return { action: 'updated', value: fromWire({ ...toWire(desired), name: desired.name }) };
}
