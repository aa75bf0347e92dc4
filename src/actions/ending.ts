/**
 * How every action ends its run: the summary first, a report on the run that never changes how the run ends
 * (a builder that throws is a warning), then the agent's result. A failure is told by the agent in the words
 * of where the run comes from (a TaskError's hint context); anything else is unexpected, told with its stack.
 */
import type { Agent } from '../agent';
import { TaskError } from '../errors';
import type { Ending, Summary } from '../summary';

/** Attaches the run's summary, built now; a builder that throws, or an attachment refused, is a warning. */
export function summarize(agent: Agent, build: () => Summary): void {
  try {
    agent.summary(build());
  } catch (error) {
    agent.warn(`Could not attach the run's summary: ${(error as Error)?.message ?? String(error)}`);
  }
}

/** Ends the run as its ending says, its summary attached first: the agent's result for the summary's (a dry run succeeds). */
export function end(agent: Agent, ending: Ending, build: (ending: Ending) => Summary): void {
  summarize(agent, () => build(ending));
  if (ending.result === 'Failed') agent.fail(ending.message);
  else if (ending.result === 'SucceededWithIssues') agent.succeedWithIssues(ending.message);
  else agent.succeed(ending.message);
}

/** Ends a run that threw: its summary says how, then the agent's Failed. */
export function failed(agent: Agent, error: unknown, build: (ending: Ending) => Summary): void {
  const failure = error instanceof TaskError ? error : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`;
  summarize(agent, () => build({ result: 'Failed', message: typeof failure === 'string' ? failure : failure.describe() }));
  agent.fail(failure);
}
