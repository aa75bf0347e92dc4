/**
 * Classification: what was read about a connection becomes its findings, in the one vocabulary of issue 20
 * (FINDING_CODES), each with its severity, a line naming the connection and the fix; for `unreadable` the
 * role or permission that would let the run read it. Pure: the same reads and the same moment give the
 * same findings.
 *
 * The retirement of Azure DevOps' issuer (https://vstoken.dev.azure.com/{organization id}, and the older
 * https://app.vstoken.visualstudio.com) on 1 July 2027 covers the public cloud's single-tenant applications
 * and managed identities ("Convert service connections"; docs/wire.md): a sovereign cloud's or a
 * multi-tenant application's connection on it is told as info. The issuer is told by its URL, never by
 * workloadIdentityFederationIssuerType, whose value on older connections is unknown (docs/wire.md).
 */
import type { FindingCode } from '../requestInventory';
import { type ConnectionRead, type Finding, isUnreadable, type KeyCredential, type Severity, type Unreadable } from './model';

export interface Thresholds {
  /** The moment the inventory judges expiry and last use at (epoch ms). */
  now: number;
  secretExpiryDays: number;
  unusedDays: number;
}

const DAY_MS = 24 * 3600 * 1000;
/** Azure DevOps disables connections unused for this many days (sprint 276 release note). */
const DISABLED_AFTER_DAYS = 100;
const RETIREMENT = '1 July 2027';
const MIGRATE = `migrate before ${RETIREMENT}: action migrate, or Update on the connection's page (Project settings, Service connections)`;
const CONVERT = "convert it to workload identity federation: action migrate, or Convert on the connection's page";

/** Each finding's severity and fix: the one table the report, the log and the summary read. */
export const FINDINGS: Record<FindingCode, { severity: Severity; fix: string }> = {
  azureDevOpsIssuer: { severity: 'warning', fix: MIGRATE },
  secret: { severity: 'warning', fix: CONVERT },
  certificate: { severity: 'info', fix: CONVERT },
  secretExpired: { severity: 'error', fix: `add a new client secret to the application and the connection, or better ${CONVERT}` },
  secretExpiresSoon: { severity: 'warning', fix: `add a new client secret before then, or better ${CONVERT}` },
  disabled: {
    severity: 'warning',
    fix: 'an Administrator of the connection enables it under the ⋮ menu of its page, or removes it when nothing uses it',
  },
  notReady: { severity: 'error', fix: "open the connection's page, mend what its status says and Verify it, or remove it" },
  unused: { severity: 'warning', fix: 'remove it when nothing needs it; a pipeline that uses it keeps it enabled' },
  identityNotFound: {
    severity: 'error',
    fix: 'its identity was deleted: point the connection at an existing identity (action provision makes one), or remove the connection',
  },
  federatedCredentialMissing: {
    severity: 'error',
    fix: "add a federated credential with the connection's issuer and subject to its identity (action provision adds it), then Verify",
  },
  multiTenantApp: {
    severity: 'warning',
    fix: "Entra ID's issuer refuses multi-tenant applications (AADSTS70052): make the application single-tenant (signInAudience AzureADMyOrg) or use a managed identity",
  },
  verifyFailed: { severity: 'error', fix: "open the connection's page and Verify it: the message says what Entra ID or ARM refused" },
  unreadable: { severity: 'warning', fix: 'grant the role or permission named, then run the inventory again' },
};

/** Azure DevOps' own issuers, retired on 1 July 2027. */
export function isAzureDevOpsIssuer(issuer: string | undefined): boolean {
  if (!issuer) return false;
  try {
    return /(^|\.)vstoken\.(dev\.azure\.com|visualstudio\.com)$/i.test(new URL(issuer).hostname);
  } catch {
    return false;
  }
}

/** The report's issuerKind: null unless the connection signs in with workload identity federation. */
export function issuerKind(read: ConnectionRead): 'entraId' | 'azureDevOps' | null {
  const { connection } = read;
  if (connection.scheme.toLowerCase() !== 'workloadidentityfederation' || !connection.issuer) return null;
  return isAzureDevOpsIssuer(connection.issuer) ? 'azureDevOps' : 'entraId';
}

/** A connection's findings, in the vocabulary's order. */
export function classify(read: ConnectionRead, thresholds: Thresholds): Finding[] {
  const { connection, identity, lastUse, verified } = read;
  const label = `Service connection '${connection.name}' (project ${connection.project.name})`;
  const findings: Finding[] = [];
  const add = (code: FindingCode, message: string, severity = FINDINGS[code].severity, fix = FINDINGS[code].fix): void => {
    findings.push({ code, severity, message: `${label}${message.startsWith(':') ? '' : ' '}${message}`, fix });
  };
  const unreadable = (what: string, refused: Unreadable): void =>
    add('unreadable', `: could not read ${what} (${refused.reason}).`, undefined, `grant ${refused.grant}, then run the inventory again`);
  if (connection.partial) {
    unreadable('its type, data and authorization', {
      unreadable: true,
      reason: 'Azure DevOps showed them as null',
      grant: `the User role on the service connection '${connection.name}'`,
    });
  }
  const scheme = connection.scheme.toLowerCase();
  const application = identity?.kind === 'appRegistration' ? identity.application : undefined;
  const multiTenant = identity?.kind === 'appRegistration' && identity.multiTenant;

  if (scheme === 'workloadidentityfederation' && isAzureDevOpsIssuer(connection.issuer)) {
    const sovereign = connection.environment !== undefined && connection.environment.toLowerCase() !== 'azurecloud';
    if (sovereign || multiTenant) {
      const why = sovereign ? `the ${connection.environment} cloud` : 'a multi-tenant application';
      add(
        'azureDevOpsIssuer',
        `signs in with Azure DevOps' issuer ${connection.issuer}, which retires on ${RETIREMENT}; the retirement does not cover ${why}.`,
        'info',
        'nothing to do before the retirement; watch Microsoft\'s "Convert service connections" page',
      );
    } else {
      add('azureDevOpsIssuer', `signs in with Azure DevOps' issuer ${connection.issuer}, which retires on ${RETIREMENT}.`);
    }
  }
  if (scheme === 'serviceprincipal') {
    const certificate = (connection.authenticationType ?? '').toLowerCase() === 'spncertificate';
    add(certificate ? 'certificate' : 'secret', `signs in with ${certificate ? 'a certificate' : 'a client secret'} of its application.`);
    if (application && !isUnreadable(application)) expiry(application.credentials, certificate ? 'certificate' : 'secret', thresholds, add);
  }
  if (connection.isDisabled) add('disabled', `is disabled: no pipeline can use it.`);
  else if (connection.operation?.state.toLowerCase() === 'failed' || connection.isReady === false) {
    const status = connection.operation?.message ? `: ${connection.operation.message.replace(/\.+$/, '')}` : '';
    add('notReady', `is not ready (${connection.operation?.state ?? 'isReady false'})${status}.`);
  }
  if (lastUse && isUnreadable(lastUse)) unreadable('its execution history', lastUse);
  else if (lastUse && !connection.isDisabled) {
    const days = lastUse.at === null ? undefined : Math.floor((thresholds.now - Date.parse(lastUse.at)) / DAY_MS);
    if (days === undefined || days > thresholds.unusedDays) {
      const when = days === undefined ? 'has no record of use in Azure DevOps' : `was last used on ${lastUse.at!.slice(0, 10)}, ${days} days ago`;
      add('unused', `${when}; Azure DevOps disables connections unused for ${DISABLED_AFTER_DAYS} days.`);
    }
  }
  if (identity?.kind === 'notFound') add('identityNotFound', `names the client id ${identity.clientId}, which no service principal in the tenant has.`);
  if (identity?.kind === 'unreadable') unreadable(`its identity (client id ${identity.clientId}) in Microsoft Graph`, identity);
  if (identity?.kind === 'managedIdentity' && isUnreadable(identity.federatedCredentials)) {
    unreadable(`the federated credentials of its managed identity`, identity.federatedCredentials);
  }
  if (application && isUnreadable(application)) unreadable('its application in Microsoft Graph', application);
  if (scheme === 'workloadidentityfederation' && connection.issuer && connection.subject) {
    const credentials =
      identity?.kind === 'managedIdentity'
        ? identity.federatedCredentials
        : application && !isUnreadable(application)
          ? application.federatedCredentials
          : undefined;
    if (credentials && !isUnreadable(credentials) && !credentials.some((c) => sameIssuer(c.issuer, connection.issuer!) && c.subject === connection.subject)) {
      add(
        'federatedCredentialMissing',
        `cannot sign in: its identity trusts no federated credential for issuer ${connection.issuer} and subject ${connection.subject}.`,
      );
    }
  }
  if (multiTenant) add('multiTenantApp', `signs in as a multi-tenant application (client id ${identity.clientId}).`);
  if (verified && isUnreadable(verified)) unreadable('its verification', verified);
  else if (verified && !verified.ok) add('verifyFailed', `failed Azure DevOps' verification: ${verified.message ?? 'no message'}.`);
  return findings;
}

/**
 * The expiry of the credentials of the kind the connection uses: Azure DevOps does not say which of the
 * application's secrets the connection holds, so the line is about the last one to expire, which the
 * connection cannot outlive.
 */
function expiry(
  credentials: KeyCredential[],
  kind: KeyCredential['kind'],
  { now, secretExpiryDays }: Thresholds,
  add: (code: FindingCode, message: string) => void,
): void {
  const ends = credentials
    .filter((c) => c.kind === kind && c.endDateTime && Number.isFinite(Date.parse(c.endDateTime)))
    .map((c) => c.endDateTime!)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
  const last = ends.pop();
  if (!last) return;
  const word = kind === 'secret' ? 'client secret' : 'certificate';
  if (Date.parse(last) <= now) add('secretExpired', `cannot sign in: the last ${word} of its application expired on ${last.slice(0, 10)}.`);
  else if (Date.parse(last) - now <= secretExpiryDays * DAY_MS) {
    add('secretExpiresSoon', `will stop signing in on ${last.slice(0, 10)}, when the last ${word} of its application expires.`);
  }
}

/** Entra ID compares issuers as written; a trailing slash is the only difference forgiven here. */
function sameIssuer(a: string, b: string): boolean {
  return a.replace(/\/+$/, '') === b.replace(/\/+$/, '');
}

/** When the last credential of the connection's kind expires, for the migration order (soonest first). */
export function lastExpiry(read: ConnectionRead): string | undefined {
  const application = read.identity?.kind === 'appRegistration' ? read.identity.application : undefined;
  if (!application || isUnreadable(application)) return undefined;
  const kind = (read.connection.authenticationType ?? '').toLowerCase() === 'spncertificate' ? 'certificate' : 'secret';
  return application.credentials
    .filter((c) => c.kind === kind && c.endDateTime)
    .map((c) => c.endDateTime!)
    .sort()
    .pop();
}
