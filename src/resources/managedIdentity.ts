/**
 * The user-assigned managed identity behind the connection (Microsoft.ManagedIdentity 2024-11-30).
 */
import type { Identity as WireIdentity } from '@azure/arm-msi';
import { type Existing, planned, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { ConflictError } from '../errors';
import { ACTIONS, armRequirement, type ArmPermissions } from '../preflight';
import type { ManagedIdentityRequest, ProvisioningRequest } from '../request';
import { CONNECTION_TAG, connectionTagValue, CREATED_BY_TAG, CREATED_BY_VALUE } from '../resourceNames';
import { arm, isNotFound } from '../clients/arm';
import type { Project, RegionCheck, ResourceGroup } from './lookups';

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
async function createIdentity(clients: Clients, desired: DesiredIdentity): Promise<ManagedIdentity> {
  const created = await arm(clients, `create the managed identity '${desired.name}' in '${desired.resourceGroup}'`, async () =>
    (await clients.azure()).msi.userAssignedIdentities.createOrUpdate(desired.resourceGroup, desired.name, toWire(desired)),
  );
  return fromWire(created, desired.resourceGroup);
}

/** The managed identity as read: its resource group, the identity if it exists, and the region check. */
export interface ObservedManagedIdentity {
  kind: 'managedIdentity';
  resourceGroup: ResourceGroup;
  existing: ManagedIdentity | null;
  region?: RegionCheck;
}

export type ManagedIdentityChange = Existing<'create' | 'keep', ManagedIdentity> & { desired: DesiredIdentity };

/** What the decision reads. */
interface Observed {
  project: Project;
  identity: ObservedManagedIdentity | { kind: 'appRegistration' };
  armPermissions: Record<string, ArmPermissions>;
}

/** The ARM id of the managed identity's resource group, where the identity and its federated credentials are written. */
export function identityScope(request: ManagedIdentityRequest): string {
  return `/subscriptions/${request.azure.subscriptionId}/resourceGroups/${request.identity.resourceGroup}`;
}

/** The identity's entry of the change set, for a managed-identity request; refuses one that serves another connection. */
export function decide(request: ProvisioningRequest, observed: Observed): ManagedIdentityChange | undefined {
  if (request.identityType !== 'managedIdentity') return undefined;
  if (observed.identity.kind !== 'managedIdentity') throw new Error('the reads do not match the request: identity types differ');
  const { identity } = request;
  const existing = observed.identity.existing;
  const desired: DesiredIdentity = {
    resourceGroup: identity.resourceGroup,
    // An identity found under the default name an earlier version gave it (read.ts) keeps that name.
    name: existing?.name || identity.name,
    location: identity.location ?? observed.identity.resourceGroup.location,
    owner: connectionTagValue(request.devops.organization, observed.project.id, request.connectionName),
  };
  decideIdentity(desired, existing);
  const what = `managed identity '${desired.name}' in resource group '${identity.resourceGroup}'`;
  if (existing) return { action: 'keep', what, needs: [], desired, existing };
  const scope = identityScope(request);
  const fix = `assign it Managed Identity Contributor or Contributor on resource group '${identity.resourceGroup}'`;
  return {
    action: 'create',
    what,
    needs: [armRequirement(observed.armPermissions[scope.toLowerCase()], ACTIONS.writeIdentity, scope, fix)],
    desired,
    existing: null,
  };
}

/** A location asked for that differs from the existing identity's: a location cannot change, so it is kept. */
export function warnings(request: ProvisioningRequest, observed: Observed): string[] {
  if (request.identityType !== 'managedIdentity' || observed.identity.kind !== 'managedIdentity' || !observed.identity.existing) return [];
  const wanted = request.identity.location;
  const { name, location } = observed.identity.existing;
  if (!wanted || !location || normalRegion(location) === wanted) return [];
  const found = normalRegion(location);
  return [
    `Input 'identityLocation' says '${wanted}', but the managed identity '${name}' exists in '${found}' and a location cannot change: the identity was kept there. Set identityLocation to '${found}' or leave it empty; for an identity in '${wanted}', provision another connection (another connectionName).`,
  ];
}

/** ARM answers locations as names (westeurope) or display names (West Europe). */
function normalRegion(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}

/** Creates the identity, or hands on the existing one. */
export async function apply(change: ManagedIdentityChange, _after: unknown, run: Run): Promise<Written<ManagedIdentity>> {
  const value = change.action === 'create' ? await createIdentity(run.clients, change.desired) : change.existing;
  return { happened: planned(change), value };
}

/** Deletes the identity, and with it its federated credentials (ARM answers 204 when it is gone already). */
export async function deleteIdentity(clients: Clients, resourceGroup: string, name: string): Promise<void> {
  await arm(clients, `remove the managed identity '${name}' in '${resourceGroup}'`, async () =>
    (await clients.azure()).msi.userAssignedIdentities.delete(resourceGroup, name),
  ).catch((error: unknown) => (isNotFound(error) ? undefined : Promise.reject(error)));
}
