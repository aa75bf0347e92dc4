/**
 * The migration's section of the run's summary (README "Adding an action's summary"): how the run ended, one
 * row per connection (before → after, the outcome, verified, the revert deadline), the client secrets left
 * for their owners to remove, and the output variables. Built only from the report (src/migration/report.ts),
 * every value escaped (src/markdown.ts), every link the report's.
 */
import type { MigrationReport } from './migration/report';
import type { OutputName } from './inputNames';
import { code, link, table, text } from './markdown';
import { SUMMARY_ROWS } from './inventorySummary';
import { type Ending, outputVariables, type Summary, titleOf } from './summary';

export interface MigrationRun {
  subject?: string;
  report?: MigrationReport;
  outputs?: [OutputName, string][];
}

export function migrationSummary(run: MigrationRun, ending: Ending): Summary {
  const title = titleOf(run.subject ? `migration of ${run.subject}` : 'migration');
  const lines = [`## ${text(title)}`, '', `**${ending.result}**: ${text(ending.message)}`];
  const report = run.report;
  if (report && report.connections.length > 0) {
    lines.push('', '### Connections', '');
    lines.push(
      ...table(
        ['connection', 'project', 'before → after', 'outcome', 'verified', 'revert before', 'why'],
        report.connections
          .slice(0, SUMMARY_ROWS)
          .map((c) => [
            link(c.name, c.url ?? undefined),
            text(c.project),
            text(`${c.migration.before} → ${c.migration.after}`),
            code(c.migration.outcome),
            c.migration.verified === null ? '' : c.migration.verified ? 'yes' : '**no**',
            text(c.migration.revertBefore?.slice(0, 16).replace('T', ' ') ?? ''),
            text(c.migration.reason ?? ''),
          ]),
      ),
    );
    if (report.connections.length > SUMMARY_ROWS) lines.push('', text(`… and ${report.connections.length - SUMMARY_ROWS} more: the report lists every one.`));
    const secrets = report.connections.filter((c) => c.migration.outcome === 'converted' && c.migration.secretsKept.length > 0);
    if (secrets.length > 0) {
      lines.push(
        '',
        '### Client secrets kept',
        '',
        text('Remove them once the connection has run on workload identity federation (the task never deletes them):'),
        '',
      );
      for (const c of secrets) {
        const keys = c.migration.secretsKept.map((s) => `${s.kind} ${s.keyId} (expires ${s.endDateTime?.slice(0, 10) ?? 'never'})`).join(', ');
        lines.push(`- ${link(c.name, c.url ?? undefined)}: ${text(keys)}`);
      }
    }
  }
  lines.push(...outputVariables(run.outputs));
  return { title, markdown: `${lines.join('\n')}\n` };
}
