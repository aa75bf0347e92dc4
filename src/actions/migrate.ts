/**
 * The story of a migration (action: migrate, issue 21): read as the inventory does, decide for each connection
 * migrateConnections names (src/migration/decide.ts: convert, prepare or skip, with the permission preflight's
 * answers), then, unless it is a dry run, migrate each on its own (src/migration/apply.ts), write the report,
 * set the outputs, attach the summary and end: Failed when a connection failed, SucceededWithIssues when one
 * was skipped for a fixable reason or only prepared, Succeeded otherwise. A dry run writes nothing but the report.
 */
import type { Agent } from '../agent';
import { createClients } from '../clients';
import type { Clock } from '../clock';
import type { OutputName } from '../inputNames';
import { migrateAll } from '../migration/apply';
import { decideMigration } from '../migration/decide';
import { readForMigration } from '../migration/read';
import { migratedCount, type MigrationReport, migrationReport, resultOf } from '../migration/report';
import { type MigrationRun, migrationSummary } from '../migrationSummary';
import type { RawTask } from '../rawTask';
import { type MigrationRequest, parseMigrationRequest } from '../requestMigration';
import type { TaskAction } from '.';
import { end, failed } from './ending';
import { writeReportFile } from './inventory';

export const migrate: TaskAction = { check: parseMigrationRequest, run: migrateRun };

async function migrateRun(agent: Agent, clock: Clock, task: RawTask): Promise<void> {
  const run: MigrationRun = {};
  try {
    const request = parseMigrationRequest(task);
    run.subject = request.scope === 'organization' ? request.devops.organization : `${request.devops.organization}/${request.project}`;
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    const read = await readForMigration(request, clients, (line) => agent.info(line));
    for (const name of read.unknown)
      agent.warn(`migrateConnections names '${name}', which is no Azure Resource Manager connection of the ${request.scope} read.`);
    const entries = read.candidates.map((candidate) => ({ decision: decideMigration(candidate, read.context), read: candidate.read }));
    const migrations = await migrateAll(entries, {
      clients,
      organizationUrl: request.devops.organizationUrl,
      dryRun: request.dryRun,
      verifyTimeoutSeconds: request.verifyTimeoutSeconds,
      log: (line) => agent.info(line),
    });
    const report = (run.report = migrationReport(
      read.inventory,
      entries.map((entry, index) => ({ read: entry.read, migration: migrations[index] })),
      clock.now(),
      request.dryRun,
    ));
    for (const c of report.connections) {
      const line = `${c.migration.outcome}: '${c.name}' (${c.project}), ${c.migration.before} → ${c.migration.after}${c.migration.reason ? `: ${c.migration.reason}` : ''}${c.migration.fix && c.migration.outcome !== 'already' ? ` Fix: ${c.migration.fix}` : ''}`;
      if (c.migration.outcome === 'failed') agent.warn(line);
      else agent.info(line);
    }
    run.outputs = writeOutputs(agent, request, report);
    finish(agent, run, request, report, read.unknown.length);
  } catch (error) {
    failed(agent, error, (ending) => migrationSummary(run, ending));
  }
}

function writeOutputs(agent: Agent, request: MigrationRequest, report: MigrationReport): [OutputName, string][] {
  const outputs = writeReportFile(request.reportPath, report);
  if (!request.dryRun) outputs.push(['migratedCount', String(report.summary.migrated)]);
  for (const [name, value] of outputs) agent.output(name, value);
  return outputs;
}

function finish(agent: Agent, run: MigrationRun, request: MigrationRequest, report: MigrationReport, unknown: number): void {
  const counts = Object.entries(report.summary.outcomes)
    .map(([outcome, count]) => `${outcome} ${count}`)
    .join(', ');
  const noun = `service connection${report.connections.length === 1 ? '' : 's'}`;
  if (request.dryRun) {
    const message = `Dry run: nothing was written. Of ${report.connections.length} ${noun}: ${counts || 'none'}.`;
    end(agent, { result: 'DryRun', message }, (ending) => migrationSummary(run, ending));
    return;
  }
  const migrations = report.connections.map((c) => c.migration);
  const result = resultOf(migrations, unknown);
  const message = `Migration of ${report.connections.length} ${noun}: ${counts || 'none'}${unknown > 0 ? `; ${unknown} name${unknown === 1 ? '' : 's'} matched no connection` : ''}; ${migratedCount(migrations)} converted or prepared.`;
  end(agent, { result, message }, (ending) => migrationSummary(run, ending));
}
