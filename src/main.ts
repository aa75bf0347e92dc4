/**
 * The story of every run, shared by both entries: the pipeline task (src/index.ts, with the agent) and the
 * command line (src/cli.ts, with a terminal). The raw task is read, its `action` input picks the action
 * (src/actions/), and the action tells the rest of the story in its own module: provision, inventory…
 * Neither task-lib nor the terminal is loaded from here; a run ends through the agent it is given.
 */
import { ACTIONS, parseAction } from './actions';
import { failed } from './actions/ending';
import type { Agent } from './agent';
import type { Clock } from './clock';
import { describeProgress, reportingWaits } from './retry';
import type { RawTask } from './rawTask';
import { provisioningSummary } from './summary';

/** One run: the agent runs src/index.ts, the command line src/cli.ts, the in-process tests call it with a fake agent and clock. */
export async function main(agent: Agent, clock: Clock): Promise<void> {
  let task: RawTask;
  let action;
  try {
    task = agent.readTask();
    action = ACTIONS[parseAction(task.inputs.action)];
  } catch (error) {
    // Nothing is known yet but the failure: the summary says so, under the task's own title.
    failed(agent, error, (ending) => provisioningSummary({ done: [] }, ending));
    return;
  }
  // Every wait of the run says where it stands, about every 15 s once it has lasted 10 s (src/retry.ts).
  await reportingWaits(
    (progress) => {
      const { line, percent, operation } = describeProgress(progress);
      agent.progress(line, percent, operation);
    },
    () => action.run(agent, clock, task),
  );
}
