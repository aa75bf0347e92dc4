/**
 * The federated identity credential on the managed identity that trusts the connection's tokens
 * (Microsoft.ManagedIdentity 2024-11-30 federatedIdentityCredentials).
 */
import type { FederatedIdentityCredential as WireCredential } from '@azure/arm-msi';
import type { Clients } from '../clients';
import { TaskError } from '../errors';
import { toTaskError } from '../failures';
import { TRANSIENT, waitFor } from '../retry';
import type { Outcome } from './outcome';

/** The audience Entra ID expects in pipeline tokens. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface DesiredCredential {
  resourceGroup: string;
  identityName: string;
  name: string;
  /** Copied from the service connection, never computed. */
  issuer: string;
  subject: string;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
  audiences: string[];
}

export function toWire(desired: DesiredCredential): WireCredential {
  return { issuer: desired.issuer, subject: desired.subject, audiences: [TOKEN_EXCHANGE_AUDIENCE] };
}

export function fromWire(wire: WireCredential): FederatedCredential {
  return { name: wire.name ?? '', issuer: wire.issuer ?? '', subject: wire.subject ?? '', audiences: wire.audiences ?? [] };
}

/** A credential that already trusts exactly these tokens; Entra matches issuer and subject case-sensitively. */
export function trusts(credential: FederatedCredential, desired: Pick<DesiredCredential, 'issuer' | 'subject'>): boolean {
  return (
    credential.issuer === desired.issuer &&
    credential.subject === desired.subject &&
    credential.audiences.includes(TOKEN_EXCHANGE_AUDIENCE)
  );
}

/**
 * Adds the credential unless one on the identity already trusts the connection's tokens (under any
 * name: issuer and subject are unique per identity). `knownAbsent` skips the read for an identity
 * created in this run. Credentials it finds are never removed.
 */
export async function ensureFederatedCredential(
  clients: Clients,
  desired: DesiredCredential,
  knownAbsent: boolean,
): Promise<Outcome<FederatedCredential>> {
  const { msi } = await clients.azure();
  const operation = `add the federated credential '${desired.name}' to the managed identity '${desired.identityName}'`;
  let existingByName: FederatedCredential | undefined;
  if (!knownAbsent) {
    try {
      for await (const wire of msi.federatedIdentityCredentials.list(desired.resourceGroup, desired.identityName)) {
        const credential = fromWire(wire);
        if (trusts(credential, desired)) return { action: 'kept', value: credential };
        if (credential.name.toLowerCase() === desired.name.toLowerCase()) existingByName = credential;
      }
    } catch (error) {
      throw toTaskError('arm', `list the federated credentials of '${desired.identityName}'`, error);
    }
  }
  const written = await waitFor(
    'other writes to the same managed identity to finish',
    () =>
      msi.federatedIdentityCredentials
        .createOrUpdate(desired.resourceGroup, desired.identityName, desired.name, toWire(desired))
        .catch((error: unknown) => Promise.reject(toTaskError('arm', operation, error))),
    // ARM serializes credential writes per identity and refuses overlapping ones with this 409 (WIRE.md);
    // it is the one conflict that clears by waiting.
    (error) => ((error as TaskError).code === 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity' ? 'policy' : undefined),
    TRANSIENT,
  );
  return { action: existingByName ? 'updated' : 'created', value: fromWire(written) };
}
