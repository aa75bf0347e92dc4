/**
 * The task's own user-facing lines, as keys of task.json `messages` (the ecosystem's way: the agent's
 * task-lib formats them with tl.loc, and a localized Strings/resources.resjson can replace them).
 * To add a line: add the key here and its English text in task.json; a unit test keeps both in step.
 */
export const MESSAGE_KEYS = [
  'StepCreated',
  'StepUpdated',
  'StepKept',
  'StepNotFound',
  'StepChecked',
  'StepWouldCreate',
  'StepWouldUpdate',
  'StepWouldKeep',
  'DryRunSummary',
  'DryRunInPlace',
  'ConnectionReady',
  'UnexpectedFailure',
] as const;

export type MessageKey = (typeof MESSAGE_KEYS)[number];

/** A line to show: its key and the values for its `%s` placeholders. Pure code returns these; agent.message renders them. */
export type Message = [key: MessageKey, ...args: string[]];
