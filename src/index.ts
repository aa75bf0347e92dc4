/**
 * WorkloadIdentityConnection: provisions an Azure Resource Manager service connection that signs in
 * with workload identity federation, and the managed identity or app registration behind it.
 */
import { agent as pipelineAgent, type Agent } from './agent';
import { createClients } from './clients';
import { systemClock, type Clock } from './clock';
import { TaskError } from './errors';
import { planFor } from './plan';
import { provision } from './provision';
import { parseRequest } from './request';
import { dryRunSummary, report, summarize } from './report';

/** One run of the task: the agent runs it through this file; the in-process tests call it with a fake agent and clock. */
export async function main(agent: Agent, clock: Clock): Promise<void> {
  try {
    const request = parseRequest(agent.readTask());
    const plan = planFor(request);
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
    const provisioned = await provision(request, plan, clients, (step, result) => agent.info(agent.message(...summarize(step, result, request.dryRun))));
    if (request.dryRun) {
      agent.succeed(agent.message(...dryRunSummary(provisioned)));
      return;
    }
    report(request, provisioned, agent);
    agent.succeed(agent.message('ConnectionReady', provisioned.connection.value.name));
  } catch (error) {
    agent.fail(error instanceof TaskError ? error.describe() : agent.message('UnexpectedFailure', (error as Error)?.stack ?? String(error)));
  }
}

if (require.main === module) void main(pipelineAgent, systemClock);
