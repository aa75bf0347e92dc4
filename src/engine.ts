/**
 * A small engine that runs a plan: every step starts as soon as the steps it needs are done, so
 * independent steps run at the same time. After the first failure no further step starts; steps
 * already running finish. Of the steps that failed, the one first in the plan is reported: side-by-side
 * reads can fail together (a missing management group also refuses its role lookup), and the plan lists
 * the more fundamental read first, whichever answer happened to arrive first.
 */

export interface EngineStep<Id extends string> {
  id: Id;
  needs: readonly Id[];
}

export type Runners<R> = { [K in keyof R]: (done: R) => Promise<R[K]> };

export async function runPlan<R extends object>(
  steps: readonly EngineStep<Extract<keyof R, string>>[],
  runners: Partial<Runners<R>>,
  onStep?: (id: Extract<keyof R, string>, result: unknown) => void,
): Promise<R> {
  const done = {} as R;
  const started = new Map<string, Promise<void>>();
  const failures = new Map<string, unknown>();

  const start = (step: EngineStep<Extract<keyof R, string>>, path: string[]): Promise<void> => {
    const existing = started.get(step.id);
    if (existing) return existing;
    if (path.includes(step.id)) throw new Error(`plan has a cycle: ${[...path, step.id].join(' → ')}`);
    const run = runners[step.id];
    if (!run) throw new Error(`plan step '${step.id}' has no runner`);
    const needs = step.needs.map((id) => {
      const need = steps.find((s) => s.id === id);
      if (!need) throw new Error(`plan step '${step.id}' needs the unknown step '${id}'`);
      return start(need, [...path, step.id]);
    });
    const promise = Promise.all(needs).then(async () => {
      if (failures.size > 0) throw new Skipped();
      try {
        const result = await run(done);
        done[step.id] = result as R[typeof step.id];
        onStep?.(step.id, result);
      } catch (error) {
        failures.set(step.id, error);
        throw error;
      }
    });
    started.set(step.id, promise);
    return promise;
  };

  const all = steps.map((step) => start(step, []));
  await Promise.allSettled(all);
  const reported = steps.find((step) => failures.has(step.id));
  if (reported) throw failures.get(reported.id);
  return done;
}

/** A step that did not start because an earlier one failed. */
class Skipped extends Error {}
