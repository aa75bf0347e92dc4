/**
 * The task's actions: the `action` input picks one (task.json's pickList, the command line's first word or
 * --action). Each action is one module in src/actions/ with its own story of a run, plus one line here; an
 * action missing from task.json's options, or an option without a line here, fails
 * tests/unit/actions/index.test.ts.
 */
import type { Agent } from '../agent';
import type { Clock } from '../clock';
import { InputError } from '../errors';
import type { RawTask } from '../rawTask';
import { inventory } from './inventory';
import { migrate } from './migrate';
import { provision } from './provision';
import { remove } from './remove';

/** One action: its inputs judged without the network (the command line checks them before it signs in), and its run. */
export interface TaskAction {
  /** Judges the inputs; throws an InputError. Pure: the same check the run makes before its first request. */
  check(task: RawTask): unknown;
  /** The run, from the raw task to its ending (agent.succeed, succeedWithIssues or fail): never throws. */
  run(agent: Agent, clock: Clock, task: RawTask): Promise<void>;
}

export const ACTIONS = {
  provision,
  inventory,
  migrate,
  remove,
} satisfies Record<string, TaskAction>;

export type ActionName = keyof typeof ACTIONS;

export const ACTION_NAMES = Object.keys(ACTIONS) as ActionName[];

/** The `action` input: empty is provision (the task before actions existed); the case of a YAML value is forgiven. */
export function parseAction(value: string | undefined): ActionName {
  const given = (value ?? '').trim();
  if (!given) return 'provision';
  const known = ACTION_NAMES.find((name) => name.toLowerCase() === given.toLowerCase());
  if (!known) throw new InputError('action', `has the unsupported value '${given}'. Supported values are: ${ACTION_NAMES.join(', ')}.`);
  return known;
}
