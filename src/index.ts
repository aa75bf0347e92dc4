/**
 * WorkloadIdentityConnection: provisions an Azure Resource Manager service connection that signs in
 * with workload identity federation, and the managed identity or app registration behind it.
 */
import { agent as pipelineAgent, type Agent } from './agent';
import { apply } from './apply';
import { type Clients, createClients } from './clients';
import { systemClock, type Clock } from './clock';
import { decide, preflight } from './decide';
import { BootstrapSignInError, TaskError } from './errors';
import { read } from './read';
import { checkedLines, doneLine, dryRunLines, dryRunSummary, outputs } from './report';
import { parseRequest, type ProvisioningRequest } from './request';
import { bootstrapConnectionName } from './resources/serviceConnection';

/** One run of the task. The agent runs this file; the in-process tests call `main` with a fake agent and clock. */
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
    if (request.dryRun) {
      dryRunLines(changes).forEach((line) => agent.info(line));
      agent.succeed(dryRunSummary(changes));
      return;
    }
    const applied = await apply(request, changes, clients, (change, happened) => agent.info(doneLine(change, happened)));
    for (const [name, value] of outputs(request, applied)) agent.output(name, value);
    agent.succeed(`Service connection '${applied.connection.name || request.connectionName}' is ready.`);
  } catch (caught) {
    const error = named ? await named(caught) : caught;
    agent.fail(error instanceof TaskError ? error.describe() : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  }
}

/** A bootstrap sign-in failure names the connection by its name when Azure DevOps tells it (its id otherwise). */
async function withBootstrapName(error: unknown, request: ProvisioningRequest, clients: Clients): Promise<unknown> {
  if (!(error instanceof BootstrapSignInError)) return error;
  const name = await bootstrapConnectionName(clients, request.devops.project, request.bootstrap.endpointId);
  return name ? error.named(name) : error;
}

if (require.main === module) void main(pipelineAgent, systemClock);
