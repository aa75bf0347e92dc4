/**
 * Microsoft Graph v1.0, for the app-registration variant: the Graph client over the bootstrap credential,
 * sending through the agent's network; `graphCall`, the wrapper of every call, and what the Graph resource
 * modules share: alternate-key syntax and the answers that mean "not replicated yet". Microsoft Graph is
 * eventually consistent and publishes no replication bound: an object created a moment ago can be missing
 * from the replica that serves the next request (docs/wire.md, "Microsoft Graph v1.0").
 */
import type { TokenCredential } from '@azure/core-auth';
import { createHttpHeaders, createPipelineRequest, type HttpMethods } from '@azure/core-rest-pipeline';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { graphHost, graphScope } from '../cloud';
import type { Clock } from '../clock';
import type { TaskError } from '../errors';
import type { AgentNetwork } from '../network';
import type { AccessRequest } from '../requestAccess';
import { TRANSIENT, waitFor } from '../retry';
import { assertReadable, retryDelay, statusOf, toTaskError } from '../sdkErrors';

export async function graphClient(request: AccessRequest, credential: TokenCredential, network: AgentNetwork): Promise<GraphClient> {
  const { cloud } = request.bootstrap;
  const scope = graphScope(cloud);
  const token = () =>
    credential
      .getToken(scope)
      .catch((error: unknown) => Promise.reject(toTaskError('entra', 'get a Microsoft Graph token for the bootstrap connection', error)));
  // Loaded here, not at the top: only the app-registration path pays for the Graph client's code.
  const [{ Client, MiddlewareFactory, RetryHandler }] = await Promise.all([import('../sdk/graph'), token()]);
  // The shared credential caches the token fetched above; every Graph call reuses it. The chain goes
  // without its RetryHandler: clients/graphCalls.ts is the one layer that retries, so its bound holds.
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken: async () => (await token())?.token ?? '' }).filter(
    (handler) => !(handler instanceof RetryHandler),
  );
  // The default chain ends in a bare fetch, which ignores the agent's proxy and CAs (docs/wire.md): send
  // through the agent's network instead, as the @azure clients do.
  middleware[middleware.length - 1] = {
    execute: async (context) => {
      context.response = await fetchThrough(network, context.request as string, context.options);
    },
  };
  return Client.initWithMiddleware({ middleware, baseUrl: cloud.graphUrl, defaultVersion: 'v1.0', customHosts: new Set([graphHost(cloud)]) });
}

/** fetch's contract over the agent's network: the Graph client reads status, headers and body of a Response. */
async function fetchThrough(network: AgentNetwork, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = createHttpHeaders();
  new Headers(init.headers).forEach((value, name) => headers.set(name, value));
  const response = await network.send(
    createPipelineRequest({
      url,
      method: (init.method ?? 'GET').toUpperCase() as HttpMethods,
      headers,
      body: typeof init.body === 'string' ? init.body : undefined,
    }),
  );
  const body = response.status === 204 || response.status === 304 ? null : (response.bodyAsText ?? '');
  // The Graph client hands a text/html body over as a string, which would read as an object without fields.
  if (response.status < 300) assertReadable('graph', response.status, response.headers.get('content-type'), body);
  return new Response(body, { status: response.status, headers: response.headers.toJSON() });
}

/** The `roles` claim of an access token (its app permissions); undefined when the token is not a readable JWT. */
export function rolesOf(token: string | undefined): string[] | undefined {
  try {
    const payload = JSON.parse(Buffer.from(token?.split('.')[1] ?? '', 'base64url').toString('utf8')) as { roles?: unknown };
    return Array.isArray(payload.roles) ? payload.roles.map(String) : [];
  } catch {
    return undefined;
  }
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
 * at all (a dropped connection), or a transient failure (429, 408, 5xx), is sent again, bounded, waiting
 * as long as Retry-After asks. The Graph client is built without its own RetryHandler (graphClient above), so
 * this is the only layer that waits. Safe because every Graph write this task sends is idempotent: reads,
 * and PATCHes by key.
 */
export function graphCall<T>(clients: { clock: Clock }, operation: string, call: () => Promise<T>): Promise<T> {
  const unanswered = new WeakSet<TaskError>();
  return waitFor(
    clients.clock,
    'an answer from Microsoft Graph',
    () =>
      call().catch((error: unknown) => {
        const failure = toTaskError('graph', operation, error, clients.clock);
        // The Graph client marks a request that got no response with statusCode -1.
        if (statusOf(error) === -1 && failure.code === undefined) unanswered.add(failure);
        return Promise.reject(failure);
      }),
    (error) => (unanswered.has(error as TaskError) ? 'policy' : retryDelay(error)),
    TRANSIENT,
  );
}
