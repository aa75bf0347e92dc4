/**
 * Bounded waiting for conditions that clear by themselves: replication delays (a new principal that
 * ARM cannot see yet), throttling and transient failures. This is the only layer that retries: the SDK
 * clients are built without their own retries (src/clients/), so a bound stated here holds in wall time.
 * A wait inside another (a throttled call inside a wait for replication) never outlives the outer one's
 * deadline: deadlines nest through AsyncLocalStorage.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from './clock';
import { ServiceError, TaskError } from './errors';

export interface WaitPolicy {
  /** Delay before the n-th retry; the last one repeats. */
  delaysMs: number[];
  /** Give up once this much time has passed since the first attempt started. */
  maxTotalMs: number;
}

/** Replication in Entra ID: Microsoft documents "up to several minutes"; most clear within 30 s. */
const REPLICATION: WaitPolicy = { delaysMs: [1000, 2000, 4000, 8000, 15000], maxTotalMs: 120_000 };
/** Transient HTTP failures: short and few. */
export const TRANSIENT: WaitPolicy = { delaysMs: [500, 1000, 2000, 4000], maxTotalMs: 30_000 };
/**
 * A project created a moment earlier (state new or createPending) until it is wellFormed: creating a
 * project usually takes seconds, rarely more than a minute.
 */
export const PROJECT_CREATION: WaitPolicy = { delaysMs: [500, 1000, 2000, 4000, 8000, 10000], maxTotalMs: 120_000 };

/** The replication policy with another bound (the replicationWaitSeconds input). */
export function replicationPolicy(maxTotalSeconds: number): WaitPolicy {
  return { ...REPLICATION, maxTotalMs: maxTotalSeconds * 1000 };
}

/** The deadline of the innermost wait in progress, in the clock's milliseconds. */
const enclosingDeadline = new AsyncLocalStorage<number>();

/** A wait that has lasted a while: what it waits for, how long so far, its bound, and the last answer's code. */
export interface WaitProgress {
  what: string;
  waitedMs: number;
  boundMs: number;
  /** The last refusal's service code or HTTP status (never its text, which may hold anything). */
  last?: string;
}

/** A wait says nothing for its first 10 s, then where it stands about every 15 s (issue 23: waits of 300-600 s were silent). */
export const PROGRESS = { firstMs: 10_000, everyMs: 15_000 } as const;

/**
 * Where the waits of a run report their progress: set once around the run (src/main.ts), so that every wait,
 * however deep in a client, reports without the agent being handed through every layer, as the deadlines
 * nest. Without one (unit tests of a single wait), waits report nothing.
 */
const progressSink = new AsyncLocalStorage<(progress: WaitProgress) => void>();

/** Runs `run` with every wait inside it reporting its progress to `sink`. */
export function reportingWaits<T>(sink: (progress: WaitProgress) => void, run: () => Promise<T>): Promise<T> {
  return progressSink.run(sink, run);
}

/** A progress report as a log line, and as the agent's progress value (percent of the bound) and operation. */
export function describeProgress(progress: WaitProgress): { line: string; percent: number; operation: string } {
  const last = progress.last ? ` (last answer: ${progress.last})` : '';
  return {
    line: `Still waiting for ${progress.what}${last}: ${seconds(progress.waitedMs)} s so far, at most ${seconds(progress.boundMs)} s.`,
    percent: Math.max(0, Math.min(99, Math.floor((100 * progress.waitedMs) / Math.max(1, progress.boundMs)))),
    operation: `Waiting for ${progress.what}`,
  };
}

/** The code a refusal carries, for a progress line: the service's code, else its HTTP status. */
function codeOf(error: unknown): string | undefined {
  if (!(error instanceof TaskError)) return undefined;
  return error.code ?? (error.status !== undefined ? `HTTP ${error.status}` : undefined);
}

/** Errors raised by a wait that gave up: final for any wait around it, which could only repeat what was waited out. */
const givenUp = new WeakSet<object>();

/**
 * Runs `attempt` until it succeeds, or `retryAfter` says an error is not worth waiting for (returns
 * undefined), or the deadline has passed (no try starts after it; the last one starts at it); then the last
 * error is raised with what was awaited, for how long and over how many tries. `retryAfter` may return a
 * delay the service asked for (Retry-After): the wait is then the longer of it and the policy's delay (a
 * service that asks for no wait at all, Retry-After: 0, still gets the policy's backoff, never a hot loop);
 * a service that asks for more than the deadline leaves is not waited for at all, and the line names the
 * time it asked for.
 */
export async function waitFor<T>(
  clock: Clock,
  what: string,
  attempt: () => Promise<T>,
  retryAfter: (error: unknown) => number | 'policy' | undefined,
  policy: WaitPolicy,
): Promise<T> {
  const started = clock.now();
  const outer = enclosingDeadline.getStore();
  const deadline = Math.min(started + policy.maxTotalMs, outer ?? Number.POSITIVE_INFINITY);
  const sink = progressSink.getStore();
  let reportAt = started + PROGRESS.firstMs;
  let last: unknown;
  /** Sleeps `ms`, waking to report whenever a report falls due within it. */
  const sleep = async (ms: number): Promise<void> => {
    for (let left = ms; left > 0 || (sink && clock.now() >= reportAt);) {
      const untilReport = sink ? reportAt - clock.now() : Number.POSITIVE_INFINITY;
      if (untilReport <= 0) {
        sink!({ what, waitedMs: clock.now() - started, boundMs: deadline - started, last: codeOf(last) });
        reportAt = clock.now() + PROGRESS.everyMs;
        continue;
      }
      const step = Math.min(left, untilReport);
      await clock.sleep(step);
      left -= step;
    }
  };
  for (let retry = 0; ; retry++) {
    try {
      return await enclosingDeadline.run(deadline, attempt);
    } catch (error) {
      const asked = givenUp.has(error as object) ? undefined : retryAfter(error);
      if (asked === undefined) throw error;
      last = error;
      const now = clock.now();
      const backoff = policy.delaysMs[Math.min(retry, policy.delaysMs.length - 1)];
      const tries = retry + 1;
      if (asked !== 'policy' && asked > backoff && now + asked > deadline) {
        // The service asked for more than the bound leaves: not worth a wait that ends in failure anyway.
        const left = seconds(deadline - started);
        const bound = left >= seconds(policy.maxTotalMs) ? `this task's ${seconds(policy.maxTotalMs)} s bound` : `the ${left} s left of the wait around it`;
        throw gaveUp(what, now - started, error, `the service asked to wait ${seconds(asked)} s more, beyond ${bound}`);
      }
      if (now >= deadline) {
        // Throttled to the end: say how often it was tried, and whose pace the tries kept (Retry-After: 0 asks
        // for none, the policy's backoff is the floor).
        const pace = asked !== 'policy' && asked < backoff ? '; the task waited its own backoff between them' : '';
        const note =
          asked === 'policy' ? undefined : `${tries} ${tries === 1 ? 'try' : 'tries'}, the last answered with Retry-After: ${seconds(asked)} s${pace}`;
        throw gaveUp(what, now - started, error, note);
      }
      // The delay, cut short so that the last try starts at the deadline at the latest.
      const delay = asked === 'policy' ? backoff : Math.max(asked, backoff);
      await sleep(Math.min(delay, deadline - now));
    }
  }
}

/** The error for a wait that ended without success: what was awaited, for how long, and the last answer. */
function gaveUp(what: string, waitedMs: number, last: unknown, note?: string): TaskError {
  const head = `gave up after waiting ${seconds(waitedMs)} s for ${what}${note ? ` (${note})` : ''}`;
  const error =
    last instanceof TaskError
      ? new ServiceError(`${head}: ${last.message}`, {
          operation: last.operation,
          status: last.status,
          code: last.code,
          correlationId: last.correlationId,
          hint: last.toFacts().hint,
        })
      : new ServiceError(`${head}: ${String((last as Error)?.message ?? last)}`);
  givenUp.add(error);
  return error;
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
