/**
 * Fault rules shaped like the real services' bad days, for Emulator.faults.add(). Each builder returns a
 * FaultRule; `where` narrows it to a method, a path and a number of hits (default: the next one).
 *
 * Bodies are the services' own error shapes:
 * - ARM throttling: 429 SubscriptionRequestsThrottled with Retry-After in seconds
 *   (https://learn.microsoft.com/azure/azure-resource-manager/management/request-limits-and-throttling);
 *   500 InternalServerError, 503 ServiceUnavailable in the common error envelope.
 * - Azure DevOps throttling: 429 with Retry-After and the X-RateLimit-* headers, body TF400733
 *   RequestBlockedException (https://learn.microsoft.com/azure/devops/integrate/concepts/rate-limits);
 *   500 TF400898 "An Internal Error Occurred".
 * - Microsoft Graph: 429 TooManyRequests with Retry-After (https://learn.microsoft.com/graph/throttling);
 *   500 generalException, 503 serviceNotAvailable, 403 Authorization_RequestDenied
 *   (https://learn.microsoft.com/graph/errors), each in Graph's envelope with innerError's request id.
 * - Entra ID: 503 temporarily_unavailable with AADSTS90033 ("A transient error has occurred").
 */
import { randomUUID } from 'node:crypto';
import type { FaultRule, ServiceName } from './http';

export interface Where {
  method?: string;
  path?: RegExp;
  /** Default 1; Infinity for every matching request. */
  times?: number;
  /** Only mutating requests (Emulator.writes()'s definition). */
  writesOnly?: boolean;
  /** Let this many matching requests through first. */
  skip?: number;
}

/** Adds latency to matching requests and lets the service answer. */
export function slow(service: ServiceName, latencyMs: number, where: Where = {}): FaultRule {
  return { service, ...where, latencyMs };
}

/** Holds matching requests until `release` settles, then lets the service answer them. */
export function held(service: ServiceName, release: () => Promise<void>, where: Where = {}): FaultRule {
  return { service, ...where, holdUntil: release };
}

/** Refuses matching requests with 429 and a Retry-After (seconds), without doing the work. */
export function throttled(service: ServiceName, retryAfterSeconds: number, where: Where = {}): FaultRule {
  const retryAfter = String(retryAfterSeconds);
  switch (service) {
    case 'arm':
      return {
        service,
        ...where,
        status: 429,
        headers: { 'Retry-After': retryAfter, 'x-ms-ratelimit-remaining-subscription-writes': '0' },
        body: {
          error: {
            code: 'SubscriptionRequestsThrottled',
            message: `Number of requests for subscription exceeded. Please try again after '${retryAfter}' seconds after additional tokens are available. Refer to https://aka.ms/arm-throttling for additional information.`,
          },
        },
      };
    case 'devops':
      return {
        service,
        ...where,
        status: 429,
        headers: {
          'Retry-After': retryAfter,
          'X-RateLimit-Resource': 'ATCPU',
          'X-RateLimit-Delay': '1.5',
          'X-RateLimit-Limit': '200',
          'X-RateLimit-Remaining': '0',
        },
        body: devopsError(
          'Microsoft.TeamFoundation.Framework.Server.RequestBlockedException, Microsoft.TeamFoundation.Framework.Server',
          "TF400733: The request has been canceled: Request was blocked due to exceeding usage of resource 'ATCPU' in namespace 'User'.",
        ),
      };
    case 'graph':
      return {
        service,
        ...where,
        status: 429,
        headers: { 'Retry-After': retryAfter },
        body: graphError('TooManyRequests', 'Please retry again later.', { code: '429', status: '429', message: 'Please retry after' }),
      };
    default:
      return {
        service,
        ...where,
        status: 429,
        headers: { 'Retry-After': retryAfter },
        body: entraError('temporarily_unavailable', 50196, 'The server terminated an operation because it encountered a client request loop.'),
      };
  }
}

/** Fails matching requests with a 5xx the service sends when it is unwell, without doing the work. */
export function unavailable(service: ServiceName, status: 500 | 503, where: Where = {}): FaultRule {
  if (service === 'devops' && status === 503) return hostLevelDevOpsError(where, serverErrorBody(service, status) as Record<string, unknown>);
  return { service, ...where, status, body: serverErrorBody(service, status) };
}

/**
 * Azure DevOps' host-level error for a stopped organization: 503 TF24668, its JSON body starting with a
 * UTF-8 byte-order mark (tests/fixtures/recordings/ado-error-503-collection-stopped-bom.json).
 * `retryAfterSeconds` adds a Retry-After (the recording has none; throttled answers carry one).
 */
export function collectionStopped(where: Where = {}, retryAfterSeconds?: number): FaultRule {
  const rule = hostLevelDevOpsError(
    where,
    devopsError(
      'Microsoft.VisualStudio.Services.Common.VssServiceException, Microsoft.VisualStudio.Services.Common',
      'TF24668: The following team project collection is stopped: contoso. Start the collection and then try again. Administrator Reason: This Azure DevOps organization has been deactivated due to inactivity. For more information please visit aka.ms/adofootprintreduction',
    ),
  );
  if (retryAfterSeconds !== undefined) rule.headers = { ...rule.headers, 'Retry-After': String(retryAfterSeconds) };
  return rule;
}

/**
 * A 503 answered by Azure DevOps' host rather than a service: the body starts with a byte-order mark, the
 * content type has no charset and the message is repeated URL-encoded in x-tfs-serviceerror
 * (ado-error-503-collection-stopped-bom).
 */
function hostLevelDevOpsError(where: Where, body: Record<string, unknown>): FaultRule {
  return {
    service: 'devops',
    ...where,
    status: 503,
    headers: { 'Content-Type': 'application/json', 'x-tfs-serviceerror': encodeURIComponent(String(body.message)) },
    body: `\uFEFF${JSON.stringify(body)}`,
  };
}

/** Cuts the connection before the service sees the request: nothing is done, no answer comes. */
export function dropped(service: ServiceName, where: Where = {}): FaultRule {
  return { service, ...where, drop: true };
}

/** The service does the work, then the connection is cut: the write happened, its answer is lost. */
export function answerLost(service: ServiceName, where: Where = {}): FaultRule {
  return { service, ...where, drop: true, afterApply: true };
}

/**
 * The service does the work, then the caller's process dies before the answer leaves: an in-process run is
 * cut here (see FaultRule.crash; the test calls Emulator.afterCrash() before the re-run), a spawned one is
 * killed from onFire.
 */
export function crashAfterApply(service: ServiceName, where: Where = {}): FaultRule {
  return { service, ...where, drop: true, afterApply: true, crash: true };
}

/** The service does the work, then a gateway answers 500 or 503 instead of the real answer. */
export function failedAfterApply(service: ServiceName, status: 500 | 503, where: Where = {}): FaultRule {
  return { service, ...where, status, body: serverErrorBody(service, status), afterApply: true };
}

/** A refusal no retry clears: the caller lacks permission for this request. */
export function refused(service: ServiceName, where: Where = {}): FaultRule {
  if (service === 'devops') {
    return {
      service,
      ...where,
      status: 403,
      body: devopsError(
        'Microsoft.VisualStudio.Services.Security.AccessCheckException, Microsoft.VisualStudio.Services.WebApi',
        'Access denied: the caller lacks permission for this request (injected fault).',
      ),
    };
  }
  if (service === 'graph') {
    return { service, ...where, status: 403, body: graphError('Authorization_RequestDenied', 'Insufficient privileges to complete the operation.') };
  }
  return {
    service,
    ...where,
    status: 403,
    body: { error: { code: 'AuthorizationFailed', message: 'The client does not have authorization to perform this action (injected fault).' } },
  };
}

/**
 * Azure DevOps' 404 for a service connection the caller may not see (ServiceEndpointNotFoundException, as
 * for a connection that does not exist): what the endpoint proxy answers an identity without a role on it.
 */
export function connectionNotVisible(where: Where = {}): FaultRule {
  return {
    service: 'devops',
    ...where,
    status: 404,
    body: devopsError(
      'Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi.ServiceEndpointNotFoundException, Microsoft.VisualStudio.Services.ServiceEndpoints.WebApi',
      'Service connection with id 00000000-0000-0000-0000-000000000000 not found.',
    ),
  };
}

function serverErrorBody(service: ServiceName, status: 500 | 503): unknown {
  switch (service) {
    case 'arm':
      return status === 500
        ? { error: { code: 'InternalServerError', message: 'Encountered internal server error. Diagnostic information: injected fault.' } }
        : { error: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request later.' } };
    case 'devops':
      return status === 500
        ? devopsError(
            'Microsoft.TeamFoundation.Framework.Server.UnexpectedHostException, Microsoft.TeamFoundation.Framework.Server',
            'TF400898: An Internal Error Occurred.',
          )
        : devopsError(
            'Microsoft.VisualStudio.Services.Common.VssServiceUnavailableException, Microsoft.VisualStudio.Services.Common',
            'The service is temporarily unavailable.',
          );
    case 'graph':
      return status === 500
        ? graphError('generalException', 'General exception while processing.')
        : graphError('serviceNotAvailable', 'The service is temporarily unavailable. Please retry the request later.');
    default:
      return entraError('temporarily_unavailable', 90033, 'A transient error has occurred. Please try again.');
  }
}

function devopsError(typeName: string, message: string): Record<string, unknown> {
  const typeKey = typeName.split(',')[0].split('.').pop();
  return { $id: '1', innerException: null, message, typeName, typeKey, errorCode: 0, eventId: 3000 };
}

function graphError(code: string, message: string, inner: Record<string, string> = {}): Record<string, unknown> {
  const requestId = randomUUID();
  return {
    error: {
      code,
      message,
      innerError: { ...inner, date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId },
    },
  };
}

function entraError(error: string, code: number, description: string): Record<string, unknown> {
  return { error, error_description: `AADSTS${code}: ${description}`, error_codes: [code] };
}
