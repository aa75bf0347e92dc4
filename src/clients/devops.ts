/**
 * Azure DevOps REST: one generic request and one list with paging, with the credential of devOpsAuth, and
 * `devops`, the wrapper of every call. A resource module owns its path (relative to the organization:
 * `_apis/…` or `{project}/_apis/…`), its api-version and its wire shapes; only this client knows the
 * organization's hosts.
 *
 * Plain REST rather than azure-devops-node-api's clients: those ask `OPTIONS {org}/_apis/{area}` before the
 * first call of each area to find routes this task knows already (docs/wire.md), read an answer that is not
 * JSON as "no result", and drop an error's message and headers when its JSON starts with a byte-order mark.
 * Its typed interfaces (azure-devops-node-api/interfaces) still describe the wire shapes.
 */
import { createHttpHeaders, createPipelineRequest, type HttpHeaders } from '@azure/core-rest-pipeline';
import { hostOf, withSlash } from '../cloud';
import type { Clock } from '../clock';
import { InputError, type TaskError } from '../errors';
import { TRANSIENT, waitFor } from '../retry';
import { assertReadable, retryDelay, toTaskError } from '../sdkErrors';
import { FED_AUTH_REDIRECT, parseJson, type Send } from './http';

export interface DevOpsRequest {
  method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Relative to the organization, or to the host of `area`: `_apis/…`, `{project}/_apis/…`; segments encoded by the caller. */
  path: string;
  apiVersion: string;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /**
   * The resource area whose host serves the path, when it is not the organization's own (identities live
   * on https://vssps.dev.azure.com/{org}/): found with Resource Areas - Get once per run.
   */
  area?: string;
  /**
   * A 404 answers null rather than failing, as azure-devops-node-api's clients read it: for reads whose
   * caller says what a missing thing means. An organization that does not exist still fails.
   */
  nullWhenNotFound?: boolean;
}

/**
 * Answers are parsed JSON, or null for an empty body (Azure DevOps answers 200 without a body for a
 * connection the caller may not see; a share answers 204). A failure throws a DevOpsHttpError; a success
 * whose body is not JSON (a proxy's or sign-in page) throws UnreadableAnswer: it is never "not found".
 */
export interface DevOpsRest {
  /** For messages only: the organizationUrl input, as the user wrote it. */
  organizationUrl: string;
  request<T>(request: DevOpsRequest): Promise<T | null>;
  /** Every page of a list (`{count, value}`), each next page asked for with the token the last one sent. */
  list<T>(request: Omit<DevOpsRequest, 'method' | 'body'>): Promise<{ count: number; value: T[] }>;
  /**
   * The same client with at most `limit` requests in flight, slowing down when Azure DevOps says it delayed
   * a request (X-RateLimit-Delay): for a run that reads a whole organization (src/inventory/).
   */
  paced(limit: number, clock: Clock): PacedDevOpsRest;
}

export interface PacedDevOpsRest extends Omit<DevOpsRest, 'paced'> {
  /** The most requests that were in flight at once, and how many were sent. */
  readonly stats: { peak: number; sent: number };
}

/** Resource Areas - Get (Location area, released at 7.1). */
const RESOURCE_AREAS_API = '7.1';

/** `authorization` is the Authorization header of devOpsAuth, asked for at each request (clients/credentials.ts). */
export function devopsRest(organizationUrl: string, authorization: () => Promise<string>, send: Send): DevOpsRest {
  const hosts = new Map<string, Promise<string>>();
  const sendPage = async (request: DevOpsRequest, gate?: Gate): Promise<{ body: unknown; continuationToken?: string }> => {
    const base = request.area ? await areaHost(request.area) : organizationUrl;
    const url = new URL(request.path, withSlash(base));
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined) url.searchParams.set(key, value);
    url.searchParams.set('api-version', request.apiVersion);
    const sent = async () =>
      send(
        createPipelineRequest({
          url: url.toString(),
          method: request.method ?? 'GET',
          body: request.body === undefined ? undefined : JSON.stringify(request.body),
          headers: createHttpHeaders({
            authorization: await authorization(),
            accept: 'application/json',
            ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
            ...FED_AUTH_REDIRECT,
          }),
        }),
      );
    const response = gate ? await gate.run(sent) : await sent();
    if (response.status < 300) assertReadable('devops', response.status, response.headers.get('content-type'), response.bodyAsText);
    const parsed = parseJson(response.bodyAsText);
    if (response.status >= 200 && response.status < 300) {
      return { body: parsed ?? null, continuationToken: response.headers.get('x-ms-continuationtoken') || undefined };
    }
    if (response.status === 404 && request.nullWhenNotFound && parsed?.typeKey !== 'OrganizationNotFoundException') return { body: null };
    throw new DevOpsHttpError(response.status, parsed ?? response.bodyAsText, response.headers);
  };
  // The host of an area, asked once; a failed lookup is asked again by the next request (its retry).
  const areaHost = (area: string): Promise<string> => {
    let host = hosts.get(area);
    if (!host) {
      host = sendPage({ path: `_apis/resourceAreas/${encodeURIComponent(area)}`, apiVersion: RESOURCE_AREAS_API }).then(({ body }) =>
        areaLocation(body, organizationUrl),
      );
      hosts.set(area, host);
      host.catch(() => hosts.delete(area));
    }
    return host;
  };
  const view = (gate?: Gate) => ({
    organizationUrl,
    request: async <T>(request: DevOpsRequest) => (await sendPage(request, gate)).body as T | null,
    list: <T>(request: Omit<DevOpsRequest, 'method' | 'body'>) =>
      allPages<T>((continuationToken) => sendPage({ ...request, query: { ...request.query, continuationToken } }, gate)),
  });
  return {
    ...view(),
    paced: (limit, clock) => {
      const gate = new Gate(limit, clock);
      return { ...view(gate), stats: gate.stats };
    },
  };
}

/**
 * At most `limit` requests in flight; a request that finds the run slowed down waits before it is sent.
 * Azure DevOps delays requests of a caller near its limit and says so in X-RateLimit-Delay (seconds, up to
 * three decimals), before it blocks with 429 and Retry-After ("Rate and usage limits",
 * learn.microsoft.com/azure/devops/integrate/concepts/rate-limits: "slow down … when X-RateLimit-Delay is
 * present"): no request starts until that much time has passed, and the 429's Retry-After is devops()'s wait.
 */
class Gate {
  readonly stats = { peak: 0, sent: 0 };
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];
  private resumeAt = 0;

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
  ) {}

  async run<T extends { headers: HttpHeaders }>(send: () => Promise<T>): Promise<T> {
    while (this.inFlight >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve));
    this.inFlight += 1;
    try {
      const wait = this.resumeAt - this.clock.now();
      if (wait > 0) await this.clock.sleep(wait);
      this.stats.peak = Math.max(this.stats.peak, this.inFlight);
      this.stats.sent += 1;
      const response = await send();
      const delay = Number(response.headers.get('x-ratelimit-delay'));
      if (Number.isFinite(delay) && delay > 0) this.resumeAt = Math.max(this.resumeAt, this.clock.now() + delay * 1000);
      return response;
    } finally {
      this.inFlight -= 1;
      this.queue.shift()?.();
    }
  }
}

/** The host of a resource area: its `locationUrl` (Resource Areas - Get), else the organization itself. */
export function areaLocation(wire: unknown, organizationUrl: string): string {
  const location = typeof wire === 'object' && wire !== null ? (wire as { locationUrl?: unknown }).locationUrl : undefined;
  return typeof location === 'string' && /^https:\/\//i.test(location) ? location : organizationUrl;
}

/**
 * Every page of an Azure DevOps list: the next page's token comes in x-ms-continuationtoken and is sent back
 * as continuationToken (Definitions - List, build 7.1). Answers `{count, value}` over all pages.
 */
export async function allPages<T>(
  page: (continuationToken: string | undefined) => Promise<{ body: unknown; continuationToken?: string }>,
): Promise<{ count: number; value: T[] }> {
  const value: T[] = [];
  for (let token: string | undefined = undefined, first = true; first || token; first = false) {
    const answer = await page(token);
    const items = (answer.body as { value?: unknown } | null)?.value;
    if (Array.isArray(items)) value.push(...(items as T[]));
    token = answer.continuationToken;
  }
  return { count: value.length, value };
}

/**
 * A failed Azure DevOps REST call, shaped like azure-devops-node-api's errors (statusCode, result) for
 * sdkErrors.ts. A body that is not JSON (a sign-in page with a 401) is the message as it came: sdkErrors.ts
 * keeps its first visible words.
 */
export class DevOpsHttpError extends Error {
  readonly result: { message?: string; typeKey?: string } | undefined;
  readonly response: { headers: HttpHeaders };

  constructor(
    readonly statusCode: number,
    body: Record<string, unknown> | string | null | undefined,
    headers: HttpHeaders,
  ) {
    const json = typeof body === 'object' ? body : undefined;
    const text = typeof body === 'string' && body.trim() !== '' ? body : undefined;
    const message = typeof json?.message === 'string' ? json.message : (text ?? `HTTP ${statusCode}`);
    super(message);
    this.name = 'DevOpsHttpError';
    this.result = { message, typeKey: typeof json?.typeKey === 'string' ? json.typeKey : undefined };
    this.response = { headers };
  }
}

/**
 * One Azure DevOps call: its failure becomes a TaskError naming `operation` (or organizationUrl, for an
 * organization that is not there), and a transient one is sent again, bounded, waiting as long as Retry-After asks. Retrying a write is safe for the calls this task makes:
 * an update is a full PUT, a create whose answer was lost comes back as DuplicateServiceConnectionException,
 * which the connection module resolves by reading the connection that now exists, and a check is looked for
 * before it is added again (resources/checks.ts).
 */
export function devops<T>(clients: { clock: Clock; devops: Pick<DevOpsRest, 'organizationUrl'> }, operation: string, call: () => Promise<T>): Promise<T> {
  return waitFor(
    clients.clock,
    'Azure DevOps',
    () => call().catch((error: unknown) => Promise.reject(toTaskError('devops', operation, error, clients.clock))),
    retryDelay,
    TRANSIENT,
  ).catch((error: unknown) => Promise.reject(unknownOrganization(error as TaskError, clients.devops.organizationUrl) ?? error));
}

/**
 * An organization URL where no organization answers (Azure DevOps' OrganizationNotFoundException), or whose
 * host is unknown. Every Azure DevOps call of the run meets it; each names the same input. (A 401 from an
 * organization that exists is left to the HTTP401 hint: with devOpsAuth other than the job's token it says
 * something else.)
 */
function unknownOrganization(failure: TaskError, organizationUrl: string): InputError | undefined {
  // A host no name server knows (getaddrinfo ENOTFOUND; EAI_AGAIN when the name server did not answer,
  // which devops() has waited out by now): a mistyped organization URL, or an agent without DNS.
  if (failure.code === 'ENOTFOUND' || failure.code === 'EAI_AGAIN') {
    const host = hostOf(organizationUrl) ?? organizationUrl;
    return new InputError(
      'organizationUrl',
      `'${organizationUrl}': the host '${host}' could not be found (getaddrinfo ${failure.code} ${host}); use this pipeline's organization, $(System.CollectionUri), e.g. https://dev.azure.com/<organization>/, and check the agent's DNS and proxy.`,
    );
  }
  if (failure.code !== 'OrganizationNotFoundException') return undefined;
  return new InputError(
    'organizationUrl',
    `'${organizationUrl}' is not an Azure DevOps organization this job can reach; use this pipeline's organization, $(System.CollectionUri).`,
  );
}
