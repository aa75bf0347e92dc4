/**
 * WorkloadIdentityConnection: provisions an Azure Resource Manager service connection that signs in
 * with workload identity federation, and the managed identity or app registration behind it.
 */
import { agent as pipelineAgent, type Agent } from './agent';
import { apply } from './apply';
import { createClients } from './clients';
import { systemClock, type Clock } from './clock';
import { decide, preflight } from './decide';
import { TaskError } from './errors';
import { read } from './read';
import { checkedLines, doneLine, dryRunLines, dryRunSummary, outputs, verificationTarget, verifiedLine, verifyDryRunLine } from './report';
import { parseRequest } from './request';
import { verifyConnection } from './resources/verification';

/** One run of the task. The agent runs this file; the in-process tests call `main` with a fake agent and clock. */
export async function main(agent: Agent, clock: Clock): Promise<void> {
  try {
    const request = parseRequest(agent.readTask());
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    const observed = await read(request, clients);
    checkedLines(request, observed).forEach((line) => agent.info(line));
    const changes = decide(request, observed);
    preflight(changes);
    changes.warnings.forEach((line) => agent.warn(line));
    const succeed = (message: string): void => (changes.warnings.length > 0 ? agent.succeedWithIssues(message) : agent.succeed(message));
    if (request.dryRun) {
      [...dryRunLines(changes), verifyDryRunLine(request)].forEach((line) => agent.info(line));
      succeed(dryRunSummary(changes));
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
    succeed(`Service connection '${applied.connection.name || request.connectionName}' ${ready}.`);
  } catch (error) {
    agent.fail(error instanceof TaskError ? error.describe() : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  }
}

if (require.main === module) void main(pipelineAgent, systemClock);
