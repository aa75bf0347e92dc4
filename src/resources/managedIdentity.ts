/**
 * The user-assigned managed identity behind the connection (Microsoft.ManagedIdentity 2024-11-30).
 */
import type { Identity as WireIdentity } from '@azure/arm-msi';
import type { Clients } from '../clients';
import { ConflictError } from '../errors';
import { toTaskError } from '../failures';
import { CONNECTION_TAG, CREATED_BY_TAG, CREATED_BY_VALUE } from '../naming';
import type { Outcome } from './outcome';

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

export async function readIdentity(clients: Clients, resourceGroup: string, name: string): Promise<ManagedIdentity | null> {
  try {
    const { msi } = await clients.azure();
    return fromWire(await msi.userAssignedIdentities.get(resourceGroup, name), resourceGroup);
  } catch (error) {
    if ((error as { statusCode?: number }).statusCode === 404) return null;
    throw toTaskError('arm', `read the managed identity '${name}'`, error);
  }
}

/**
 * Creates the identity when missing. An existing one is kept as it is: one tagged for this connection
 * is ours, an untagged one was named by the user on purpose, and one tagged for another connection is
 * left alone with an error, since two connections must not share a credential set.
 */
export async function ensureIdentity(
  clients: Clients,
  desired: DesiredIdentity,
  existing: ManagedIdentity | null,
): Promise<Outcome<ManagedIdentity>> {
  if (existing) {
    if (ownership(existing, desired.owner) === 'other') {
      throw new ConflictError(
        `the managed identity '${desired.name}' in '${desired.resourceGroup}' belongs to the connection '${existing.tags[CONNECTION_TAG]}'`,
        { operation: `use the managed identity '${desired.name}'`, hint: 'Choose another identityName' },
      );
    }
    return { action: 'kept', value: existing };
  }
  try {
    const { msi } = await clients.azure();
    const created = await msi.userAssignedIdentities.createOrUpdate(desired.resourceGroup, desired.name, toWire(desired));
    return { action: 'created', value: fromWire(created, desired.resourceGroup) };
  } catch (error) {
    throw toTaskError('arm', `create the managed identity '${desired.name}' in '${desired.resourceGroup}'`, error);
  }
}
