/**
 * What the command line prints on stdout for an inventory or a migration: the JSON report with --json (the file the run
 * wrote, as it is), else a table of the connections and their findings, one line each, in columns.
 */
import { readFileSync } from 'node:fs';
import type { InventoryReport } from '../inventory/report';
import type { MigrationReport } from '../migration/report';
import type { OutputName } from '../inputNames';

/** The report file the run named in its outputs, as stdout shows it; undefined when the run wrote none. */
export function inventoryStdout(outputs: [OutputName, string][], json: boolean): string | undefined {
  const path = outputs.find(([name]) => name === 'reportPath')?.[1];
  if (!path) return undefined;
  const text = readFileSync(path, 'utf8');
  if (json) return text;
  const report = JSON.parse(text) as InventoryReport | MigrationReport;
  return report.action === 'migrate' ? migrationTable(report) : inventoryTable(report);
}

/** A migration's connections in columns: project, name, before → after and the outcome, then the counts. */
export function migrationTable(report: MigrationReport): string {
  const lines = columns([
    ['PROJECT', 'CONNECTION', 'BEFORE → AFTER', 'OUTCOME'],
    ...report.connections.map((c) => [c.project, c.name, `${c.migration.before} → ${c.migration.after}`, c.migration.outcome]),
  ]);
  const counts = Object.entries(report.summary.outcomes).map(([outcome, count]) => `${outcome} ${count}`);
  lines.push('', `${report.connections.length} connections${report.dryRun ? ' (dry run)' : ''}: ${counts.join(', ') || 'none'}`);
  return `${lines.join('\n')}\n`;
}

function columns(rows: string[][]): string[] {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) =>
    row
      .map((cell, column) => (column === row.length - 1 ? cell : cell.padEnd(widths[column])))
      .join('  ')
      .trimEnd(),
  );
}

/** The connections in columns: project, name, scheme, issuer and findings (errors and warnings in capitals). */
export function inventoryTable(report: InventoryReport): string {
  const rows = [
    ['PROJECT', 'CONNECTION', 'SCHEME', 'ISSUER', 'FINDINGS'],
    ...report.connections.map((c) => [
      c.project,
      c.name,
      c.scheme || '?',
      c.issuerKind ?? '-',
      c.findings.map((f) => (f.severity === 'info' ? f.code : `${f.code}!`)).join(', ') || '-',
    ]),
  ];
  const lines = columns(rows);
  const counts = Object.entries(report.summary.findings).map(([code, count]) => `${code} ${count}`);
  const unread = report.summary.unreadProjects.length > 0 ? `; not read: ${report.summary.unreadProjects.join(', ')}` : '';
  lines.push(
    '',
    `${report.connections.length} connections in ${report.projects.length} projects; findings: ${counts.join(', ') || 'none'}${unread} (! a warning or error)`,
  );
  return `${lines.join('\n')}\n`;
}
