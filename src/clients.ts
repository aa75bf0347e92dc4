/**
 * Every client the task uses is built here, from the cloud description of the bootstrap connection, the
 * organization URL and the agent's network (proxy, CAs). No other module knows a URL.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
  type HttpHeaders,
  type HttpMethods,
  type PipelinePolicy,
} from '@azure/core-rest-pipeline';
import type { ManagedIdentityCredential } from '@azure/identity';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { CoreApi } from 'azure-devops-node-api/CoreApi';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { PersonalAccessTokenCredentialHandler } from 'azure-devops-node-api/handlers/personalaccesstoken';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import { graphHost, graphScope, scopeFor } from './cloud';
import { VERSION } from './version';
import type { Clock } from './clock';
import { BootstrapSignInError, ServiceError, TaskError, hintFor } from './errors';
import { assertReadable, isTransient, stripByteOrderMark, toTaskError } from './sdkErrors';
import { TRANSIENT, waitFor } from './retry';
import { agentNetwork, type AgentNetwork, type AgentNetworkSettings } from './network';
import type { ProvisioningRequest } from './request';

export const PRODUCT = 'WorkloadIdentityConnection';
const USER_AGENT = `${PRODUCT}/${VERSION}`;
/** Sent on every Azure DevOps call: a refused credential then gets 401, not a sign-in page (ado-oidctoken-invalid-token). */
const FED_AUTH_REDIRECT = 'X-TFS-FedAuthRedirect';
/** Azure DevOps' resource (application) id in Microsoft Entra ID; the same in every cloud. */
export const AZURE_DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';

export interface ArmResponse {
  status: number;
  body: Record<string, unknown> | undefined;
  correlationId?: string;
}

export interface DevOpsClients {
  serviceEndpoints: ServiceEndpointApi;
  core: CoreApi;
}

/** The Azure Resource Manager clients, signed in as the bootstrap connection's identity. */
export interface AzureClients {
  msi: ManagedServiceIdentityClient;
  authorization: AuthorizationManagementClient;
  /** Plain ARM reads for which no SDK is worth its size (subscription, resource group); `path` may be a nextLink. */
  armGet(path: string, apiVersion: string): Promise<ArmResponse>;
}

export interface Clients {
  /**
   * The ARM clients, built on first use: @azure/identity (with MSAL) and the ARM SDKs are most of the
   * task's code, and loading them waits until the first requests are on their way.
   */
  azure(): Promise<AzureClients>;
  /** The azure-devops-node-api clients, built on first use (after the first request has left). */
  devopsApi(): Promise<DevOpsClients>;
  /**
   * Microsoft Graph v1.0 for the app-registration variant, built on first use: the managed-identity path
   * never loads the Graph client. Resolves once a Graph token is in hand, so a sign-in failure surfaces
   * here as an Entra error rather than inside the Graph client's wrapping.
   */
  graph(): Promise<GraphClient>;
  /** Azure DevOps REST resources azure-devops-node-api has no client for. */
  devopsRest: DevOpsRest;
  /** What every wait and bound of the run is measured with. */
  clock: Clock;
}

/**
 * Plain Azure DevOps REST calls with the job token. Answers are returned as parsed JSON (converters in
 * src/resources/ read them); a failure throws a DevOpsHttpError, which sdkErrors.ts reads like an
 * azure-devops-node-api error.
 */
export interface DevOpsRest {
  /** GET {org}/{project}/_apis/pipelines/pipelinePermissions/{type}/{id} (tests/fixtures/contracts/ado-pipelinepermissions-7.2). */
  getPipelinePermissions(project: string, resourceType: string, resourceId: string): Promise<unknown>;
  /** PATCH of the same resource with a ResourcePipelinePermissions body; answers the permissions as they now are. */
  updatePipelinePermissions(project: string, resourceType: string, resourceId: string, body: unknown): Promise<unknown>;
  /** GET {org}/{project}/_apis/build/definitions (Definitions - List, 7.1): by exact name and folder, or by ids. */
  listDefinitions(project: string, filter: { name?: string; path?: string; definitionIds?: number[] }): Promise<unknown>;
  /**
   * GET {org}/_apis/permissions/{namespace}/{bits}?tokens= (Permissions - Has Permissions, 7.1): whether the
   * caller holds the bits on each token, as `{value: boolean[]}`.
   */
  hasPermissions(namespaceId: string, bits: number, tokens: string[]): Promise<unknown>;
  /**
   * GET {org}/_apis/resourceAreas/{areaId} (Resource Areas - Get): `{id, name, locationUrl}`, the host that
   * serves an area, e.g. https://vssps.dev.azure.com/{org}/ for identities.
   */
  getResourceArea(areaId: string): Promise<unknown>;
  /**
   * GET {identitiesHost}/_apis/identities?searchFilter=General&filterValue= (Identities - Read Identities):
   * `{count, value: Identity[]}`. `host` is the identities area's locationUrl.
   */
  searchIdentities(host: string, filterValue: string): Promise<unknown>;
  /** GET {org}/{project}/_apis/pipelines/checks/configurations?resourceType&resourceId&$expand=settings (Check Configurations - List). */
  listCheckConfigurations(project: string, resourceType: string, resourceId: string): Promise<unknown>;
  /** POST of a CheckConfiguration to the same collection (Check Configurations - Add); answers the configuration with its id. */
  addCheckConfiguration(project: string, body: unknown): Promise<unknown>;
  /** PATCH {…}/configurations/{id} with the whole configuration (Check Configurations - Update). */
  updateCheckConfiguration(project: string, id: number, body: unknown): Promise<unknown>;
}

/**
 * `register` is called with every secret the clients obtain (OIDC tokens, access tokens). Asynchronous
 * only to sign in to Azure DevOps as the bootstrap identity: its client takes a token, not a credential.
 */
export function createClients(request: ProvisioningRequest, register: (secret: string) => void, clock: Clock): Clients {
  // Every client below goes through the agent's proxy and trusts its CAs. Microsoft Graph's client sends
  // with fetch, which ignores proxies: it is built over `network.send`.
  const network = agentNetwork(request.network);
  const { auth, endpointId } = request.bootstrap;
  // A federated sign-in starts with the pipeline's OIDC token: ask for it at once, so that its round trip
  // overlaps the loading of the Entra and ARM code that will exchange it.
  const assertion =
    auth.scheme === 'WorkloadIdentityFederation'
      ? pipelineOidcToken(auth.oidcRequestUri, endpointId, request.devops.accessToken, network, register, clock)
      : undefined;
  assertion?.get().catch(() => undefined);
  let azure: Promise<LoadedAzure> | undefined;
  const loadedAzure = () => (azure ??= loadAzure(request, network, register, assertion));
  let devopsToken: Promise<DevOpsToken> | undefined;
  const token = () => (devopsToken ??= devopsTokenFor(request, async () => (await loadedAzure()).credential));
  let devopsClients: Promise<DevOpsClients> | undefined;
  let graph: Promise<GraphClient> | undefined;
  return {
    azure: async () => (await loadedAzure()).clients,
    devopsApi: () => (devopsClients ??= devopsApiClients(request.devops.organizationUrl, token, network)),
    graph: () => (graph ??= loadedAzure().then(({ credential }) => graphClient(request, credential, network))),
    devopsRest: devopsRestClient(request.devops.organizationUrl, async () => authorizationHeader(await token()), network),
    clock,
  };
}

/**
 * azure-devops-node-api's clients for the two areas the task uses. Built directly rather than through
 * WebApi: WebApi loads every API module of the package and asks for ResourceAreas, which for these two
 * areas resolves to the organization URL anyway.
 */
async function devopsApiClients(organizationUrl: string, token: () => Promise<DevOpsToken>, network: AgentNetwork): Promise<DevOpsClients> {
  const credential = await token();
  // The handler is chosen from what the token is: WebApi would guess from its length (docs/wire.md).
  const handler =
    credential.kind === 'personalAccessToken' ? new PersonalAccessTokenCredentialHandler(credential.token) : new BearerCredentialHandler(credential.token);
  // typed-rest-client's own retries (GETs on 502-504 and dropped connections, 10-40 ms apart) ignore
  // Retry-After and would multiply ours; resources/devops.ts retries every call instead.
  // Without X-TFS-FedAuthRedirect: Suppress a rejected token gets a 203 or 302 sign-in page instead of 401
  // (tests/fixtures/recordings/ado-oidctoken-invalid-token.json); azure-devops-node-api does not send it.
  const options = { allowRetries: false, ...network.devopsOptions, headers: { [FED_AUTH_REDIRECT]: 'Suppress' } };
  return {
    // The mark is stripped before the body is judged (readsOnlyJson): a marked body is still JSON.
    serviceEndpoints: withoutByteOrderMark(readsOnlyJson(new ServiceEndpointApi(organizationUrl, [handler], options, USER_AGENT))),
    core: withoutByteOrderMark(readsOnlyJson(new CoreApi(organizationUrl, [handler], options, USER_AGENT))),
  };
}

let sdk: Promise<typeof import('./sdk/azure')> | undefined;

/**
 * The client libraries (src/sdk/azure.ts, a file of its own in the bundle), loaded once. Loading is
 * synchronous work of tens of milliseconds: it starts after one turn of the event loop, so that the
 * requests already under way (the pipeline's OIDC token, the first reads) are sent first and their round
 * trips overlap it.
 */
function loadSdk(): Promise<typeof import('./sdk/azure')> {
  return (sdk ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => import('./sdk/azure')));
}

/**
 * Azure DevOps' host-level errors start their JSON with a UTF-8 byte-order mark (sdkErrors.ts
 * stripByteOrderMark). typed-rest-client's JSON.parse fails on it and then drops the message, typeKey and the response headers (Retry-After) along with it
 * (RestClient.processResponse); the body is read without the mark instead.
 */
export function withoutByteOrderMark<T extends { rest: unknown }>(api: T): T {
  const rest = api.rest as { processResponse(response: { readBody(): Promise<string> }, options: unknown): Promise<unknown> };
  const processResponse = rest.processResponse.bind(rest);
  rest.processResponse = (response, options) => {
    const readBody = response.readBody.bind(response);
    response.readBody = async () => stripByteOrderMark(await readBody());
    return processResponse(response, options);
  };
  return api;
}

/** What readsOnlyJson needs of typed-rest-client's RestClient and its response. */
interface JsonRestClient {
  processResponse(response: JsonRestResponse, options?: unknown): Promise<unknown>;
}
interface JsonRestResponse {
  message: { statusCode?: number; headers: Record<string, string | string[] | undefined> };
  readBody(): Promise<string>;
}

/**
 * typed-rest-client reads a body that is not JSON as "no result" (RestClient.processResponse leaves
 * `result` null when JSON.parse fails), so a proxy's or sign-in page answered with 200 or 203 would read as
 * "not found". Such an answer raises UnreadableAnswer instead. 404 keeps the library's meaning (null), and
 * so does an empty body, which Azure DevOps sends for an id it does not show (serviceConnection.ts).
 */
function readsOnlyJson<T extends { rest: unknown }>(api: T): T {
  const rest = api.rest as JsonRestClient;
  const process = rest.processResponse.bind(rest);
  rest.processResponse = async (response, options) => {
    const status = response.message.statusCode ?? 0;
    // A 404 is handed over untouched: the library resolves it as null before it reads the body, and a body
    // read here already would let its late parse overwrite that null.
    // An error answer (4xx, 5xx) keeps its status for the retry rules and the hints; sdkErrors.ts turns its
    // page into words.
    if (status === 404 || status >= 300) return process(response, options);
    const text = await response.readBody();
    assertReadable('devops', status, [response.message.headers['content-type']].flat()[0], text);
    response.readBody = () => Promise.resolve(text);
    return process(response, options);
  };
  return api;
}

interface LoadedAzure {
  credential: TokenCredential;
  clients: AzureClients;
}

/** Builds the bootstrap credential and the ARM clients, once the client libraries are loaded. */
async function loadAzure(
  request: ProvisioningRequest,
  network: AgentNetwork,
  register: (secret: string) => void,
  assertion: OidcAssertion | undefined,
): Promise<LoadedAzure> {
  const sdk = await loadSdk();
  const { ManagedServiceIdentityClient, AuthorizationManagementClient, ServiceClient } = sdk;
  const { cloud } = request.bootstrap;
  const credential = new SharedCredential(bootstrapCredential(sdk, request, network, assertion), register);
  const arm = {
    endpoint: cloud.resourceManagerUrl,
    // The SDKs default to `<endpoint>/.default`, which is wrong for any host whose audience differs (docs/wire.md).
    credentialScopes: [scopeFor(cloud.resourceManagerAudience)],
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    // resources/arm.ts is the one layer that retries, so that its bound holds in wall time.
    retryOptions: { maxRetries: 0 },
    ...network.azureOptions,
  };
  const armClient = new ServiceClient({ ...arm, credential });
  return {
    credential,
    clients: {
      armGet: async (path, apiVersion) => {
        const url = new URL(path.replace(/^\//, ''), cloud.resourceManagerUrl);
        // A nextLink is absolute and carries its own api-version and skip token; it is followed on ARM's host only.
        if (url.origin !== new URL(cloud.resourceManagerUrl).origin) throw new ServiceError(`ARM answered a next page on another host (${url.origin})`);
        if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
        const response = await armClient.sendRequest(createPipelineRequest({ url: url.toString(), method: 'GET' }));
        // A page that is not JSON (a proxy's, a sign-in page) is no answer from ARM, whatever its status says.
        assertReadable('arm', response.status, response.headers.get('content-type'), response.bodyAsText);
        return {
          status: response.status,
          body: parseJson(response.bodyAsText),
          correlationId: response.headers.get('x-ms-correlation-request-id'),
        };
      },
      msi: withManagedIdentityApiVersionFallback(new ManagedServiceIdentityClient(credential, request.azure.subscriptionId, arm)),
      authorization: new AuthorizationManagementClient(credential, request.azure.subscriptionId, arm),
    },
  };
}

/**
 * @azure/arm-msi pins one api-version; a cloud that lacks it (the sovereign clouds lag: Azure/azure-cli#22661,
 * #22706) answers 400 NoRegisteredProviderFound and lists the versions it supports
 * (tests/fixtures/recordings/arm-msi-identity-put-sovereign-apiversion.json). The request is then sent once
 * more with the newest of those that has federated credentials, and every later call of the run uses it.
 * The public cloud's fast path is unchanged: no request is added where the pinned version is served.
 */
function withManagedIdentityApiVersionFallback<T extends { pipeline: { addPolicy(policy: PipelinePolicy): void } }>(client: T): T {
  let chosen: string | undefined;
  client.pipeline.addPolicy({
    name: 'managedIdentityApiVersionFallback',
    async sendRequest(request, next) {
      if (chosen) request.url = withApiVersion(request.url, chosen);
      // The SDK's deserialization policy, nearer the wire, has already turned the 400 into a RestError.
      const answer = await next(request).catch((error: unknown) => {
        const refused = (error as { statusCode?: number; response?: { bodyAsText?: string | null } }).response;
        const fallback = supportedManagedIdentityApiVersion(refused?.bodyAsText, new URL(request.url).searchParams.get('api-version') ?? '');
        if (!fallback) throw error;
        return fallback;
      });
      if (typeof answer !== 'string') return answer;
      chosen = answer;
      request.url = withApiVersion(request.url, answer);
      return next(request);
    },
  });
  return client;
}

function withApiVersion(url: string, apiVersion: string): string {
  const parsed = new URL(url);
  parsed.searchParams.set('api-version', apiVersion);
  return parsed.toString();
}

/** Federated identity credentials are generally available from this Microsoft.ManagedIdentity version on. */
const OLDEST_MANAGED_IDENTITY_API = '2023-01-31';

/**
 * From ARM's refusal of an api-version (NoRegisteredProviderFound: "The supported api-versions are '…'";
 * InvalidApiVersionParameter: "The supported versions are '…'"), the newest released version older than the
 * one asked for and not older than 2023-01-31; undefined when the answer is another error or lists none.
 */
export function supportedManagedIdentityApiVersion(body: string | undefined | null, asked: string): string | undefined {
  const error = parseJson(body)?.error as { code?: unknown; message?: unknown } | undefined;
  if (error?.code !== 'NoRegisteredProviderFound' && error?.code !== 'InvalidApiVersionParameter') return undefined;
  const listed = /supported (?:api-)?versions are '([^']*)'/i.exec(typeof error.message === 'string' ? error.message : '')?.[1] ?? '';
  const released = listed
    .split(/\s*,\s*/)
    .map((version) => version.trim().toLowerCase())
    .filter((version) => /^\d{4}-\d{2}-\d{2}$/.test(version) && version >= OLDEST_MANAGED_IDENTITY_API && version < asked.toLowerCase());
  return released.sort().pop();
}

async function graphClient(request: ProvisioningRequest, credential: TokenCredential, network: AgentNetwork): Promise<GraphClient> {
  const { cloud } = request.bootstrap;
  const scope = graphScope(cloud);
  const token = () =>
    credential
      .getToken(scope)
      .catch((error: unknown) => Promise.reject(toTaskError('entra', 'get a Microsoft Graph token for the bootstrap connection', error)));
  // Loaded here, not at the top: only the app-registration path pays for the Graph client's code.
  const [{ Client, MiddlewareFactory, RetryHandler }] = await Promise.all([import('./sdk/graph'), token()]);
  // The shared credential caches the token fetched above; every Graph call reuses it. The chain goes
  // without its RetryHandler: resources/graph.ts is the one layer that retries, so its bound holds.
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

/**
 * Pipeline permissions are preview-only (7.2-preview.1 in the published spec; 7.1-preview.1 is served
 * too and is what this task asks for); build definitions are released at 7.1.
 */
const PIPELINE_PERMISSIONS_API = '7.1-preview.1';
/** The metadata endpoint's api-version the Azure CLI asks for (one object, not 2019-05-01's list of clouds). */
const CLOUD_METADATA_API = '2022-09-01';
const BUILD_API = '7.1';
const SECURITY_API = '7.1';
/**
 * Check configurations are preview-only: 7.1-preview.1 is what terraform-provider-azuredevops'
 * pipelineschecksextras client sends (location 86c8381e-5aee-4cde-8ae4-25c0c7f5eaea) and the REST reference
 * publishes (7.2-preview.1 the newest).
 */
const CHECKS_API = '7.1-preview.1';
/** Resource Areas - Get (Location area, released at 7.1). */
const RESOURCE_AREAS_API = '7.1';
/** Identities - Read Identities: 7.1-preview.1 as azure-devops-go-api v7 identity/client.go sends it (location 28010c54-d0c0-4c89-a5b0-1c9e188b9fb7). */
const IDENTITIES_API = '7.1-preview.1';

function devopsRestClient(organizationUrl: string, authorization: () => Promise<string>, network: AgentNetwork): DevOpsRest {
  // Retries are left to src/resources/devops.ts, as for the SDK's calls, so a failure is retried once over.
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT }, retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(network.policy);
  const httpClient = createDefaultHttpClient();
  // `path` is relative to the organization URL, or absolute for another host of the organization (identities).
  const send = async (method: 'GET' | 'PATCH' | 'POST', path: string, query: Record<string, string>, body?: unknown): Promise<unknown> =>
    (await sendForPage(method, path, query, body)).body;
  const sendForPage = async (
    method: 'GET' | 'PATCH' | 'POST',
    path: string,
    query: Record<string, string>,
    body?: unknown,
  ): Promise<{ body: unknown; continuationToken?: string }> => {
    const url = new URL(path, organizationUrl);
    for (const [key, value] of Object.entries(query)) url.searchParams.set(key, value);
    const response = await pipeline.sendRequest(
      httpClient,
      createPipelineRequest({
        url: url.toString(),
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: createHttpHeaders({
          authorization: await authorization(),
          accept: 'application/json',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          // Without it Azure DevOps answers an unauthenticated call with a 302 to its sign-in page.
          [FED_AUTH_REDIRECT]: 'Suppress',
        }),
      }),
    );
    if (response.status < 300) assertReadable('devops', response.status, response.headers.get('content-type'), response.bodyAsText);
    const parsed = parseJson(response.bodyAsText);
    if (response.status >= 200 && response.status < 300)
      return { body: parsed, continuationToken: response.headers.get('x-ms-continuationtoken') || undefined };
    throw new DevOpsHttpError(response.status, parsed, response.headers);
  };
  const permissionsPath = (project: string, type: string, id: string): string =>
    `${encodeURIComponent(project)}/_apis/pipelines/pipelinePermissions/${encodeURIComponent(type)}/${encodeURIComponent(id)}`;
  return {
    getPipelinePermissions: (project, type, id) => send('GET', permissionsPath(project, type, id), { 'api-version': PIPELINE_PERMISSIONS_API }),
    updatePipelinePermissions: (project, type, id, body) =>
      send('PATCH', permissionsPath(project, type, id), { 'api-version': PIPELINE_PERMISSIONS_API }, body),
    listDefinitions: (project, filter) => {
      const query: Record<string, string> = { 'api-version': BUILD_API };
      if (filter.name) query.name = filter.name;
      if (filter.path) query.path = filter.path;
      if (filter.definitionIds?.length) query.definitionIds = filter.definitionIds.join(',');
      return allPages(query, (pageQuery) => sendForPage('GET', `${encodeURIComponent(project)}/_apis/build/definitions`, pageQuery));
    },
    hasPermissions: (namespaceId, bits, tokens) =>
      send('GET', `_apis/permissions/${encodeURIComponent(namespaceId)}/${bits}`, { tokens: tokens.join(','), 'api-version': SECURITY_API }),
    getResourceArea: (areaId) => send('GET', `_apis/resourceAreas/${encodeURIComponent(areaId)}`, { 'api-version': RESOURCE_AREAS_API }),
    searchIdentities: (host, filterValue) =>
      send('GET', new URL('_apis/identities', host.endsWith('/') ? host : `${host}/`).toString(), {
        searchFilter: 'General',
        filterValue,
        queryMembership: 'None',
        'api-version': IDENTITIES_API,
      }),
    listCheckConfigurations: (project, resourceType, resourceId) =>
      send('GET', `${encodeURIComponent(project)}/_apis/pipelines/checks/configurations`, {
        resourceType,
        resourceId,
        $expand: 'settings',
        'api-version': CHECKS_API,
      }),
    addCheckConfiguration: (project, body) =>
      send('POST', `${encodeURIComponent(project)}/_apis/pipelines/checks/configurations`, { 'api-version': CHECKS_API }, body),
    updateCheckConfiguration: (project, id, body) =>
      send('PATCH', `${encodeURIComponent(project)}/_apis/pipelines/checks/configurations/${id}`, { 'api-version': CHECKS_API }, body),
  };
}

/**
 * Every page of an Azure DevOps list: the next page's token comes in x-ms-continuationtoken and is sent back
 * as continuationToken (Definitions - List, build 7.1). Answers `{count, value}` over all pages.
 */
async function allPages(
  query: Record<string, string>,
  page: (query: Record<string, string>) => Promise<{ body: unknown; continuationToken?: string }>,
): Promise<{ count: number; value: unknown[] }> {
  const value: unknown[] = [];
  for (let token: string | undefined = undefined, first = true; first || token; first = false) {
    const answer = await page(token ? { ...query, continuationToken: token } : query);
    const items = (answer.body as { value?: unknown } | undefined)?.value;
    if (Array.isArray(items)) value.push(...(items as unknown[]));
    token = answer.continuationToken;
  }
  return { count: value.length, value };
}

/** A failed Azure DevOps REST call, shaped like azure-devops-node-api's errors (statusCode, result) for sdkErrors.ts. */
export class DevOpsHttpError extends Error {
  readonly result: { message?: string; typeKey?: string } | undefined;
  readonly response: { headers: HttpHeaders };

  constructor(
    readonly statusCode: number,
    body: Record<string, unknown> | undefined,
    headers: HttpHeaders,
  ) {
    const message = typeof body?.message === 'string' ? body.message : `HTTP ${statusCode}`;
    super(message);
    this.name = 'DevOpsHttpError';
    this.result = { message, typeKey: typeof body?.typeKey === 'string' ? body.typeKey : undefined };
    this.response = { headers };
  }
}

/** The credential the Azure DevOps calls carry: a bearer token (job or Entra), or a personal access token. */
interface DevOpsToken {
  kind: 'bearer' | 'personalAccessToken';
  token: string;
}

/**
 * How the Azure DevOps calls authenticate, chosen explicitly from devOpsAuth: azure-devops-node-api's WebApi
 * guesses from a token's length (52 characters, or the 84-character AZDO format, is taken for a PAT), which
 * would send a token of another shape the wrong way.
 */
async function devopsTokenFor(request: ProvisioningRequest, credential: () => Promise<TokenCredential>): Promise<DevOpsToken> {
  const auth = request.devopsAuth;
  switch (auth.kind) {
    case 'jobAccessToken':
      return { kind: 'bearer', token: request.devops.accessToken };
    case 'personalAccessToken':
      return { kind: 'personalAccessToken', token: auth.token };
    case 'bootstrapIdentity': {
      const operation = "get a token for Azure DevOps as the bootstrap connection's identity";
      const token = await (
        await credential()
      )
        .getToken(scopeFor(AZURE_DEVOPS_RESOURCE))
        .catch((error: unknown) => Promise.reject(toTaskError('entra', operation, error)));
      if (!token) throw new ServiceError('Entra ID issued no token', { operation });
      return { kind: 'bearer', token: token.token };
    }
  }
}

function authorizationHeader(credential: DevOpsToken): string {
  // Basic with an empty user name (https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/pats#use-a-pat-in-your-code).
  return credential.kind === 'personalAccessToken' ? `Basic ${Buffer.from(`:${credential.token}`).toString('base64')}` : `Bearer ${credential.token}`;
}

function bootstrapCredential(
  identity: typeof import('./sdk/azure'),
  request: ProvisioningRequest,
  network: AgentNetwork,
  assertion: OidcAssertion | undefined,
): TokenCredential {
  const { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } = identity;
  const { auth, cloud } = request.bootstrap;
  // The authority comes from the bootstrap connection the organization configured; instance discovery
  // would ask the public cloud's host about it, which sovereign and private clouds cannot answer.
  const options = { authorityHost: cloud.authorityHost, disableInstanceDiscovery: true, ...network.azureOptions };
  switch (auth.scheme) {
    case 'ServicePrincipal':
      return new ClientSecretCredential(auth.tenantId, auth.clientId, auth.clientSecret, options);
    case 'ServicePrincipalCertificate':
      return new ClientCertificateCredential(auth.tenantId, auth.clientId, { certificate: auth.certificate }, options);
    case 'ManagedServiceIdentity':
      // The instance metadata endpoint is link-local: no proxy, no CAs (it is plain HTTP).
      return new MachineIdentityCredential(new ManagedIdentityCredential(auth.clientId ? { clientId: auth.clientId } : {}), auth.clientId);
    case 'WorkloadIdentityFederation': {
      const oidc = assertion!;
      return new FederatedCredential(new ClientAssertionCredential(auth.tenantId, auth.clientId, oidc.get, options), oidc, {
        endpointId: request.bootstrap.endpointId,
        tenantId: auth.tenantId,
        clientId: auth.clientId,
      });
    }
    case 'DefaultAzureCredential':
      // The command line: whoever is signed in on this machine or CI job. The authority applies to the
      // credentials that talk to Entra themselves (environment, workload identity); the Azure CLI and the
      // other developer tools use the cloud they were signed in to.
      return new SignedInCredential(new identity.DefaultAzureCredential({ tenantId: auth.tenantId, ...options }), auth.tenantId);
  }
}

/**
 * The command line's credential. DefaultAzureCredential reports "nobody is signed in" as an
 * AggregateAuthenticationError listing every source it tried, over many lines; this says how to sign in.
 * A source that was found but refused (an AADSTS error) is raised as it is, with its own hint.
 */
class SignedInCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly tenantId: string,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      const name = (error as Error)?.name;
      if (name !== 'AggregateAuthenticationError' && name !== 'CredentialUnavailableError') throw error;
      throw new ServiceError(
        'no signed-in credential was found (environment variables, workload identity, managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell)',
        {
          operation: `sign in to Microsoft Entra ID for ${[scopes].flat().join(' ')}`,
          hint: `Sign in with 'az login --tenant ${this.tenantId}', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) for a CI identity`,
        },
      );
    }
  }
}

/**
 * ARM's description of its cloud (`{arm}/metadata/endpoints?api-version=2022-09-01`), which the Azure CLI
 * reads for `az cloud register --endpoint-resource-manager`: the command line's --resource-manager-url.
 * Anonymous, like the Azure CLI's request. Transient failures are retried like every other call.
 */
export async function readCloudMetadata(resourceManagerUrl: string, settings: AgentNetworkSettings, clock: Clock): Promise<unknown> {
  const network = agentNetwork(settings);
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT }, retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(network.policy);
  const httpClient = createDefaultHttpClient();
  const url = new URL('metadata/endpoints', resourceManagerUrl);
  url.searchParams.set('api-version', CLOUD_METADATA_API);
  const operation = `read the cloud's endpoints from ${url.origin}${url.pathname}`;
  const fetchOnce = async (): Promise<unknown> => {
    const response = await pipeline
      .sendRequest(httpClient, createPipelineRequest({ url: url.toString(), method: 'GET' }))
      .catch((error: unknown) => Promise.reject(toTaskError('arm', operation, error)));
    const body = parseJson(response.bodyAsText);
    if (response.status !== 200 || !body) {
      throw new ServiceError(`Azure Resource Manager answered HTTP ${response.status} without endpoint metadata`, {
        operation,
        status: response.status,
        hint: 'Check --resource-manager-url: it must be the Azure Resource Manager URL of an Azure cloud, e.g. https://management.azure.com/',
      });
    }
    return body;
  };
  return waitFor(
    clock,
    'Azure Resource Manager',
    fetchOnce,
    (error) => (isTransient(error as TaskError) ? ((error as TaskError).retryAfterMs ?? 'policy') : undefined),
    TRANSIENT,
  );
}

/**
 * The agent machine's managed identity. @azure/identity reports every failure as CredentialUnavailableError
 * with the endpoint's answer inside; this says what the agent's owner can do about it.
 */
class MachineIdentityCredential implements TokenCredential {
  constructor(
    private readonly inner: ManagedIdentityCredential,
    private readonly clientId: string | undefined,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      if (error instanceof TaskError) throw error;
      const which = this.clientId ? `the user-assigned identity with client id ${this.clientId} (endpoint data msiclientId)` : 'a system-assigned identity';
      // MSAL folds the endpoint's answer into "… Description: Identity not found - Correlation ID: …".
      const text = String((error as Error)?.message ?? error).split(/\r?\n/)[0];
      const described = /Description: (.*?)(?: - Correlation ID|$)/.exec(text)?.[1];
      throw new ServiceError(described ? `the instance metadata endpoint answered '${described}'` : text, {
        operation: "get a token from the agent machine's managed identity",
        hint: `Run the job on an agent whose machine has ${which}, and check that its instance metadata endpoint is reachable`,
      });
    }
  }
}

/**
 * The pipeline's OIDC token for the bootstrap connection, fetched once and reused while valid.
 * AzurePipelinesCredential would ask Azure DevOps again on every getToken (docs/wire.md), which costs a round
 * trip per scope and leaves the assertion unmasked; this fetches it once and masks it at once.
 */
/** The pipeline's OIDC token, fetched once and reused while valid, and the error of its last fetch. */
interface OidcAssertion {
  get: () => Promise<string>;
  failure: () => TaskError | undefined;
  /** The issuer and subject of the last token fetched (public claims): what Entra ID matched against. */
  claims: () => { issuer?: string; subject?: string };
}

function pipelineOidcToken(
  oidcRequestUri: string,
  connectionId: string,
  accessToken: string,
  network: AgentNetwork,
  register: (secret: string) => void,
  clock: Clock,
): OidcAssertion {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  let failure: TaskError | undefined;
  // Retried here, on the run's clock, like every other call (src/retry.ts): the pipeline's own retries are off.
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT }, retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(network.policy);
  const httpClient = createDefaultHttpClient();
  const fetchToken = (): Promise<string> =>
    waitFor(
      clock,
      'Azure DevOps',
      fetchOnce,
      (error) => (isTransient(error as TaskError) ? ((error as TaskError).retryAfterMs ?? 'policy') : undefined),
      TRANSIENT,
    );
  const fetchOnce = async (): Promise<string> => {
    const url = new URL(oidcRequestUri);
    url.searchParams.set('api-version', '7.1');
    url.searchParams.set('serviceConnectionId', connectionId);
    const operation = 'get the pipeline OIDC token for the bootstrap connection';
    const response = await pipeline
      .sendRequest(
        httpClient,
        createPipelineRequest({
          url: url.toString(),
          method: 'POST',
          body: '{}',
          // Without the header a rejected job token is answered 203 (or 302) with an HTML sign-in page, not 401
          // (tests/fixtures/recordings/ado-oidctoken-invalid-token.json); every Azure SDK sends it since 2024.
          headers: createHttpHeaders({ authorization: `Bearer ${accessToken}`, 'content-type': 'application/json', [FED_AUTH_REDIRECT]: 'Suppress' }),
        }),
      )
      .catch((error: unknown) => Promise.reject(toTaskError('devops', operation, error)));
    const body = parseJson(response.bodyAsText);
    if (jobTokenRejected(response.status, response.headers.get('content-type'))) {
      // The sign-in page's HTML is never shown; a 401's JSON message is.
      const said = typeof body?.message === 'string' ? `: ${body.message}` : '';
      throw new ServiceError(`Azure DevOps rejected the job's access token (System.AccessToken)${said}`, {
        operation,
        status: response.status,
        code: typeof body?.typeKey === 'string' ? body.typeKey : undefined,
        hint: "The job token is expired or not valid for this organization: re-run the job (a token lives as long as its job), and check that the bootstrap connection's pipeline runs in this organization with its job token, not a token copied from elsewhere",
      });
    }
    const token = typeof body?.oidcToken === 'string' ? body.oidcToken : '';
    if (response.status !== 200 || !token) {
      const refusedByProxy = response.status === 407 ? "the agent's proxy refused the request" : undefined;
      throw new ServiceError(typeof body?.message === 'string' ? body.message : (refusedByProxy ?? 'Azure DevOps issued no token'), {
        operation,
        status: response.status,
        code: typeof body?.typeKey === 'string' ? body.typeKey : undefined,
        hint: refusedByProxy
          ? hintFor(undefined, 407, 'devops')
          : 'Check that the bootstrap connection uses workload identity federation and that this pipeline may use it',
      });
    }
    register(token);
    cached = { token, expiresAt: jwtExpiry(token) };
    return token;
  };
  const get = (): Promise<string> => {
    if (cached && cached.expiresAt - Date.now() > 60_000) return Promise.resolve(cached.token);
    failure = undefined;
    pending ??= fetchToken()
      .catch((error: unknown) => {
        failure = toTaskError('devops', 'get the pipeline OIDC token for the bootstrap connection', error);
        throw failure;
      })
      .finally(() => (pending = undefined));
    return pending;
  };
  const claims = (): { issuer?: string; subject?: string } => {
    const payload = parseJson(Buffer.from(cached?.token.split('.')[1] ?? '', 'base64url').toString('utf8'));
    return { issuer: typeof payload?.iss === 'string' ? payload.iss : undefined, subject: typeof payload?.sub === 'string' ? payload.sub : undefined };
  };
  return { get, failure: () => failure, claims };
}

/**
 * A federated credential whose assertion comes from Azure DevOps. MSAL reports a failing assertion
 * callback as a bare AuthenticationRequiredError message; the callback's own error (status, hint) is
 * what the user needs, so it is raised instead.
 */
class FederatedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly assertion: OidcAssertion,
    private readonly bootstrap: { endpointId: string; tenantId: string; clientId: string },
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      throw this.assertion.failure() ?? this.unmatched(error) ?? error;
    }
  }

  /**
   * Entra ID refused the pipeline's token for the bootstrap connection: no federated credential on its
   * identity matches the token's issuer and subject (AADSTS70021, 700211 issuer, 700212 audience, 700213
   * subject; AADSTS70025: none at all; https://learn.microsoft.com/entra/identity-platform/reference-error-codes).
   * That is the bootstrap connection's set-up in Entra ID, which this task does not manage: the line names
   * the connection and what to register where, with the issuer and subject of the token Entra ID saw.
   */
  private unmatched(error: unknown): TaskError | undefined {
    const text = String((error as Error)?.message ?? error);
    const code = /AADSTS(70021|700211|700212|700213|70025)\b/.exec(text)?.[1];
    if (!code) return undefined;
    const words = /(AADSTS\d+:[^.]*)/.exec(text)?.[1] ?? `AADSTS${code}`;
    const { issuer, subject } = this.assertion.claims();
    const { endpointId, tenantId, clientId } = this.bootstrap;
    const wanted = `issuer '${issuer ?? 'as the bootstrap connection shows it'}' and subject '${subject ?? 'as the bootstrap connection shows it'}'`;
    return new BootstrapSignInError(endpointId, words, {
      code: `AADSTS${code}`,
      correlationId: /Correlation ID: ([0-9a-f-]{36})/i.exec(text)?.[1],
      hint:
        `In Microsoft Entra ID, the app registration or managed identity with client id ${clientId} in tenant ${tenantId} needs a federated credential with ${wanted} and audience api://AzureADTokenExchange ` +
        `(app registration: Certificates & secrets, Federated credentials; managed identity: Settings, Federated credentials; the bootstrap connection's page in Project settings, Service connections shows both values). ` +
        'This task does not manage the bootstrap connection: fix its credential there',
    });
  }
}

/**
 * Deduplicates token requests: the ARM clients, created side by side, each ask for the same scope at the
 * same moment; one request to Entra serves them all. Every token is masked as it arrives.
 */
class SharedCredential implements TokenCredential {
  private readonly tokens = new Map<string, Promise<AccessToken>>();

  constructor(
    private readonly inner: TokenCredential,
    private readonly register: (secret: string) => void,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const key = [scopes].flat().join(' ');
    const cached = this.tokens.get(key);
    if (cached) {
      const token = await cached.catch(() => undefined);
      if (token && token.expiresOnTimestamp - Date.now() > 5 * 60_000) return token;
    }
    const request = this.inner.getToken(scopes, options).then((token) => {
      if (!token) throw new ServiceError('Entra ID issued no token', { operation: `get a token for ${key}` });
      this.register(token.token);
      return token;
    });
    this.tokens.set(key, request);
    request.catch(() => this.tokens.delete(key));
    return request;
  }
}

/**
 * How Azure DevOps refuses a job token: 401 with X-TFS-FedAuthRedirect: Suppress, else 203 or 302 with an
 * HTML sign-in page (tests/fixtures/recordings/ado-oidctoken-invalid-token.json); a 203 is a success code.
 */
export function jobTokenRejected(status: number, contentType: string | undefined): boolean {
  if (status === 401 || status === 302) return true;
  return status === 203 && !/json/i.test(contentType ?? '');
}

function parseJson(text: string | undefined | null): Record<string, unknown> | undefined {
  try {
    return text ? (JSON.parse(stripByteOrderMark(text)) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Expiry of a JWT in ms since the epoch; a token without a readable `exp` is treated as short-lived. */
function jwtExpiry(jwt: string): number {
  const payload = parseJson(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return typeof payload?.exp === 'number' ? payload.exp * 1000 : Date.now() + 5 * 60_000;
}
