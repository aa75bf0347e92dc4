/**
 * Calls to Azure DevOps. azure-devops-node-api does not retry throttling (429) nor failed writes, and
 * its HTTP layer's own retries ignore Retry-After, so the clients are built without them and every call
 * goes through here: failures become TaskErrors naming the operation, and transient ones are retried
 * with bounded backoff, waiting as long as Retry-After asks (typed-rest-client 3 hands the response
 * headers over as `responseHeaders` on the error, RestClient.processResponse; it does so when the body
 * is JSON or empty, as Azure DevOps' API errors are, and otherwise the policy's delays apply).
 *
 * Retrying a write is safe for the calls this task makes: an update is a full PUT, and a create whose
 * answer was lost comes back as DuplicateServiceConnectionException, which the connection module resolves
 * by reading the connection that now exists.
 */
import type { Clients } from '../clients';
import { InputError, type TaskError } from '../errors';
import { isTransient, toTaskError } from '../sdkErrors';
import { TRANSIENT, waitFor } from '../retry';

export function devops<T>(clients: Pick<Clients, 'clock'>, operation: string, call: () => Promise<T>): Promise<T> {
  return waitFor(
    clients.clock,
    'Azure DevOps',
    () => call().catch((error: unknown) => Promise.reject(toTaskError('devops', operation, error))),
    (error) => {
      const failure = error as TaskError;
      if (!isTransient(failure)) return undefined;
      return failure.retryAfterMs ?? 'policy';
    },
    TRANSIENT,
  );
}

/**
 * An organization URL where no organization answers (Azure DevOps' OrganizationNotFoundException, or
 * azure-devops-node-api finding no API locations there, VsoClient.getVersioningData). Every Azure DevOps
 * read of the run meets it; each names the same input. (A 401 from an organization that exists is left to
 * the HTTP401 hint: with devOpsAuth other than the job's token it says something else.)
 */
export function unknownOrganization(error: unknown, organizationUrl: string): InputError | undefined {
  const failure = error as TaskError;
  // A host no name server knows (getaddrinfo ENOTFOUND; EAI_AGAIN when the name server did not answer,
  // which devops() has waited out by now): a mistyped organization URL, or an agent without DNS.
  if (failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN') {
    const host = hostOf(organizationUrl);
    return new InputError(
      'organizationUrl',
      `'${organizationUrl}': the host '${host}' could not be found (getaddrinfo ${failure.code} ${host}); use this pipeline's organization, $(System.CollectionUri), e.g. https://dev.azure.com/<organization>/, and check the agent's DNS and proxy.`,
    );
  }
  const noOrganization = /Failed to find api location/i.test(failure.message ?? '') || failure.code === 'OrganizationNotFoundException';
  if (!noOrganization) return undefined;
  return new InputError(
    'organizationUrl',
    `'${organizationUrl}' is not an Azure DevOps organization this job can reach; use this pipeline's organization, $(System.CollectionUri).`,
  );
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
