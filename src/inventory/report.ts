/**
 * The inventory's JSON report (tests/schemas/inventory-report.schema.json, schemaVersion 1): one entry per
 * connection with what was read and its findings, the projects read and those that could not be, and the
 * counts. Pure: built from the reads and the findings; fields that could not be read are null, with a
 * finding that says why. An application's credentials appear by id and expiry only, never a value.
 */
import { connectionPage } from '../portalLinks';
import { FINDING_CODES, type FindingCode } from '../requestInventory';
import { classify, issuerKind, lastExpiry, type Thresholds } from './classify';
import { type ConnectionRead, type Finding, type InventoryRead, isUnreadable } from './model';

export interface ReportConnection {
  id: string;
  name: string;
  project: string;
  sharedWith: string[];
  url: string | null;
  scheme: string;
  creationMode: string | null;
  environment: string | null;
  scopeLevel: string | null;
  subscriptionId: string | null;
  resourceGroup: string | null;
  managementGroupId: string | null;
  issuer: string | null;
  subject: string | null;
  issuerKind: 'entraId' | 'azureDevOps' | null;
  identity: {
    kind: 'managedIdentity' | 'appRegistration' | 'unknown' | 'none';
    clientId: string | null;
    tenantId: string | null;
    objectId: string | null;
    resourceId: string | null;
    found: boolean | null;
    multiTenant: boolean | null;
    federatedCredentials: { name: string; issuer: string; subject: string }[] | null;
    secrets: { keyId: string; kind: 'secret' | 'certificate'; displayName: string | null; endDateTime: string | null }[] | null;
  };
  isDisabled: boolean;
  isReady: boolean | null;
  lastUsed: string | null;
  verified: { ok: boolean; message: string | null } | null;
  findings: (Finding & { grant?: string })[];
  /** Not in the schema's required fields: when the last credential of the connection's kind expires (migration order). */
  lastSecretExpiry: string | null;
}

export interface InventoryReport {
  schemaVersion: 1;
  generatedAt: string;
  action: 'inventory';
  organization: { url: string; id: string | null };
  projects: string[];
  connections: ReportConnection[];
  summary: {
    connections: number;
    byScheme: Record<string, number>;
    findings: Partial<Record<FindingCode, number>>;
    unreadProjects: string[];
  };
}

export function inventoryReport(read: InventoryRead, thresholds: Thresholds): InventoryReport {
  const connections = read.connections.map((entry) => reportConnection(entry, classify(entry, thresholds), read.organizationUrl));
  const findings: Partial<Record<FindingCode, number>> = {};
  for (const code of FINDING_CODES) {
    const count = connections.reduce((sum, c) => sum + c.findings.filter((f) => f.code === code).length, 0);
    if (count > 0) findings[code] = count;
  }
  const byScheme: Record<string, number> = {};
  for (const c of connections) byScheme[c.scheme || 'unknown'] = (byScheme[c.scheme || 'unknown'] ?? 0) + 1;
  return {
    schemaVersion: 1,
    generatedAt: new Date(thresholds.now).toISOString(),
    action: 'inventory',
    organization: { url: read.organizationUrl, id: read.organizationId ?? null },
    projects: read.projects,
    connections,
    summary: { connections: connections.length, byScheme, findings, unreadProjects: read.unreadProjects.map((p) => p.name) },
  };
}

function reportConnection(entry: ConnectionRead, findings: Finding[], organizationUrl: string): ReportConnection {
  const { connection: c, identity, lastUse, verified } = entry;
  const application = identity?.kind === 'appRegistration' && identity.application && !isUnreadable(identity.application) ? identity.application : undefined;
  const credentials = identity?.kind === 'managedIdentity' ? identity.federatedCredentials : application ? application.federatedCredentials : undefined;
  const kind = identity?.kind === 'managedIdentity' || identity?.kind === 'appRegistration' ? identity.kind : c.clientId && c.scheme ? 'unknown' : 'none';
  return {
    id: c.id,
    name: c.name,
    project: c.project.name,
    sharedWith: c.sharedWith,
    url: connectionPage(organizationUrl, c.project.id, c.id) ?? null,
    scheme: c.scheme,
    creationMode: c.creationMode ?? null,
    environment: c.environment ?? null,
    scopeLevel: c.scopeLevel ?? null,
    subscriptionId: c.subscriptionId ?? null,
    resourceGroup: c.resourceGroup ?? null,
    managementGroupId: c.managementGroupId ?? null,
    issuer: c.issuer ?? null,
    subject: c.subject ?? null,
    issuerKind: issuerKind(entry),
    identity: {
      kind,
      clientId: c.clientId ?? null,
      tenantId: c.tenantId ?? null,
      objectId: identity && 'objectId' in identity ? identity.objectId : null,
      resourceId: identity?.kind === 'managedIdentity' ? (identity.resourceId ?? null) : null,
      found: identity === undefined || identity.kind === 'unreadable' ? null : identity.kind !== 'notFound',
      multiTenant: identity?.kind === 'appRegistration' ? identity.multiTenant : identity?.kind === 'managedIdentity' ? false : null,
      federatedCredentials: credentials && !isUnreadable(credentials) ? credentials.map(({ name, issuer, subject }) => ({ name, issuer, subject })) : null,
      secrets: application
        ? application.credentials.map(({ keyId, kind: k, displayName, endDateTime }) => ({ keyId, kind: k, displayName, endDateTime }))
        : null,
    },
    isDisabled: c.isDisabled,
    isReady: c.isReady ?? null,
    lastUsed: lastUse && !isUnreadable(lastUse) ? lastUse.at : null,
    verified: verified && !isUnreadable(verified) ? verified : null,
    findings: findings.map((f) => ({ ...f })),
    lastSecretExpiry: lastExpiry(entry) ?? null,
  };
}

/** How many findings a report holds, and which failOn codes occur in it. */
export function tally(report: InventoryReport, failOn: FindingCode[]): { findings: number; issues: number; failing: FindingCode[] } {
  const all = report.connections.flatMap((c) => c.findings);
  return {
    findings: all.length,
    issues: all.filter((f) => f.severity !== 'info').length,
    failing: failOn.filter((code) => all.some((f) => f.code === code)),
  };
}
