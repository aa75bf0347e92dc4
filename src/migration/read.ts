/**
 * What a migration reads (action migrate, issue 21): the inventory's reads as they are (src/inventory/read.ts,
 * without its verification), the connections `migrateConnections` names, and the permission preflight of each
 * one that may need a write: whether the bootstrap identity may add a federated credential to its identity
 * (Microsoft Graph: its token's application permissions; ARM: Permissions - List at the managed identity) and,
 * for a conversion, whether the identity of devOpsAuth administers the connection (Permissions - Has
 * Permissions, ServiceEndpoints namespace, bit Administer, as src/preflight.ts asks it). A preflight read that
 * fails is "unknown", never a refusal: the write then says what the service says.
 */
import type { Clients } from '../clients';
import { devops } from '../clients/devops';
import { readInventory } from '../inventory/read';
import { limiter } from '../inventory/limit';
import type { ConnectionRead, InventoryRead } from '../inventory/model';
import { ACTIONS, allows, readArmPermissions } from '../preflight';
import type { MigrationRequest } from '../requestMigration';
import {
  type CredentialTarget,
  entraPrefixes,
  type IdentityAccess,
  type MigrationCandidate,
  type MigrationContext,
  onEntraIssuer,
  organizationIdOf,
  selectConnections,
  writeGrant,
} from './decide';

export interface MigrationRead {
  inventory: InventoryRead;
  /** The connections migrateConnections names, as read, with what the run may do to each. */
  candidates: (MigrationCandidate & { read: ConnectionRead })[];
  /** Lines of migrateConnections that name no connection of the scope. */
  unknown: string[];
  context: MigrationContext;
}

/** Permissions - Has Permissions (security 7.1); ServiceEndpoints namespace; Administer. */
const SERVICE_ENDPOINTS_NAMESPACE = '49b48001-ca20-4adc-8111-5b60c903a50c';
const ADMINISTER = 2;
/** Tokens per Has Permissions request: a URL stays short. */
const TOKENS_PER_REQUEST = 20;
const ARM_IN_FLIGHT = 8;

export async function readForMigration(request: MigrationRequest, clients: Clients, log: (line: string) => void): Promise<MigrationRead> {
  const inventory = await readInventory({ ...request, verify: undefined }, clients, log);
  const connections = inventory.connections.map((entry) => entry.connection);
  const organizationId = organizationIdOf(connections);
  const authorityHost = request.bootstrap.cloud.authorityHost;
  const context: MigrationContext = {
    organizationId: organizationId ?? '',
    authorityHost,
    prefixes: organizationId ? entraPrefixes(connections, organizationId, authorityHost) : new Map(),
  };
  inventory.organizationId = organizationId;
  const { selected, unknown } = selectConnections(
    request.migrateConnections,
    inventory.connections.map((read) => ({ ...read, id: read.connection.id, name: read.connection.name })),
  );
  // Only what may be written is asked about: connections already on the Entra issuer need nothing.
  const open = selected.filter((entry) => !(entry.connection.scheme === 'WorkloadIdentityFederation' && onEntraIssuer(entry.connection, authorityHost)));
  const [graphPermissions, armAccess, administrators] = await Promise.all([
    open.some((entry) => entry.identity?.kind === 'appRegistration') ? clients.graphPermissions().catch(() => undefined) : undefined,
    managedIdentityAccess(clients, open),
    connectionAdministrators(
      clients,
      open.filter((entry) => entry.connection.scheme === 'ServicePrincipal'),
    ),
  ]);
  const candidates = selected.map((entry) => {
    const identity = entry.identity;
    let access: IdentityAccess = { canWrite: 'unknown' };
    if (identity?.kind === 'managedIdentity' && identity.resourceId) access = armAccess.get(identity.resourceId.toLowerCase()) ?? access;
    if (identity?.kind === 'appRegistration' && identity.application && !('unreadable' in identity.application)) {
      access = graphAccess(graphPermissions, { kind: 'application', objectId: identity.application.objectId });
    }
    return { read: entry, connection: entry.connection, identity, access, devopsAdministrator: administrators.get(entry.connection.id.toLowerCase()) };
  });
  return { inventory, candidates, unknown, context };
}

/**
 * Application.ReadWrite.All writes any application; Application.ReadWrite.OwnedBy only those the identity owns
 * (unknown here: the write says); neither, no write (Microsoft Graph permissions reference).
 */
export function graphAccess(permissions: string[] | undefined, target: CredentialTarget): IdentityAccess {
  if (!permissions) return { canWrite: 'unknown' };
  if (permissions.includes('Application.ReadWrite.All')) return { canWrite: true };
  if (permissions.includes('Application.ReadWrite.OwnedBy')) return { canWrite: 'unknown' };
  return { canWrite: false, grant: writeGrant(target) };
}

/** Whether the bootstrap identity may write federated credentials on each managed identity (its effective actions there). */
async function managedIdentityAccess(clients: Clients, entries: ConnectionRead[]): Promise<Map<string, IdentityAccess>> {
  const ids = [
    ...new Set(
      entries.flatMap((entry) => (entry.identity?.kind === 'managedIdentity' && entry.identity.resourceId ? [entry.identity.resourceId.toLowerCase()] : [])),
    ),
  ];
  const slot = limiter(ARM_IN_FLIGHT);
  const access = new Map<string, IdentityAccess>();
  await Promise.all(
    ids.map((id) =>
      slot(async () => {
        const permissions = await readArmPermissions(clients, id);
        access.set(
          id,
          !permissions
            ? { canWrite: 'unknown' }
            : allows(permissions, ACTIONS.writeFederatedCredential)
              ? { canWrite: true }
              : { canWrite: false, grant: writeGrant({ kind: 'managedIdentity', resourceId: id }) },
        );
      }),
    ),
  );
  return access;
}

/** Whether the identity of devOpsAuth administers each connection in its owning project (undefined: unknown). */
async function connectionAdministrators(clients: Clients, entries: ConnectionRead[]): Promise<Map<string, boolean>> {
  const answers = new Map<string, boolean>();
  for (let start = 0; start < entries.length; start += TOKENS_PER_REQUEST) {
    const chunk = entries.slice(start, start + TOKENS_PER_REQUEST);
    const tokens = chunk.map((entry) => `endpoints/${entry.connection.project.id}/${entry.connection.id}`);
    try {
      const answer = await devops(clients, 'check permissions on service connections', () =>
        clients.devops.request<{ value?: unknown[] }>({
          path: `_apis/permissions/${SERVICE_ENDPOINTS_NAMESPACE}/${ADMINISTER}`,
          apiVersion: '7.1',
          query: { tokens: tokens.join(','), delimiter: ',' },
        }),
      );
      chunk.forEach((entry, index) => {
        const value = answer?.value?.[index];
        if (typeof value === 'boolean') answers.set(entry.connection.id.toLowerCase(), value);
      });
    } catch {
      // Unknown: ConvertAuthenticationScheme says it itself.
    }
  }
  return answers;
}
