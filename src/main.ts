/**
 * The story of a run, shared by both entries: the pipeline task (src/index.ts, with the agent) and the
 * command line (src/cli.ts, with a terminal). Neither task-lib nor the terminal is loaded from here.
 */
import type { Agent } from './agent';
import { apply } from './apply';
import { createClients } from './clients';
import type { Clock } from './clock';
import { decide, preflight } from './decide';
import { TaskError } from './errors';
import { read } from './read';
import { checkedLines, doneLine, dryRunLines, dryRunSummary, outputs } from './report';
import { parseRequest } from './request';

/** One run of the task: the agent runs src/index.ts, the command line src/cli.ts, the in-process tests call it with a fake agent and clock. */
export async function main(agent: Agent, clock: Clock): Promise<void> {
  try {
    const request = parseRequest(agent.readTask());
    const clients = createClients(request, (secret) => agent.secret(secret), clock);
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
  } catch (error) {
    agent.fail(error instanceof TaskError ? error.describe() : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`);
  }
}
