/**
 * Calls to Azure DevOps. azure-devops-node-api does not retry throttling (429) nor failed writes, so
 * every call goes through here: failures become TaskErrors naming the operation, and transient ones
 * are retried with bounded backoff.
 */
import { TaskError } from '../errors';
import { toTaskError } from '../failures';
import { TRANSIENT, waitFor } from '../retry';

export function devops<T>(operation: string, call: () => Promise<T>): Promise<T> {
  return waitFor(
    `Azure DevOps to ${operation}`,
    () => call().catch((error: unknown) => Promise.reject(toTaskError('devops', operation, error))),
    (error) => (isTransient(error as TaskError) ? 'policy' : undefined),
    TRANSIENT,
  );
}

/**
 * The statuses @azure/core-rest-pipeline retries for ARM, less the errors Azure DevOps reports as 500
 * that no wait will clear: a duplicate connection name comes back as 500 DuplicateServiceConnectionException.
 */
function isTransient(error: TaskError): boolean {
  const { status, code } = error;
  if (code && PERMANENT.has(code)) return false;
  return status === 429 || status === 408 || (status !== undefined && status >= 500 && status !== 501 && status !== 505);
}

const PERMANENT = new Set(['DuplicateServiceConnectionException']);
