/**
 * What the Graph resource modules share: alternate-key syntax and the answers that mean "not replicated
 * yet". Microsoft Graph is eventually consistent and publishes no replication bound: an object created a
 * moment ago can be missing from the replica that serves the next request (WIRE.md, "Microsoft Graph v1.0").
 */
import type { TaskError } from '../errors';
import { statusOf, toTaskError } from '../failures';
import { TRANSIENT, waitFor, type WaitPolicy } from '../retry';
import type { WriteOptions } from './outcome';

export interface GraphWriteOptions extends WriteOptions {
  /** How long to wait for a new object to replicate in Microsoft Graph; default REPLICATION. */
  replication?: WaitPolicy;
}

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
 * at all (a dropped connection), or a transient failure the Graph client does not retry (408, 500, 502), is
 * sent again, bounded. The Graph client itself retries 429, 503 and 504, honouring Retry-After
 * (RetryHandlerOptions), but neither of those. Safe here because every Graph write this task sends is
 * idempotent: reads, and PATCHes by key.
 */
/** Transient statuses the Graph client's RetryHandler leaves alone (it retries 429, 503 and 504). */
const NOT_RETRIED_BY_CLIENT = [408, 500, 502];

export function graphCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  const unanswered = new WeakSet<TaskError>();
  return waitFor(
    'an answer from Microsoft Graph',
    () =>
      call().catch((error: unknown) => {
        const failure = toTaskError('graph', operation, error);
        // The Graph client marks a request that got no response with statusCode -1.
        if (statusOf(error) === -1 && failure.code === undefined) unanswered.add(failure);
        return Promise.reject(failure);
      }),
    (error) => (unanswered.has(error as TaskError) || NOT_RETRIED_BY_CLIENT.includes((error as TaskError).status ?? 0) ? 'policy' : undefined),
    TRANSIENT,
  );
}
