/**
 * Bounded waiting for conditions that clear by themselves: replication delays (a new principal that
 * ARM cannot see yet) and throttling or transient failures of Azure DevOps, whose client does not retry
 * (ARM clients retry 429/5xx themselves, honouring Retry-After, in @azure/core-rest-pipeline).
 */
import { ServiceError, TaskError } from './errors';

export interface WaitPolicy {
  /** Delay before the n-th retry; the last one repeats. */
  delaysMs: number[];
  /** Give up once this much time has been spent waiting. */
  maxTotalMs: number;
}

/** Replication in Entra ID: Microsoft documents "up to several minutes"; most clear within 30 s. */
export const REPLICATION: WaitPolicy = { delaysMs: [1000, 2000, 4000, 8000, 15000], maxTotalMs: 120_000 };
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

export type Sleep = (ms: number) => Promise<void>;
const sleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it succeeds, or `retryAfter` says an error is not worth waiting for (returns
 * undefined), or the policy's bound is reached; then the last error is raised with what was awaited.
 * `retryAfter` may return a delay the service asked for (Retry-After), which replaces the policy's; a
 * service that asks for more than the bound leaves is not waited for at all.
 */
export async function waitFor<T>(
  what: string,
  attempt: () => Promise<T>,
  retryAfter: (error: unknown) => number | 'policy' | undefined,
  policy: WaitPolicy,
  pause: Sleep = sleep,
): Promise<T> {
  let waited = 0;
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      const asked = retryAfter(error);
      if (asked === undefined) throw error;
      const delay = asked === 'policy' ? policy.delaysMs[Math.min(retry, policy.delaysMs.length - 1)] : asked;
      if (waited + delay > policy.maxTotalMs) {
        const note = asked === 'policy' ? undefined : `the service asked to wait ${seconds(delay)} s more, beyond this task's ${seconds(policy.maxTotalMs)} s bound`;
        throw gaveUp(what, waited, error, note);
      }
      await pause(delay);
      waited += delay;
    }
  }
}

/** The error for a wait that ended without success: what was awaited, for how long, and the last answer. */
export function gaveUp(what: string, waitedMs: number, last: unknown, note?: string): TaskError {
  const head = `gave up after waiting ${seconds(waitedMs)} s for ${what}${note ? ` (${note})` : ''}`;
  if (last instanceof TaskError) {
    return new ServiceError(`${head}: ${last.message}`, {
      operation: last.operation,
      status: last.status,
      code: last.code,
      correlationId: last.correlationId,
      hint: last.hint,
    });
  }
  return new ServiceError(`${head}: ${String((last as Error)?.message ?? last)}`);
}

function seconds(ms: number): number {
  return Math.round(ms / 1000);
}
