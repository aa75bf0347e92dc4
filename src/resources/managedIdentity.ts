/**
 * The user-assigned managed identity behind the connection (Microsoft.ManagedIdentity 2024-11-30).
 */
import type { Identity as WireIdentity } from '@azure/arm-msi';
import type { Clients } from '../clients';
import { ConflictError } from '../errors';
import { CONNECTION_TAG, CREATED_BY_TAG, CREATED_BY_VALUE } from '../resourceNames';
import { arm, isNotFound } from '../clients/arm';

export interface DesiredIdentity {
  resourceGroup: string;
  name: string;
  location: string;
  /** The connection this identity serves, as the connection tag's value. */
  owner: string;
}

export interface ManagedIdentity {
  id: string;
  name: string;
  resourceGroup: string;
  location: string;
  clientId: string;
  principalId: string;
  tenantId: string;
  tags: Record<string, string>;
}

export function toWire(desired: DesiredIdentity): WireIdentity {
  return { location: desired.location, tags: { [CREATED_BY_TAG]: CREATED_BY_VALUE, [CONNECTION_TAG]: desired.owner } };
}

export function fromWire(wire: WireIdentity, resourceGroup: string): ManagedIdentity {
  return {
    id: wire.id ?? '',
    name: wire.name ?? '',
    resourceGroup,
    location: wire.location ?? '',
    clientId: wire.clientId ?? '',
    principalId: wire.principalId ?? '',
    tenantId: wire.tenantId ?? '',
    tags: wire.tags ?? {},
  };
}

/** Whom an existing identity belongs to: us, another connection, or nobody we know of. */
export function ownership(existing: ManagedIdentity, owner: string): 'ours' | 'other' | 'unowned' {
  const tagged = Object.entries(existing.tags).find(([key]) => key.toLowerCase() === CONNECTION_TAG)?.[1];
  if (tagged === undefined) return 'unowned';
  return tagged.toLowerCase() === owner.toLowerCase() ? 'ours' : 'other';
}

/**
 * What to do about the identity: create it when missing, keep it as it is otherwise. One tagged for this
 * connection is ours, an untagged one was named by the user on purpose (its tags stay untouched), and one
 * tagged for another connection is refused, since two connections must not share a credential set.
 */
export function decideIdentity(desired: DesiredIdentity, existing: ManagedIdentity | null): 'create' | 'keep' {
  if (!existing) return 'create';
  if (ownership(existing, desired.owner) === 'other') {
    throw new ConflictError(
      `the managed identity '${desired.name}' in '${desired.resourceGroup}' belongs to the connection '${existing.tags[CONNECTION_TAG]}'`,
      {
        operation: `use the managed identity '${desired.name}'`,
        hint: 'Choose another identityName; this task never takes over an identity that serves another connection',
      },
    );
  }
  return 'keep';
}

export async function readIdentity(clients: Clients, resourceGroup: string, name: string): Promise<ManagedIdentity | null> {
  return arm(clients, `read the managed identity '${name}'`, async () =>
    fromWire(await (await clients.azure()).msi.userAssignedIdentities.get(resourceGroup, name), resourceGroup),
  ).catch((error: unknown) => (isNotFound(error) ? null : Promise.reject(error)));
}

/** Creates the identity (a PUT: a concurrent run's identity of the same name is the same identity). */
export async function createIdentity(clients: Clients, desired: DesiredIdentity): Promise<ManagedIdentity> {
  const created = await arm(clients, `create the managed identity '${desired.name}' in '${desired.resourceGroup}'`, async () =>
    (await clients.azure()).msi.userAssignedIdentities.createOrUpdate(desired.resourceGroup, desired.name, toWire(desired)),
  );
  return fromWire(created, desired.resourceGroup);
}
