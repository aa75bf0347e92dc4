/**
 * The federated identity credential on the managed identity that trusts the connection's tokens
 * (Microsoft.ManagedIdentity 2024-11-30 federatedIdentityCredentials).
 */
import type { FederatedIdentityCredential as WireCredential } from '@azure/arm-msi';
import type { Clients } from '../clients';
import type { TaskError } from '../errors';
import { TRANSIENT, waitFor } from '../retry';
import { arm } from '../clients/arm';

/** The audience Entra ID expects in pipeline tokens. */
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

export interface DesiredCredential {
  /** The identity's subscription when it is not the run's (action migrate). */
  subscriptionId?: string;
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
  return credential.issuer === desired.issuer && credential.subject === desired.subject && credential.audiences.includes(TOKEN_EXCHANGE_AUDIENCE);
}

/**
 * What to do, given the identity's credentials: keep one that already trusts the connection's tokens
 * (under any name: issuer and subject are unique per identity); create ours when its name is free, or
 * update it when it holds the same issuer and subject with another audience. When our name holds another
 * issuer and subject, Azure DevOps has moved the connection to a new pair (its issuer change): that
 * credential stays (it is not ours to remove, and tokens of the old pair may still be in flight) and the new
 * pair gets a credential of its own, `alternative`. Every other credential is left as it is.
 */
export function decideCredential(
  desired: Pick<DesiredCredential, 'name' | 'issuer' | 'subject'> & { alternative: string },
  existing: readonly FederatedCredential[],
): { action: 'keep'; credential: FederatedCredential } | { action: 'create' | 'update'; name: string } {
  const trusting = existing.find((credential) => trusts(credential, desired));
  if (trusting) return { action: 'keep', credential: trusting };
  const named = (name: string): FederatedCredential | undefined => existing.find((credential) => credential.name.toLowerCase() === name.toLowerCase());
  const samePair = (credential: FederatedCredential): boolean => credential.issuer === desired.issuer && credential.subject === desired.subject;
  for (const name of [desired.name, desired.alternative]) {
    const found = named(name);
    if (!found) return { action: 'create', name };
    if (samePair(found)) return { action: 'update', name };
  }
  // Both names hold other pairs (someone wrote them by hand): ours is rewritten under its own name.
  return { action: 'update', name: desired.alternative };
}

/** The identity's federated credentials. */
export async function listFederatedCredentials(clients: Clients, resourceGroup: string, identityName: string): Promise<FederatedCredential[]> {
  const { msi } = await clients.azure();
  const existing: FederatedCredential[] = [];
  await arm(clients, `list the federated credentials of '${identityName}'`, async () => {
    existing.length = 0;
    for await (const wire of msi.federatedIdentityCredentials.list(resourceGroup, identityName)) existing.push(fromWire(wire));
  });
  return existing;
}

/** Writes the credential under its name (create or update: a PUT); every other credential stays. */
export async function writeFederatedCredential(clients: Clients, desired: DesiredCredential): Promise<FederatedCredential> {
  const azure = await clients.azure();
  const msi = desired.subscriptionId ? azure.msiIn(desired.subscriptionId) : azure.msi;
  const operation = `add the federated credential '${desired.name}' to the managed identity '${desired.identityName}'`;
  const written = await waitFor(
    clients.clock,
    'other writes to the same managed identity to finish',
    () =>
      arm(clients, operation, () =>
        msi.federatedIdentityCredentials.createOrUpdate(desired.resourceGroup, desired.identityName, desired.name, toWire(desired)),
      ),
    // ARM serializes credential writes per identity and refuses overlapping ones with this 409 (docs/wire.md);
    // it is the one conflict that clears by waiting.
    (error) => ((error as TaskError).code === 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity' ? 'policy' : undefined),
    TRANSIENT,
  );
  return fromWire(written);
}

/** Deletes a credential of the managed identity (ARM answers 204 when it is gone already); other credentials stay. */
export async function deleteFederatedCredential(clients: Clients, resourceGroup: string, identityName: string, name: string): Promise<void> {
  const { msi } = await clients.azure();
  await waitFor(
    clients.clock,
    'other writes to the same managed identity to finish',
    () =>
      arm(clients, `remove the federated credential '${name}' from the managed identity '${identityName}'`, () =>
        msi.federatedIdentityCredentials.delete(resourceGroup, identityName, name),
      ),
    // A delete is a credential write too: ARM serializes them per identity (docs/wire.md).
    (error) => ((error as TaskError).code === 'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity' ? 'policy' : undefined),
    TRANSIENT,
  ).catch((error: unknown) => ((error as TaskError).status === 404 ? undefined : Promise.reject(error)));
}
