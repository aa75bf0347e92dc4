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
} from '@azure/core-rest-pipeline';
import type { ManagedIdentityCredential } from '@azure/identity';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import type { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import type { CoreApi } from 'azure-devops-node-api/CoreApi';
import { graphHost, graphScope, scopeFor } from './cloud';
import { VERSION } from './version';
import type { Clock } from './clock';
import { ServiceError, TaskError, hintFor } from './errors';
import { isTransient, toTaskError } from './failures';
import { TRANSIENT, waitFor } from './retry';
import { agentNetwork, type AgentNetwork, type AgentNetworkSettings } from './network';
import type { ProvisioningRequest } from './request';

export const PRODUCT = 'WorkloadIdentityConnection';
const USER_AGENT = `${PRODUCT}/${VERSION}`;
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
  /** Plain ARM reads for which no SDK is worth its size (subscription, resource group). */
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
 * src/resources/ read them); a failure throws a DevOpsHttpError, which failures.ts reads like an
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
 * areas resolves to the organization URL anyway. Loaded with import() so that the first request (the
 * pipeline's OIDC token) does not wait for this package either.
 */
async function devopsApiClients(organizationUrl: string, token: () => Promise<DevOpsToken>, network: AgentNetwork): Promise<DevOpsClients> {
  const [{ ServiceEndpointApi }, { CoreApi }, { BearerCredentialHandler }, { PersonalAccessTokenCredentialHandler }, credential] = await Promise.all([
    import('azure-devops-node-api/ServiceEndpointApi'),
    import('azure-devops-node-api/CoreApi'),
    import('azure-devops-node-api/handlers/bearertoken'),
    import('azure-devops-node-api/handlers/personalaccesstoken'),
    token(),
  ]);
  // The handler is chosen from what the token is: WebApi would guess from its length (docs/wire.md).
  const handler =
    credential.kind === 'personalAccessToken' ? new PersonalAccessTokenCredentialHandler(credential.token) : new BearerCredentialHandler(credential.token);
  // typed-rest-client's own retries (GETs on 502-504 and dropped connections, 10-40 ms apart) ignore
  // Retry-After and would multiply ours; resources/devops.ts retries every call instead.
  const options = { allowRetries: false, ...network.devopsOptions };
  return {
    serviceEndpoints: new ServiceEndpointApi(organizationUrl, [handler], options, USER_AGENT),
    core: new CoreApi(organizationUrl, [handler], options, USER_AGENT),
  };
}

interface LoadedAzure {
  credential: TokenCredential;
  clients: AzureClients;
}

/**
 * Loads @azure/identity and the ARM SDKs and builds the bootstrap credential and the ARM clients. It first
 * lets the requests already started leave (a macrotask turn): the synchronous loading would otherwise hold
 * them back, while after it their round trips overlap it.
 */
async function loadAzure(
  request: ProvisioningRequest,
  network: AgentNetwork,
  register: (secret: string) => void,
  assertion: OidcAssertion | undefined,
): Promise<LoadedAzure> {
  const [identity, { ManagedServiceIdentityClient }, { AuthorizationManagementClient }, { ServiceClient }] = await Promise.all([
    import('@azure/identity'),
    import('@azure/arm-msi'),
    import('@azure/arm-authorization'),
    import('@azure/core-client'),
  ]);
  const { cloud } = request.bootstrap;
  const credential = new SharedCredential(bootstrapCredential(identity, request, network, assertion), register);
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
        url.searchParams.set('api-version', apiVersion);
        const response = await armClient.sendRequest(createPipelineRequest({ url: url.toString(), method: 'GET' }));
        return {
          status: response.status,
          body: parseJson(response.bodyAsText),
          correlationId: response.headers.get('x-ms-correlation-request-id'),
        };
      },
      msi: new ManagedServiceIdentityClient(credential, request.azure.subscriptionId, arm),
      authorization: new AuthorizationManagementClient(credential, request.azure.subscriptionId, arm),
    },
  };
}

async function graphClient(request: ProvisioningRequest, credential: TokenCredential, network: AgentNetwork): Promise<GraphClient> {
  const { cloud } = request.bootstrap;
  const scope = graphScope(cloud);
  const token = () =>
    credential
      .getToken(scope)
      .catch((error: unknown) => Promise.reject(toTaskError('entra', 'get a Microsoft Graph token for the bootstrap connection', error)));
  // Loaded here, not at the top: only the app-registration path pays for the Graph client's code.
  const [{ Client, MiddlewareFactory, RetryHandler }] = await Promise.all([import('@microsoft/microsoft-graph-client'), token()]);
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

function devopsRestClient(organizationUrl: string, authorization: () => Promise<string>, network: AgentNetwork): DevOpsRest {
  // Retries are left to src/resources/devops.ts, as for the SDK's calls, so a failure is retried once over.
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT }, retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(network.policy);
  const httpClient = createDefaultHttpClient();
  const send = async (method: 'GET' | 'PATCH', path: string, query: Record<string, string>, body?: unknown): Promise<unknown> => {
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
          'x-tfs-fedauthredirect': 'Suppress',
        }),
      }),
    );
    const parsed = parseJson(response.bodyAsText);
    if (response.status >= 200 && response.status < 300) return parsed;
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
      return send('GET', `${encodeURIComponent(project)}/_apis/build/definitions`, query);
    },
    hasPermissions: (namespaceId, bits, tokens) =>
      send('GET', `_apis/permissions/${encodeURIComponent(namespaceId)}/${bits}`, { tokens: tokens.join(','), 'api-version': SECURITY_API }),
  };
}

/** A failed Azure DevOps REST call, shaped like azure-devops-node-api's errors (statusCode, result) for failures.ts. */
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
  identity: typeof import('@azure/identity'),
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
      return new FederatedCredential(new ClientAssertionCredential(auth.tenantId, auth.clientId, oidc.get, options), oidc.failure);
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
          headers: createHttpHeaders({ authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' }),
        }),
      )
      .catch((error: unknown) => Promise.reject(toTaskError('devops', operation, error)));
    const body = parseJson(response.bodyAsText);
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
  return { get, failure: () => failure };
}

/**
 * A federated credential whose assertion comes from Azure DevOps. MSAL reports a failing assertion
 * callback as a bare AuthenticationRequiredError message; the callback's own error (status, hint) is
 * what the user needs, so it is raised instead.
 */
class FederatedCredential implements TokenCredential {
  constructor(
    private readonly inner: TokenCredential,
    private readonly assertionFailure: () => TaskError | undefined,
  ) {}

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken | null> {
    try {
      return await this.inner.getToken(scopes, options);
    } catch (error) {
      throw this.assertionFailure() ?? error;
    }
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

function parseJson(text: string | undefined | null): Record<string, unknown> | undefined {
  try {
    return text ? (JSON.parse(text) as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Expiry of a JWT in ms since the epoch; a token without a readable `exp` is treated as short-lived. */
function jwtExpiry(jwt: string): number {
  const payload = parseJson(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8'));
  return typeof payload?.exp === 'number' ? payload.exp * 1000 : Date.now() + 5 * 60_000;
}
