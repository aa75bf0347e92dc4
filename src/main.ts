/**
 * The story of a run, shared by both entries: the pipeline task (src/index.ts, with the agent) and the
 * command line (src/cli.ts, with a terminal). Neither task-lib nor the terminal is loaded from here, and
 * this is the only place that ends a run (through the agent it is given).
 */
import type { Agent } from './agent';
import { apply } from './apply';
import { type Clients, createClients } from './clients';
import type { Clock } from './clock';
import { decide, preflight } from './decide';
import { BootstrapSignInError, TaskError } from './errors';
import { read } from './read';
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
} from './report';
import { parseRequest, type ProvisioningRequest } from './request';
import { bootstrapConnectionName } from './resources/serviceConnection';
import { verifyConnection } from './resources/verification';

/** One run: the agent runs src/index.ts, the command line src/cli.ts, the in-process tests call it with a fake agent and clock. */
export async function main(agent: Agent, clock: Clock): Promise<void> {
  let named: ((error: unknown) => Promise<unknown>) | undefined;
  try {
    const request = parseRequest(agent.readTask());
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    named = (error) => withBootstrapName(error, request, clients);
    const observed = await read(request, clients);
    checkedLines(request, observed).forEach((line) => agent.info(line));
    const changes = decide(request, observed);
    preflight(changes);
    changes.warnings.forEach((line) => agent.warn(line));
    if (request.dryRun) {
      [...dryRunLines(changes), verifyDryRunLine(request)].forEach((line) => agent.info(line));
      const unchecked = uncheckedPermissions(request, observed);
      unchecked.forEach((line) => agent.warn(line));
      finish(agent, dryRunSummary(changes), [...changes.warnings, ...unchecked]);
      return;
    }
    const applied = await apply(request, changes, clients, (change, happened) => agent.info(doneLine(change, happened)));
    for (const [name, value] of outputs(request, applied)) agent.output(name, value);
    // Verification comes last, after the outputs: a connection that is not verified yet stays, and its
    // outputs are set, so that a re-run (which verifies again) or a later step can pick it up.
    if (request.verify) {
      const target = verificationTarget(request, applied, observed.project.id);
      const verified = await verifyConnection(clients, target, request.verify.timeoutSeconds, (line) => agent.info(line));
      agent.info(verifiedLine(target, verified));
    }
    const ready = request.verify ? 'is ready and verified' : 'is ready';
    finish(agent, `Service connection '${applied.connection.name || request.connectionName}' ${ready}.`, changes.warnings);
  } catch (caught) {
    const error = named ? await named(caught) : caught;
    agent.fail(error instanceof TaskError ? error : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  }
}

/** Succeeded, or SucceededWithIssues when something asked for was not done (each issue already warned). */
function finish(agent: Agent, message: string, issues: string[]): void {
  if (issues.length === 0) agent.succeed(message);
  else agent.succeedWithIssues(`${message} ${issues.length === 1 ? 'One warning' : `${issues.length} warnings`}: ${issues.join(' ')}`);
}

/** A bootstrap sign-in failure names the connection by its name when Azure DevOps tells it (its id otherwise). */
async function withBootstrapName(error: unknown, request: ProvisioningRequest, clients: Clients): Promise<unknown> {
  if (!(error instanceof BootstrapSignInError)) return error;
  const name = await bootstrapConnectionName(clients, request.devops.project, request.bootstrap.endpointId);
  return name ? error.named(name) : error;
}
