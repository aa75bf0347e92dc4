/**
 * The story of an inventory run (action: inventory, issue 20): check the inputs, read every connection of the
 * project or organization with its identity, last use and (when asked) verification, classify each, write
 * the JSON report, set the outputs, attach the summary, and end: Succeeded without warnings or errors,
 * SucceededWithIssues with one, Failed when a finding failOn lists occurs. It reads and never writes
 * anything but the report file.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Agent } from '../agent';
import { createClients } from '../clients';
import type { Clock } from '../clock';
import type { OutputName } from '../inputNames';
import { inventoryReport, type InventoryReport, tally } from '../inventory/report';
import { readInventory } from '../inventory/read';
import { inventorySummary, type InventoryRun } from '../inventorySummary';
import type { RawTask } from '../rawTask';
import { parseInventoryRequest, type InventoryRequest } from '../requestInventory';
import type { TaskAction } from '.';
import { end, failed } from './ending';

export const inventory: TaskAction = { check: parseInventoryRequest, run: inventoryRun };

async function inventoryRun(agent: Agent, clock: Clock, task: RawTask): Promise<void> {
  const run: InventoryRun = {};
  try {
    const request = parseInventoryRequest(task);
    run.subject = request.scope === 'organization' ? request.devops.organization : `${request.devops.organization}/${request.project}`;
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    const read = await readInventory(request, clients, (line) => agent.info(line));
    const report = (run.report = inventoryReport(read, { now: clock.now(), secretExpiryDays: request.secretExpiryDays, unusedDays: request.unusedDays }));
    for (const connection of report.connections) {
      for (const finding of connection.findings) agent.info(`${finding.severity}: ${finding.message} Fix: ${finding.fix}.`);
    }
    for (const project of read.unreadProjects)
      agent.warn(`Could not read the project '${project.name}' (${project.unreadable.reason}); grant ${project.unreadable.grant}.`);
    run.outputs = writeOutputs(agent, request, report);
    finish(agent, run, request, report, read.unreadProjects.length);
  } catch (error) {
    failed(agent, error, (ending) => inventorySummary(run, ending));
  }
}

/** The report file (when a path is given) and the output variables. */
function writeOutputs(agent: Agent, request: InventoryRequest, report: InventoryReport): [OutputName, string][] {
  const outputs: [OutputName, string][] = [];
  outputs.push(...writeReportFile(request.reportPath, report));
  outputs.push(['connectionCount', String(report.connections.length)], ['findingCount', String(tally(report, []).findings)]);
  for (const [name, value] of outputs) agent.output(name, value);
  return outputs;
}

/** The JSON report at reportPath (the inventory's and the migration's), and its output; nothing when no path is given. */
export function writeReportFile(reportPath: string, report: unknown): [OutputName, string][] {
  if (!reportPath) return [];
  mkdirSync(dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`, 'utf8');
  return [['reportPath', reportPath]];
}

function finish(agent: Agent, run: InventoryRun, request: InventoryRequest, report: InventoryReport, unread: number): void {
  const { findings, issues, failing } = tally(report, request.failOn);
  const counts = Object.entries(report.summary.findings)
    .map(([code, count]) => `${code} ${count}`)
    .join(', ');
  const message = `Inventory of ${report.connections.length} service connection${report.connections.length === 1 ? '' : 's'} in ${report.projects.length} project${report.projects.length === 1 ? '' : 's'}: ${findings === 0 ? 'no findings' : `${findings} finding${findings === 1 ? '' : 's'} (${counts})`}${unread > 0 ? `; ${unread} project${unread === 1 ? '' : 's'} could not be read` : ''}.`;
  if (failing.length > 0) {
    const line = `${message} failOn lists ${failing.join(', ')}, which the inventory found.`;
    end(agent, { result: 'Failed', message: line }, (ending) => inventorySummary(run, ending));
    return;
  }
  const result = issues > 0 || unread > 0 ? 'SucceededWithIssues' : 'Succeeded';
  end(agent, { result, message }, (ending) => inventorySummary(run, ending));
}
