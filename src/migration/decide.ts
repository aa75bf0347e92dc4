/**
 * The pure part of `action: migrate` (issue 21): from a connection as the inventory describes it, the identity
 * behind it, the Entra prefix seen in the organization and what the bootstrap identity may write, one decision
 * per connection:
 *
 * - convert: a secret or certificate connection (scheme ServicePrincipal) moves to workload identity
 *   federation: add a federated credential for the Entra pair to its application, then Azure DevOps'
 *   ConvertAuthenticationScheme (which refuses unless the identity already trusts the pair it tests), read back;
 * - prepare: a federated connection on Azure DevOps' issuer: add the Entra pair's credential to its managed
 *   identity or application and keep the old one; the move itself is the web UI's Update, whose request is not
 *   published (docs/wire.md, "Migration"), so the task never sends one;
 * - skip, with the reason and the fix.
 *
 * The Entra pair is copied, never invented: issuer `{authority}{tenantId}/v2.0`, subject the prefix of a
 * connection already on the Entra issuer in the same organization and tenant, then `{organizationId}/{connectionId}`.
 * The types are the inventory's model (src/inventory/model.ts, issue 20).
 */
import { federatedCredentialNameForPair } from '../resourceNames';
import type { Connection, FederatedCredential, Identity } from '../inventory/model';

/** The parts of an inventoried connection a migration reads (the inventory's model, src/inventory/model.ts). */
export type MigrationConnection = Connection;
export type MigrationCredential = FederatedCredential;
export type MigrationIdentity = Identity;

/** Whether the bootstrap identity may add a federated credential to the identity: yes, no (with the grant that would let it), or unknown. */
export type IdentityAccess = { canWrite: true } | { canWrite: false; grant: string } | { canWrite: 'unknown' };

/** One connection as a migration weighs it. */
export interface MigrationCandidate {
  connection: MigrationConnection;
  identity?: MigrationIdentity;
  /** Adding a federated credential to the identity. */
  access: IdentityAccess;
  /** Administrator on the connection in every project it is in (ConvertAuthenticationScheme's check); undefined: unknown. */
  devopsAdministrator?: boolean;
}

/** What the whole run knows: the organization, the cloud's authority, and the Entra prefixes seen per tenant. */
export interface MigrationContext {
  organizationId: string;
  /** The cloud's Entra authority, with a trailing slash. */
  authorityHost: string;
  /** Tenant id (lower case) → subject prefix ending in /sc/, from connections already on the Entra issuer (entraPrefixes). */
  prefixes: ReadonlyMap<string, string>;
}

export interface Pair {
  issuer: string;
  subject: string;
}

/** Where the credential goes: the application (Graph) or the managed identity (ARM). */
export type CredentialTarget = { kind: 'application'; objectId: string } | { kind: 'managedIdentity'; resourceId: string };

export type SkipReason =
  | 'already'
  | 'sovereignCloud'
  | 'multiTenantApp'
  | 'scheme'
  | 'unreadable'
  | 'identityNotFound'
  | 'identityNotWritable'
  | 'automaticNotWritable'
  | 'notAdministrator'
  | 'disabled'
  | 'operationInProgress'
  | 'noEntraPrefix'
  | 'credentialLimit';

/** Reasons that are not the user's to fix: the connection is already migrated, or the retirement does not cover it. */
const OUT_OF_SCOPE: ReadonlySet<SkipReason> = new Set(['already', 'sovereignCloud', 'multiTenantApp', 'scheme']);

/** At most 20 federated credentials per application or managed identity (docs/wire.md, ARM and Graph). */
export const MAX_FEDERATED_CREDENTIALS = 20;

export type MigrationDecision =
  | {
      kind: 'convert' | 'prepare';
      connection: MigrationConnection;
      pair: Pair;
      target: CredentialTarget;
      /** The credential to add under this name, or the one that already trusts the pair (then no write). */
      credential: { action: 'create'; name: string } | { action: 'keep'; name: string };
      /**
       * A connection Azure DevOps converted (it carries revertSchemeDeadline) onto a pair its identity does not
       * trust: that pair, as Azure DevOps issued it, gets a credential too (a run cut between the conversion and
       * this credential leaves it so).
       */
      issued?: { pair: Pair; name: string };
    }
  | { kind: 'skip'; connection: MigrationConnection; reason: SkipReason; message: string; fix: string; fixable: boolean };

/** The Entra issuer of a tenant in a cloud: {authority}{tenantId}/v2.0 (docs/wire.md, "Migration"). */
export function entraIssuer(authorityHost: string, tenantId: string): string {
  return `${authorityHost.replace(/\/?$/, '/')}${tenantId}/v2.0`;
}

/**
 * The subject prefixes (everything up to and including /sc/) of the connections already on the Entra issuer,
 * per tenant: a connection counts when its issuer is its tenant's Entra issuer and its subject ends with
 * /sc/{organizationId}/{its own id}, the shape Azure DevOps gives new connections.
 */
export function entraPrefixes(connections: readonly MigrationConnection[], organizationId: string, authorityHost: string): Map<string, string> {
  const prefixes = new Map<string, string>();
  for (const c of connections) {
    if (!c.tenantId || !c.issuer || !c.subject || c.issuer !== entraIssuer(authorityHost, c.tenantId)) continue;
    const tail = `/sc/${organizationId}/${c.id}`.toLowerCase();
    if (!c.subject.toLowerCase().endsWith(tail)) continue;
    const prefix = c.subject.slice(0, c.subject.length - tail.length + '/sc/'.length);
    if (!prefixes.has(c.tenantId.toLowerCase())) prefixes.set(c.tenantId.toLowerCase(), prefix);
  }
  return prefixes;
}

/**
 * The organization's id as its connections carry it (docs/wire.md, "Migration"): the `/sc/{organization id}/{own id}`
 * tail of a subject on the Entra issuer, or Azure DevOps' issuer `https://vstoken.dev.azure.com/{organization id}`.
 * Copied, never asked for: undefined when no connection carries it.
 */
export function organizationIdOf(connections: readonly MigrationConnection[]): string | undefined {
  for (const c of connections) {
    const tail = c.subject?.toLowerCase().endsWith(`/${c.id.toLowerCase()}`) ? /\/sc\/([0-9a-f-]{36})\/[^/]+$/i.exec(c.subject) : null;
    if (tail) return tail[1];
    const issuer = c.issuer ? /^https:\/\/vstoken\.dev\.azure\.com\/([0-9a-f-]{36})\/?$/i.exec(c.issuer) : null;
    if (issuer) return issuer[1];
  }
  return undefined;
}

/** Whether a federated connection is on the Entra issuer already. */
export function onEntraIssuer(connection: MigrationConnection, authorityHost: string): boolean {
  return !!connection.tenantId && connection.issuer === entraIssuer(authorityHost, connection.tenantId);
}

/** The decision for one connection; pure, so the dry run, the preflight, the log and the report agree. */
export function decideMigration(candidate: MigrationCandidate, context: MigrationContext): MigrationDecision {
  const { connection, identity, access } = candidate;
  const skip = (reason: SkipReason, message: string, fix: string): MigrationDecision => ({
    kind: 'skip',
    connection,
    reason,
    message: `Connection '${connection.name}' ${message}`,
    fix,
    fixable: !OUT_OF_SCOPE.has(reason),
  });
  if (connection.partial) {
    return skip('unreadable', 'cannot be read in full by this run.', "Give the run's identity the Administrator role on the connection (its Security page).");
  }
  const federated = connection.scheme === 'WorkloadIdentityFederation';
  if (federated && onEntraIssuer(connection, context.authorityHost) && !untrustedIssuedPair(connection, identity)) {
    return skip('already', 'is already on the Entra issuer.', 'Nothing to do.');
  }
  if (connection.scheme !== 'ServicePrincipal' && !federated) {
    return skip('scheme', `uses the scheme ${connection.scheme || 'unknown'}, which has no identity to federate.`, 'Nothing to migrate.');
  }
  if (connection.environment && connection.environment !== 'AzureCloud') {
    return skip(
      'sovereignCloud',
      `targets ${connection.environment}, which the Entra issuer does not serve.`,
      'Nothing to do: the retirement covers the public cloud only.',
    );
  }
  if (connection.isDisabled) return skip('disabled', 'is disabled.', "Enable it under the ⋮ menu on the connection's page, then re-run.");
  if (connection.operation?.state.toLowerCase() === 'inprogress') {
    return skip('operationInProgress', `has an operation in progress (${connection.operation.message || 'no message'}).`, 'Re-run once it has finished.');
  }
  const target = credentialTarget(connection, identity);
  if ('skip' in target) return skip(target.skip, target.message, target.fix);
  if (target.multiTenant) {
    return skip(
      'multiTenantApp',
      'uses a multitenant application, which the Entra issuer does not serve.',
      'Nothing to do: the retirement does not cover multitenant applications.',
    );
  }
  const prefix = context.prefixes.get((connection.tenantId ?? '').toLowerCase());
  if (!prefix) {
    return skip(
      'noEntraPrefix',
      "has no connection on the Entra issuer in its organization and tenant to copy the subject's prefix from.",
      'Provision one connection in this tenant first (action provision), then re-run.',
    );
  }
  const pair = { issuer: entraIssuer(context.authorityHost, connection.tenantId ?? ''), subject: `${prefix}${context.organizationId}/${connection.id}` };
  const trusting = target.credentials.find((c) => c.issuer === pair.issuer && c.subject === pair.subject);
  if (!trusting) {
    if (access.canWrite === false) {
      if (connection.scheme === 'ServicePrincipal' && connection.creationMode === 'Automatic') {
        return skip(
          'automaticNotWritable',
          `was created by Azure DevOps, and this run may not write its application (${access.grant}).`,
          "Convert on the connection's page, as a user who owns the application.",
        );
      }
      return skip('identityNotWritable', 'has an identity this run may not add a federated credential to.', `Grant ${access.grant}, then re-run.`);
    }
    if (target.credentials.length >= MAX_FEDERATED_CREDENTIALS) {
      return skip(
        'credentialLimit',
        `has an identity with ${MAX_FEDERATED_CREDENTIALS} federated credentials, the most it may have.`,
        'Remove a federated credential no connection uses, then re-run.',
      );
    }
  }
  if (connection.scheme === 'ServicePrincipal' && candidate.devopsAdministrator === false) {
    return skip(
      'notAdministrator',
      'may be converted only by an Administrator of the connection in every project it is in.',
      "Give the run's identity the Administrator role on the connection (its Security page), then re-run.",
    );
  }
  const issued = untrustedIssuedPair(connection, identity);
  return {
    kind: connection.scheme === 'ServicePrincipal' ? 'convert' : 'prepare',
    ...(issued ? { issued: { pair: issued, name: federatedCredentialNameForPair(connection.id, issued.issuer, issued.subject) } } : {}),
    connection,
    pair,
    target: target.target,
    credential: trusting
      ? { action: 'keep', name: trusting.name }
      : { action: 'create', name: federatedCredentialNameForPair(connection.id, pair.issuer, pair.subject) },
  };
}

/** The pair of a connection Azure DevOps converted (revertSchemeDeadline set) when its identity's credentials, as read, do not trust it. */
function untrustedIssuedPair(connection: MigrationConnection, identity: MigrationIdentity | undefined): Pair | undefined {
  if (!connection.revertSchemeDeadline || connection.scheme !== 'WorkloadIdentityFederation' || !connection.issuer || !connection.subject) return undefined;
  const credentials =
    identity?.kind === 'managedIdentity'
      ? identity.federatedCredentials
      : identity?.kind === 'appRegistration' && identity.application && !('unreadable' in identity.application)
        ? identity.application.federatedCredentials
        : undefined;
  if (!credentials || 'unreadable' in credentials) return undefined;
  const pair = { issuer: connection.issuer, subject: connection.subject };
  return credentials.some((c) => c.issuer === pair.issuer && c.subject === pair.subject) ? undefined : pair;
}

type TargetOrSkip = { target: CredentialTarget; credentials: MigrationCredential[]; multiTenant: boolean } | { skip: SkipReason; message: string; fix: string };

/** Where the Entra pair's credential goes, with the credentials already there; or why it cannot be known. */
function credentialTarget(connection: MigrationConnection, identity: MigrationIdentity | undefined): TargetOrSkip {
  const notFound = (what: string): TargetOrSkip => ({
    skip: 'identityNotFound',
    message: `names ${what}.`,
    fix: "Point the connection at an existing identity of this tenant (Edit on the connection's page), or remove the connection.",
  });
  if (!identity) return notFound('no client id');
  if (identity.kind === 'unreadable')
    return { skip: 'unreadable', message: `has an identity this run may not read (${identity.reason}).`, fix: `Grant ${identity.grant}.` };
  if (identity.kind === 'notFound') return notFound(`client id ${identity.clientId}, which no identity of the tenant has`);
  if (identity.kind === 'managedIdentity') {
    if (connection.scheme === 'ServicePrincipal') return notFound('a managed identity, which has no secret to convert');
    if (!identity.resourceId) return notFound(`managed identity ${identity.clientId} without its Azure resource id`);
    if ('unreadable' in identity.federatedCredentials) {
      const credentials = identity.federatedCredentials;
      return {
        skip: 'unreadable',
        message: `has a managed identity whose credentials this run may not read (${credentials.reason}).`,
        fix: `Grant ${credentials.grant}.`,
      };
    }
    return { target: { kind: 'managedIdentity', resourceId: identity.resourceId }, credentials: identity.federatedCredentials, multiTenant: false };
  }
  const application = identity.application;
  if (!application) return notFound(`application ${identity.clientId}, which lives in another tenant`);
  if ('unreadable' in application) {
    return { skip: 'unreadable', message: `has an application this run may not read (${application.reason}).`, fix: `Grant ${application.grant}.` };
  }
  return { target: { kind: 'application', objectId: application.objectId }, credentials: application.federatedCredentials, multiTenant: identity.multiTenant };
}

/**
 * After ConvertAuthenticationScheme, the pair the connection carries when it is not the one prepared: Azure
 * DevOps stores the pair it tested, but which one it tests today is not published (docs/wire.md), so a pair
 * other than the prepared one gets its own credential too.
 */
export function otherIssuedPair(prepared: Pair, readBack: Pick<MigrationConnection, 'issuer' | 'subject'>): Pair | undefined {
  if (!readBack.issuer || !readBack.subject) return undefined;
  if (readBack.issuer === prepared.issuer && readBack.subject === prepared.subject) return undefined;
  return { issuer: readBack.issuer, subject: readBack.subject };
}

/** The grant that lets the bootstrap identity add a federated credential to an application or a managed identity. */
export function writeGrant(target: CredentialTarget): string {
  if (target.kind === 'application') {
    return 'the Microsoft Graph permission Application.ReadWrite.All to the bootstrap identity (or make it an owner of the application, with Application.ReadWrite.OwnedBy)';
  }
  const resourceGroup = /\/resourcegroups\/([^/]+)/i.exec(target.resourceId)?.[1] ?? 'the identity';
  return `the Azure role Managed Identity Contributor on resource group '${resourceGroup}' to the bootstrap identity`;
}

/**
 * The connections the `migrateConnections` input names, one name or id a line, or `*` for every one in scope;
 * the lines that name none are returned so the run can say so.
 */
export function selectConnections<C extends Pick<MigrationConnection, 'id' | 'name'>>(
  lines: readonly string[],
  connections: readonly C[],
): { selected: C[]; unknown: string[] } {
  const wanted = lines.map((l) => l.trim()).filter(Boolean);
  if (wanted.includes('*')) return { selected: [...connections], unknown: [] };
  const selected: C[] = [];
  const unknown: string[] = [];
  for (const line of wanted) {
    const matches = connections.filter((c) => c.id.toLowerCase() === line.toLowerCase() || c.name.toLowerCase() === line.toLowerCase());
    if (matches.length === 0) unknown.push(line);
    for (const match of matches) if (!selected.includes(match)) selected.push(match);
  }
  return { selected, unknown };
}
