/**
 * The story of a provisioning run (action: provision, the default): read everything, decide one change set,
 * preflight it, apply it in concurrency groups, set the outputs, verify. Neither task-lib nor the terminal is
 * loaded from here; the run ends through the agent it is given.
 */
import type { Agent } from '../agent';
import { apply } from '../apply';
import { type Clients, createClients } from '../clients';
import type { Clock } from '../clock';
import { decide, preflight } from '../decide';
import { BootstrapSignInError } from '../errors';
import { read } from '../read';
import {
  checkedLines,
  doneLine,
  dryRunLines,
  dryRunSummary,
  outputs,
  uncheckedPermissions,
  verificationTarget,
  verifiedLine,
  verifyDryRunLine,
} from '../report';
import { parseRequest, type ProvisioningRequest } from '../request';
import { bootstrapConnectionName } from '../resources/serviceConnection';
import { verifyConnection } from '../resources/verification';
import { provisioningSummary, type ProvisioningRun } from '../summary';
import type { RawTask } from '../rawTask';
import type { TaskAction } from '.';
import { failed, summarize } from './ending';

export const provision: TaskAction = { check: parseRequest, run: provisionRun };

async function provisionRun(agent: Agent, clock: Clock, task: RawTask): Promise<void> {
  let named: ((error: unknown) => Promise<unknown>) | undefined;
  // What the run knows so far, for its summary (src/summary.ts), whichever way it ends.
  const run: ProvisioningRun = { done: [] };
  try {
    run.connectionName = task.inputs.connectionName;
    const request = (run.request = parseRequest(task));
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    named = (error) => withBootstrapName(error, request, clients);
    const observed = await read(request, clients);
    run.project = observed.project;
    checkedLines(request, observed).forEach((line) => agent.info(line));
    const changes = (run.changes = decide(request, observed));
    preflight(changes);
    changes.warnings.forEach((line) => agent.warn(line));
    if (request.dryRun) {
      [...dryRunLines(changes), verifyDryRunLine(request)].forEach((line) => agent.info(line));
      const unchecked = (run.unchecked = uncheckedPermissions(request, observed));
      unchecked.forEach((line) => agent.warn(line));
      finish(agent, run, dryRunSummary(changes), [...changes.warnings, ...unchecked]);
      return;
    }
    const applied = await apply(request, changes, clients, (change, happened) => {
      run.done.push({ change, happened });
      agent.info(doneLine(change, happened));
    });
    run.outputs = outputs(request, applied);
    for (const [name, value] of run.outputs) agent.output(name, value);
    // Verification comes last, after the outputs: a connection that is not verified yet stays, and its
    // outputs are set, so that a re-run (which verifies again) or a later step can pick it up.
    if (request.verify) {
      const target = verificationTarget(request, applied, observed.project.id);
      run.verified = await verifyConnection(clients, target, request.verify.timeoutSeconds, (line) => agent.info(line));
      agent.info(verifiedLine(target, run.verified));
    }
    const ready = request.verify ? 'is ready and verified' : 'is ready';
    finish(agent, run, `Service connection '${applied.connection.name || request.connectionName}' ${ready}.`, changes.warnings);
  } catch (caught) {
    const error = named ? await named(caught) : caught;
    failed(agent, error, (ending) => provisioningSummary(run, ending));
  }
}

/**
 * Attaches the run's summary, then ends it: Succeeded, or SucceededWithIssues when something asked for was
 * not done (each issue already warned).
 */
function finish(agent: Agent, run: ProvisioningRun, message: string, issues: string[]): void {
  const result = run.request?.dryRun ? 'DryRun' : issues.length === 0 ? 'Succeeded' : 'SucceededWithIssues';
  summarize(agent, () => provisioningSummary(run, { result, message }));
  if (issues.length === 0) agent.succeed(message);
  else agent.succeedWithIssues(`${message} ${issues.length === 1 ? 'One warning' : `${issues.length} warnings`}: ${issues.join(' ')}`);
}

/** A bootstrap sign-in failure names the connection by its name when Azure DevOps tells it (its id otherwise). */
async function withBootstrapName(error: unknown, request: ProvisioningRequest, clients: Clients): Promise<unknown> {
  if (!(error instanceof BootstrapSignInError)) return error;
  const name = await bootstrapConnectionName(clients, request.devops.project, request.bootstrap.endpointId);
  return name ? error.named(name) : error;
}
