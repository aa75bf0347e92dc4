/**
 * Calls to Azure Resource Manager. The SDK clients retry throttling (Retry-After), 408/5xx and failed
 * connections themselves (@azure/core-rest-pipeline's default retry policy, 3 retries with exponential
 * backoff); what still fails here failed after those retries. Every call goes through here so that such a
 * failure says what was awaited and for how long, and every other one names its operation.
 */
import { InputError, type TaskError } from '../errors';
import { isTransient, toTaskError } from '../failures';
import { gaveUp } from '../retry';

export async function arm<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await call();
  } catch (error) {
    const failure: TaskError = toTaskError('arm', operation, error);
    // Every read of a request naming a subscription the identity cannot see fails alike; whichever
    // fails first, the line names the input.
    if (failure.code === 'SubscriptionNotFound') {
      throw new InputError('subscriptionId', `names a subscription the bootstrap connection's identity cannot see (${failure.message}); check the id, and the identity's access to it.`);
    }
    if (!isTransient(failure)) throw failure;
    throw gaveUp('Azure Resource Manager', Date.now() - started, failure, "its client's own retries did not clear it");
  }
}

/** Whether an ARM failure says the resource is not there (a read that finds nothing). */
export function isNotFound(error: unknown): boolean {
  return (error as TaskError).status === 404;
}
