/**
 * Calls to Azure Resource Manager. The SDK clients are built without retries (clients.ts): throttling
 * (Retry-After), 408/5xx and failed connections are retried here, bounded, so that every failure says
 * what was awaited and for how long, and every other one names its operation.
 */
import type { Clients } from '../clients';
import { InputError, type TaskError } from '../errors';
import { isTransient, toTaskError } from '../sdkErrors';
import { TRANSIENT, waitFor } from '../retry';

export function arm<T>(clients: Pick<Clients, 'clock'>, operation: string, call: () => Promise<T>): Promise<T> {
  return waitFor(
    clients.clock,
    'Azure Resource Manager',
    () =>
      call().catch((error: unknown) => {
        const failure: TaskError = toTaskError('arm', operation, error);
        // Every read of a request naming a subscription the identity cannot see fails alike; whichever
        // fails first, the line names the input.
        if (failure.code === 'SubscriptionNotFound') {
          throw new InputError(
            'subscriptionId',
            `names a subscription the bootstrap connection's identity cannot see (${failure.message}); check the id, and the identity's access to it.`,
          );
        }
        const unresolved = unresolvedHost(failure);
        if (unresolved) {
          // The ARM and authority URLs come from the bootstrap connection's data (its environment): no wait
          // will make the host resolve, and the line must say whose URL it is.
          throw new InputError(
            'bootstrapConnection',
            `names a service connection whose host '${unresolved}' (its Azure Resource Manager or authority URL) could not be found (${failure.message}); check the connection's environment and URLs, or the agent's DNS and proxy.`,
          );
        }
        if (failure.code === 'endpoints_resolution_error') {
          // MSAL could not read the authority's metadata: the bootstrap connection's authority URL (its
          // environment) is wrong, or the agent cannot reach it.
          throw new InputError(
            'bootstrapConnection',
            `names a service connection whose authority (Entra ID) could not be reached to read its endpoints (${failure.message}); check the connection's environment and authority URL, or the agent's network and proxy.`,
          );
        }
        throw failure;
      }),
    (error) => (error instanceof InputError || !isTransient(error as TaskError) ? undefined : ((error as TaskError).retryAfterMs ?? 'policy')),
    TRANSIENT,
  );
}

/** Whether an ARM failure says the resource is not there (a read that finds nothing). */
export function isNotFound(error: unknown): boolean {
  return (error as TaskError).status === 404;
}

/** The host name of a lookup that failed for good (ENOTFOUND; EAI_AGAIN is a DNS server's temporary failure, retried). */
function unresolvedHost(failure: TaskError): string | undefined {
  const found = /getaddrinfo ENOTFOUND (\S+)/.exec(failure.message);
  return found ? found[1].replace(/[).,]+$/, '') : undefined;
}
