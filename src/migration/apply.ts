/**
 * The writes of a migration, one connection at a time and each on its own (a failure is that connection's
 * outcome, never the run's end), MIGRATE_IN_FLIGHT connections at once; every wait is on the run's clock and
 * honours Retry-After (the clients' wrappers).
 *
 * - convert (a secret or certificate): the Entra pair's federated credential on the application, every other
 *   credential kept; ConvertAuthenticationScheme with the connection as read; the connection read back, and a
 *   credential for the pair it carries when Azure DevOps issued another; then TestConnection. The client secret
 *   is never deleted: the outcome lists it with its expiry.
 * - prepare (a federated connection on Azure DevOps' issuer): the Entra pair's credential on the managed identity
 *   (ARM) or the application (Graph), the old one kept. The move itself is the connection page's Update, whose
 *   request is not published (docs/wire.md, "Migration"): it is never sent.
 */
import type { Clients } from '../clients';
import { hintFor, type TaskError } from '../errors';
import type { ConnectionRead } from '../inventory/model';
import { limiter } from '../inventory/limit';
import { connectionPage } from '../portalLinks';
import { convertScheme, pairOf, readConnection } from '../resources/connectionConversion';
import { writeFederatedCredential } from '../resources/federatedCredential';
import { writeApplicationCredential } from '../resources/applicationCredential';
import { verificationPolicy, verifyConnection } from '../resources/verification';
import { federatedCredentialNameForPair } from '../resourceNames';
import { replicationPolicy, waitFor } from '../retry';
import { type CredentialTarget, type MigrationDecision, otherIssuedPair, type Pair } from './decide';

/** Connections migrated at once: each sends a handful of requests, one after another. */
export const MIGRATE_IN_FLIGHT = 8;
/** How long a new application's credential write waits for Graph's replication (it is not new: seconds). */
const REPLICATION_SECONDS = 60;

/** CannotUpgradeAuthorizationSchemeError's words (docs/wire.md, "Migration"). */
const REFUSED_UPGRADE = /could not be upgraded to WorkloadIdentityFederation/i;

export type Outcome = 'converted' | 'prepared' | 'already' | 'skipped' | 'failed' | 'wouldConvert' | 'wouldPrepare';

/** The report's `migration` of one connection (tests/schemas/inventory-report.schema.json). */
export interface Migration {
  outcome: Outcome;
  /** Why: the skip's reason, the failure's message, or what was done. */
  reason: string | null;
  /** What to do about it, when anything. */
  fix: string | null;
  /** A skip the user can fix (a permission, a disabled connection), as opposed to one the retirement does not cover. */
  fixable: boolean;
  /** data.revertSchemeDeadline of a converted connection: the 7-day revert ends then. */
  revertBefore: string | null;
  before: string;
  after: string;
  /** TestConnection after the conversion; null when not asked. */
  verified: boolean | null;
  /** Federated credentials this run added, by name. */
  credentialsAdded: string[];
  /** The application's client secrets and certificates, still there: remove them once the connection has run. */
  secretsKept: { keyId: string; kind: 'secret' | 'certificate'; endDateTime: string | null }[];
}

export interface MigrationContextForApply {
  clients: Clients;
  organizationUrl: string;
  dryRun: boolean;
  verifyTimeoutSeconds: number;
  log: (line: string) => void;
}

/** Every decision's outcome, in the decisions' order; writes MIGRATE_IN_FLIGHT connections at once. */
export async function migrateAll(entries: { decision: MigrationDecision; read: ConnectionRead }[], run: MigrationContextForApply): Promise<Migration[]> {
  const slot = limiter(MIGRATE_IN_FLIGHT);
  return Promise.all(entries.map(({ decision, read }) => slot(() => migrateOne(decision, read, run))));
}

/** How a connection signs in, in words: "secret", "certificate", "Azure DevOps issuer", "Entra issuer". */
export function signsInWith(read: ConnectionRead, authorityHost?: string): string {
  const c = read.connection;
  if (c.scheme === 'ServicePrincipal') return c.authenticationType === 'spnCertificate' ? 'certificate' : 'secret';
  if (c.scheme !== 'WorkloadIdentityFederation') return c.scheme || 'unknown';
  if (/(^|\.)vstoken\.(dev\.azure\.com|visualstudio\.com)$/i.test(hostOf(c.issuer))) return 'Azure DevOps issuer';
  return authorityHost === undefined || c.issuer?.startsWith(authorityHost) ? 'Entra issuer' : 'federated';
}

function hostOf(url: string | undefined): string {
  try {
    return new URL(url ?? '').hostname;
  } catch {
    return '';
  }
}

async function migrateOne(decision: MigrationDecision, read: ConnectionRead, run: MigrationContextForApply): Promise<Migration> {
  const before = signsInWith(read);
  const base: Migration = {
    outcome: 'skipped',
    reason: null,
    fix: null,
    fixable: false,
    revertBefore: read.connection.revertSchemeDeadline ?? null,
    before,
    after: before,
    verified: null,
    credentialsAdded: [],
    secretsKept: secretsOf(read),
  };
  if (decision.kind === 'skip') {
    return { ...base, outcome: decision.reason === 'already' ? 'already' : 'skipped', reason: decision.message, fix: decision.fix, fixable: decision.fixable };
  }
  const page = connectionPage(run.organizationUrl, read.connection.project.id, read.connection.id) ?? null;
  const adds = [
    ...(decision.credential.action === 'create' ? [{ name: decision.credential.name, pair: decision.pair }] : []),
    ...(decision.issued ? [decision.issued] : []),
  ];
  if (run.dryRun) {
    return {
      ...base,
      outcome: decision.kind === 'convert' ? 'wouldConvert' : 'wouldPrepare',
      reason: `would add ${adds.length === 0 ? 'no credential (one trusts the Entra pair already)' : `the federated credential${adds.length > 1 ? 's' : ''} ${adds.map((a) => `'${a.name}'`).join(', ')}`}${decision.kind === 'convert' ? ', then convert the connection' : ''}.`,
      after: decision.kind === 'convert' ? 'workload identity federation' : before,
    };
  }
  const result = { ...base };
  try {
    for (const add of adds) {
      await addCredential(run.clients, decision.target, add.name, add.pair, read);
      result.credentialsAdded.push(add.name);
      run.log(`Added the federated credential '${add.name}' (issuer ${add.pair.issuer}, subject ${add.pair.subject}) for '${read.connection.name}'.`);
    }
    if (decision.kind === 'prepare') {
      return {
        ...result,
        outcome: 'prepared',
        reason: `its identity now trusts the Entra pair: select Update on the connection's page${page ? ` (${page})` : ''} to move it; until then it keeps working on its issuer.`,
        fix: page,
      };
    }
    return await convert(decision.pair, read, decision.target, result, run, decision.credential.action === 'create');
  } catch (error) {
    return failed(result, error as TaskError);
  }
}

async function convert(
  pair: Pair,
  read: ConnectionRead,
  target: CredentialTarget,
  result: Migration,
  run: MigrationContextForApply,
  credentialIsNew: boolean,
): Promise<Migration> {
  const { clients } = run;
  const { connection } = read;
  let refusal: TaskError | undefined;
  // Azure DevOps tests the pair before it converts; a credential added a moment ago takes seconds to minutes to be
  // accepted by Entra ID (docs/wire.md, "Verification"), so its refusal is asked again, within verifyTimeoutSeconds.
  await waitFor(
    clients.clock,
    `Entra ID to accept the federated credential of '${connection.name}'`,
    async () => {
      const current = await readConnection(clients, connection.project.id, connection);
      if (current.authorization?.scheme === 'WorkloadIdentityFederation') return;
      await convertScheme(clients, connection.project.id, current).catch((error: unknown) => Promise.reject((refusal = error as TaskError)));
      refusal = undefined;
    },
    (error) => (credentialIsNew && REFUSED_UPGRADE.test((error as Error).message) ? 'policy' : undefined),
    verificationPolicy(run.verifyTimeoutSeconds),
  ).catch(() => undefined);
  // Read back whatever the answer: a lost answer may hide a conversion done, a refusal leaves it as it was.
  const back = await readConnection(clients, connection.project.id, connection);
  if (back.authorization?.scheme !== 'WorkloadIdentityFederation') return failed(result, refusal);
  const issued = pairOf(back);
  const other = issued ? otherIssuedPair(pair, issued) : undefined;
  if (other) {
    const name = federatedCredentialNameForPair(connection.id, other.issuer, other.subject);
    await addCredential(clients, target, name, other, read);
    result.credentialsAdded.push(name);
    run.log(`Azure DevOps issued '${connection.name}' another pair (issuer ${other.issuer}): added the federated credential '${name}' for it.`);
  }
  const deadline = back.data?.revertSchemeDeadline ?? null;
  const after = /(^|\.)vstoken\./i.test(hostOf(issued?.issuer)) ? 'Azure DevOps issuer' : 'Entra issuer';
  let verified = true;
  let message = '';
  await verifyConnection(
    clients,
    { projectId: connection.project.id, connectionId: connection.id, connectionName: connection.name, signsInAs: '', reaches: '' },
    run.verifyTimeoutSeconds,
    run.log,
  ).catch((error: unknown) => {
    verified = false;
    message = (error as Error).message;
  });
  return {
    ...result,
    outcome: 'converted',
    reason: verified ? 'converted to workload identity federation and verified.' : `converted, but not verified: ${message}`,
    fix: verified ? null : (hintFor('verify:') ?? null),
    fixable: !verified,
    revertBefore: deadline,
    after,
    verified,
  };
}

async function addCredential(clients: Clients, target: CredentialTarget, name: string, pair: Pair, read: ConnectionRead): Promise<void> {
  if (target.kind === 'application') {
    const applicationName = read.connection.name;
    await writeApplicationCredential(clients, { applicationId: target.objectId, applicationName, name, ...pair }, replicationPolicy(REPLICATION_SECONDS));
    return;
  }
  const [, subscriptionId, resourceGroup] = /^\/subscriptions\/([^/]+)\/resourcegroups\/([^/]+)\//i.exec(target.resourceId) ?? [];
  const identityName = target.resourceId.split('/').pop() ?? '';
  await writeFederatedCredential(clients, { subscriptionId, resourceGroup: resourceGroup ?? '', identityName, name, ...pair });
}

/** A refusal, in Azure DevOps' words and the hint table's: the connection is as it was; credentials added stay (harmless). */
function failed(result: Migration, error: TaskError | undefined): Migration {
  const message = error
    ? `Azure DevOps answered${error.status ? ` HTTP ${error.status}` : ''}: ${error.message}`
    : 'Azure DevOps did not convert the connection';
  const refusedUpgrade = REFUSED_UPGRADE.test(message);
  const hint = refusedUpgrade ? hintFor('convert:refused') : error?.status === 403 ? hintFor('convert:HTTP403') : error?.hint;
  return { ...result, outcome: 'failed', reason: message, fix: hint ?? null, fixable: true };
}

function secretsOf(read: ConnectionRead): Migration['secretsKept'] {
  const identity = read.identity;
  if (read.connection.scheme !== 'ServicePrincipal' || identity?.kind !== 'appRegistration' || !identity.application || 'unreadable' in identity.application)
    return [];
  return identity.application.credentials.map(({ keyId, kind, endDateTime }) => ({ keyId, kind, endDateTime }));
}
