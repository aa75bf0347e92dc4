/**
 * What the Graph resource modules share: alternate-key syntax and the answers that mean "not replicated
 * yet". Microsoft Graph is eventually consistent and publishes no replication bound: an object created a
 * moment ago can be missing from the replica that serves the next request (docs/wire.md, "Microsoft Graph v1.0").
 */
import type { TaskError } from '../errors';
import type { Clients } from '../clients';
import { isTransient, statusOf, toTaskError } from '../sdkErrors';
import { TRANSIENT, waitFor } from '../retry';

/** An OData string key, `'value'`: quotes doubled (OData ABNF), the rest made safe for a URL path. */
export function odataKey(value: string): string {
  return `'${encodeURIComponent(value.replace(/'/g, "''"))}'`;
}

/** 404 Request_ResourceNotFound: "Resource '…' does not exist or one of its queried reference-property objects are not present." */
export function isReplicationLag(error: TaskError): boolean {
  return error.status === 404 && error.code === 'Request_ResourceNotFound';
}

/**
 * One Graph request: failures become TaskErrors naming the operation, and a request that got no answer
 * at all (a dropped connection), or a transient failure (429, 408, 5xx), is sent again, bounded, waiting
 * as long as Retry-After asks. The Graph client is built without its own RetryHandler (clients.ts), so
 * this is the only layer that waits. Safe because every Graph write this task sends is idempotent: reads,
 * and PATCHes by key.
 */
export function graphCall<T>(clients: Pick<Clients, 'clock'>, operation: string, call: () => Promise<T>): Promise<T> {
  const unanswered = new WeakSet<TaskError>();
  return waitFor(
    clients.clock,
    'an answer from Microsoft Graph',
    () =>
      call().catch((error: unknown) => {
        const failure = toTaskError('graph', operation, error);
        // The Graph client marks a request that got no response with statusCode -1.
        if (statusOf(error) === -1 && failure.code === undefined) unanswered.add(failure);
        return Promise.reject(failure);
      }),
    (error) => (unanswered.has(error as TaskError) || isTransient(error as TaskError) ? ((error as TaskError).retryAfterMs ?? 'policy') : undefined),
    TRANSIENT,
  );
}
