/**
 * How every run ends when it fails, whatever its action: the summary first (a report, which never changes how
 * the run ends), then the agent's Failed. The agent tells a TaskError in the words of where the run comes
 * from (its hint's context); anything else is unexpected, told with its stack.
 */
import type { Agent } from '../agent';
import { TaskError } from '../errors';
import type { Ending } from '../summary';

export function failed(agent: Agent, error: unknown, summarize: (ending: Ending) => void): void {
  const failure = error instanceof TaskError ? error : `Unexpected failure: ${(error as Error)?.stack ?? String(error)}`;
  summarize({ result: 'Failed', message: typeof failure === 'string' ? failure : failure.describe() });
  agent.fail(failure);
}
