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

/**
 * Runs `attempt` until it succeeds, or `retryAfter` says an error is not worth waiting for (returns
 * undefined), or the deadline has passed (no try starts after it; the last one starts at it); then the last
 * error is raised with what was awaited and for how long. `retryAfter` may return a delay the service asked for (Retry-After), which
 * replaces the policy's; a service that asks for more than the deadline leaves is not waited for at all.
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
  for (let retry = 0; ; retry++) {
    try {
      return await enclosingDeadline.run(deadline, attempt);
    } catch (error) {
      const asked = retryAfter(error);
      if (asked === undefined) throw error;
      const now = clock.now();
      if (asked !== 'policy' && now + asked > deadline) {
        // The service asked for more than the bound leaves: not worth a wait that ends in failure anyway.
        const note =
          deadline === outer ? undefined : `the service asked to wait ${seconds(asked)} s more, beyond this task's ${seconds(policy.maxTotalMs)} s bound`;
        throw gaveUp(what, now - started, error, note);
      }
      if (now >= deadline) throw gaveUp(what, now - started, error);
      // The policy's delay, cut short so that the last try starts at the deadline at the latest.
      const delay = asked === 'policy' ? policy.delaysMs[Math.min(retry, policy.delaysMs.length - 1)] : asked;
      await clock.sleep(Math.min(delay, deadline - now));
    }
  }
}

/** The error for a wait that ended without success: what was awaited, for how long, and the last answer. */
function gaveUp(what: string, waitedMs: number, last: unknown, note?: string): TaskError {
  const head = `gave up after waiting ${seconds(waitedMs)} s for ${what}${note ? ` (${note})` : ''}`;
  if (last instanceof TaskError) {
    return new ServiceError(`${head}: ${last.message}`, {
      operation: last.operation,
      status: last.status,
      code: last.code,
      correlationId: last.correlationId,
      hint: last.toFacts().hint,
    });
  }
  return new ServiceError(`${head}: ${String((last as Error)?.message ?? last)}`);
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
