/**
 * The inventory's section of the run's summary (README "Adding an action's summary"): how the run ended, a
 * table of the connections with findings, the count of each finding with its severity and fix, the
 * connections to migrate first (Azure DevOps' issuer first, then the soonest expiring secrets), the projects
 * that could not be read, and the output variables. Built only from the report (src/inventory/report.ts),
 * every value escaped (src/markdown.ts), every link the report's, built from validated ids.
 */
import { FINDINGS } from './inventory/classify';
import type { InventoryReport, ReportConnection } from './inventory/report';
import type { OutputName } from './inputNames';
import { code, link, table, text } from './markdown';
import { FINDING_CODES } from './requestInventory';
import { type Ending, outputVariables, type Summary, titleOf } from './summary';

/** What an inventory run knew when it ended. */
export interface InventoryRun {
  /** What the title names: the organization, and the project for the project scope. */
  subject?: string;
  report?: InventoryReport;
  outputs?: [OutputName, string][];
}

/** Rows shown at most in each table; the report holds them all. */
export const SUMMARY_ROWS = 100;

const SEVERITY_ORDER = { error: 0, warning: 1, info: 2 } as const;

export function inventorySummary(run: InventoryRun, ending: Ending): Summary {
  const title = titleOf(run.subject ? `inventory of ${run.subject}` : 'inventory');
  const lines = [`## ${text(title)}`, '', `**${ending.result}**: ${text(ending.message)}`];
  const report = run.report;
  if (report) {
    const withFindings = report.connections
      .filter((c) => c.findings.length > 0)
      .sort((a, b) => worst(a) - worst(b) || a.project.localeCompare(b.project) || a.name.localeCompare(b.name));
    lines.push('', '### Connections with findings', '');
    if (withFindings.length === 0) lines.push(`None of the ${report.connections.length} connections has a finding.`);
    else {
      lines.push(
        ...table(
          ['connection', 'project', 'scheme', 'findings'],
          withFindings.slice(0, SUMMARY_ROWS).map((c) => [link(c.name, c.url ?? undefined), text(c.project), text(c.scheme || 'unknown'), findingCells(c)]),
        ),
      );
      if (withFindings.length > SUMMARY_ROWS) lines.push('', text(`… and ${withFindings.length - SUMMARY_ROWS} more: the report lists every one.`));
    }
    const counted = FINDING_CODES.filter((c) => report.summary.findings[c]);
    if (counted.length > 0) {
      lines.push('', '### Findings', '');
      lines.push(
        ...table(
          ['finding', 'severity', 'connections', 'fix'],
          counted.map((c) => [code(c), text(FINDINGS[c].severity), String(report.summary.findings[c]), text(FINDINGS[c].fix)]),
        ),
      );
    }
    const first = migrateFirst(report.connections);
    if (first.length > 0) {
      lines.push('', '### Migrate first', '');
      first
        .slice(0, SUMMARY_ROWS)
        .forEach(({ connection, why }, index) =>
          lines.push(`${index + 1}. ${link(connection.name, connection.url ?? undefined)} \\(${text(connection.project)}\\): ${text(why)}`),
        );
    }
    if (report.summary.unreadProjects.length > 0) {
      lines.push('', '### Projects not read', '', ...report.summary.unreadProjects.map((p) => `- ${text(p)}`));
    }
  }
  lines.push(...outputVariables(run.outputs));
  return { title, markdown: `${lines.join('\n')}\n` };
}

function worst(connection: ReportConnection): number {
  return Math.min(...connection.findings.map((f) => SEVERITY_ORDER[f.severity]));
}

function findingCells(connection: ReportConnection): string {
  return connection.findings.map((f) => (f.severity === 'info' ? code(f.code) : `**${code(f.code)}**`)).join(', ');
}

/**
 * The connections to move first: those on Azure DevOps' issuer that the retirement covers, then those that
 * sign in with a secret or certificate, the soonest expiring first (unknown expiries last).
 */
export function migrateFirst(connections: ReportConnection[]): { connection: ReportConnection; why: string }[] {
  const issuer = connections
    .filter((c) => c.findings.some((f) => f.code === 'azureDevOpsIssuer' && f.severity !== 'info'))
    .map((connection) => ({ connection, why: "Azure DevOps' issuer, retired on 1 July 2027" }));
  const secrets = connections
    .filter((c) => c.findings.some((f) => f.code === 'secret' || f.code === 'certificate'))
    .sort((a, b) => (a.lastSecretExpiry ?? '9999').localeCompare(b.lastSecretExpiry ?? '9999'))
    .map((connection) => ({
      connection,
      why: `${connection.findings.some((f) => f.code === 'certificate') ? 'a certificate' : 'a client secret'}${connection.lastSecretExpiry ? `, the last expiring ${connection.lastSecretExpiry.slice(0, 10)}` : ''}`,
    }));
  return [...issuer, ...secrets];
}
