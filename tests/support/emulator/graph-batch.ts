/**
 * Microsoft Graph's JSON batching: POST /v1.0/$batch `{requests: [{id, method, url, headers?, body?}]}`, at most
 * 20 requests ("Combine multiple requests in one HTTP call using JSON batching", learn.microsoft.com/graph/json-batching),
 * each `url` relative to the version (`/servicePrincipals(appId='…')`). The batch answers 200 with
 * `{responses: [{id, status, headers, body}]}`; each request is answered as it would be alone, with the
 * batch's own credentials, its refusals (403) and throttling (429 with Retry-After) included. More than 20
 * requests, or duplicate ids, answer 400 for the whole batch.
 */
import type { GraphAnswers } from './graph-answers';
import { jsonResponse, type EmulatorRequest, type EmulatorResponse } from './http';

export const BATCH_LIMIT = 20;

interface BatchRequest {
  id?: unknown;
  method?: unknown;
  url?: unknown;
  headers?: unknown;
  body?: unknown;
}

export function batch(request: EmulatorRequest, answers: GraphAnswers, answer: (inner: EmulatorRequest) => EmulatorResponse): EmulatorResponse {
  const body = answers.objectBody(request);
  const requests = Array.isArray(body.requests) ? (body.requests as BatchRequest[]) : undefined;
  if (!requests || requests.length === 0) return answers.error(request, 400, 'BadRequest', 'Invalid batch payload format.');
  if (requests.length > BATCH_LIMIT) {
    return answers.error(request, 400, 'BadRequest', `The number of batch requests in a single batch is limited to ${BATCH_LIMIT}.`);
  }
  const ids = requests.map((r) => String(r.id));
  if (new Set(ids).size !== ids.length) return answers.error(request, 400, 'BadRequest', 'Batch request ids must be unique.');
  const responses = requests.map((inner) => {
    const url = typeof inner.url === 'string' ? inner.url : '';
    const queryAt = url.indexOf('?');
    const pathname = `/v1.0${(queryAt < 0 ? url : url.slice(0, queryAt)).replace(/^\/?/, '/')}`;
    const one: EmulatorRequest = {
      batched: true,
      method: typeof inner.method === 'string' ? inner.method.toUpperCase() : 'GET',
      pathname,
      rawPath: `${pathname}${queryAt < 0 ? '' : url.slice(queryAt)}`,
      query: new URLSearchParams(queryAt < 0 ? '' : url.slice(queryAt + 1)),
      headers: { ...request.headers, ...(typeof inner.headers === 'object' && inner.headers !== null ? (inner.headers as Record<string, string>) : {}) },
      body: inner.body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(inner.body)),
    };
    answers.begin(one);
    const result = answer(one);
    const headers = Object.fromEntries(Object.entries(result.headers ?? {}).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
    return {
      id: String(inner.id),
      status: result.status,
      headers,
      body: typeof result.body === 'object' && !Buffer.isBuffer(result.body) ? result.body : undefined,
    };
  });
  return jsonResponse(200, { responses });
}
