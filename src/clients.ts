/**
 * Every client the task uses is built here, from the cloud description of the bootstrap connection and
 * the organization URL. No other module knows a URL.
 */
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { ServiceClient } from '@azure/core-client';
import {
  createDefaultHttpClient,
  createHttpHeaders,
  createPipelineFromOptions,
  createPipelineRequest,
} from '@azure/core-rest-pipeline';
import { ClientAssertionCredential, ClientSecretCredential } from '@azure/identity';
import { ManagedServiceIdentityClient } from '@azure/arm-msi';
import { AuthorizationManagementClient } from '@azure/arm-authorization';
import type { Client as GraphClient } from '@microsoft/microsoft-graph-client';
import { ServiceEndpointApi } from 'azure-devops-node-api/ServiceEndpointApi';
import { CoreApi } from 'azure-devops-node-api/CoreApi';
import { BearerCredentialHandler } from 'azure-devops-node-api/handlers/bearertoken';
import { graphHost, graphScope, scopeFor } from './cloud';
import { ServiceError } from './errors';
import { toTaskError } from './failures';
import type { ProvisioningRequest } from './request';

export const PRODUCT = 'WorkloadIdentityConnection';
export const VERSION = '1.0.0';
const USER_AGENT = `${PRODUCT}/${VERSION}`;

export interface ArmResponse {
  status: number;
  body: Record<string, unknown> | undefined;
  correlationId?: string;
}

export interface Clients {
  msi: ManagedServiceIdentityClient;
  authorization: AuthorizationManagementClient;
  /** Plain ARM reads for which no SDK is worth its size (subscription, resource group). */
  armGet(path: string, apiVersion: string): Promise<ArmResponse>;
  serviceEndpoints: ServiceEndpointApi;
  core: CoreApi;
  /**
   * Microsoft Graph v1.0 for the app-registration variant, built on first use: the managed-identity path
   * never loads the Graph client. Resolves once a Graph token is in hand, so a sign-in failure surfaces
   * here as an Entra error rather than inside the Graph client's wrapping.
   */
  graph(): Promise<GraphClient>;
}

/** `register` is called with every secret the clients obtain (OIDC tokens, access tokens). */
export function createClients(request: ProvisioningRequest, register: (secret: string) => void): Clients {
  const { cloud } = request.bootstrap;
  const credential = new SharedCredential(bootstrapCredential(request, register), register);
  const arm = {
    endpoint: cloud.resourceManagerUrl,
    // The SDKs default to `<endpoint>/.default`, which is wrong for any host whose audience differs (WIRE.md).
    credentialScopes: [scopeFor(cloud.resourceManagerAudience)],
    userAgentOptions: { userAgentPrefix: USER_AGENT },
  };
  const devopsHandlers = [new BearerCredentialHandler(request.devops.accessToken)];
  const devopsOptions = { allowRetries: true, maxRetries: 3 };
  const armClient = new ServiceClient({ ...arm, credential });
  let graph: Promise<GraphClient> | undefined;
  return {
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
    // Built directly rather than through WebApi: WebApi loads every API module of the package and asks
    // for ResourceAreas, which for these two areas resolves to the organization URL anyway.
    serviceEndpoints: new ServiceEndpointApi(request.devops.organizationUrl, devopsHandlers, devopsOptions, USER_AGENT),
    core: new CoreApi(request.devops.organizationUrl, devopsHandlers, devopsOptions, USER_AGENT),
    graph: () => (graph ??= graphClient(request, credential)),
  };
}

async function graphClient(request: ProvisioningRequest, credential: TokenCredential): Promise<GraphClient> {
  const { cloud } = request.bootstrap;
  const scope = graphScope(cloud);
  const token = () =>
    credential.getToken(scope).catch((error: unknown) => Promise.reject(toTaskError('entra', 'get a Microsoft Graph token for the bootstrap connection', error)));
  // Loaded here, not at the top: only the app-registration path pays for the Graph client's code.
  const [{ Client, MiddlewareFactory }] = await Promise.all([import('@microsoft/microsoft-graph-client'), token()]);
  // The shared credential caches the token fetched above; every Graph call reuses it.
  const middleware = MiddlewareFactory.getDefaultMiddlewareChain({ getAccessToken: async () => (await token())?.token ?? '' });
  // The default chain ends in a bare fetch, whose failure says only "fetch failed": keep the reason
  // (refused connection, untrusted certificate, …) in the message the task reports.
  middleware[middleware.length - 1] = {
    execute: async (context) => {
      context.response = await fetch(context.request as string, context.options as RequestInit).catch((error: unknown) =>
        Promise.reject(withCause(error)),
      );
    },
  };
  return Client.initWithMiddleware({ middleware, baseUrl: cloud.graphUrl, defaultVersion: 'v1.0', customHosts: new Set([graphHost(cloud)]) });
}

/** A fetch failure with its cause in the message: "fetch failed (ECONNREFUSED: connect ECONNREFUSED …)". */
function withCause(error: unknown): Error {
  const failure = error instanceof Error ? error : new Error(String(error));
  const cause = (failure as { cause?: { code?: string; message?: string } }).cause;
  if (!cause?.message) return failure;
  return new Error(`${failure.message} (${cause.code ? `${cause.code}: ` : ''}${cause.message})`);
}

function bootstrapCredential(request: ProvisioningRequest, register: (secret: string) => void): TokenCredential {
  const { auth, cloud, endpointId } = request.bootstrap;
  // The authority comes from the bootstrap connection the organization configured; instance discovery
  // would ask the public cloud's host about it, which sovereign and private clouds cannot answer.
  const options = { authorityHost: cloud.authorityHost, disableInstanceDiscovery: true };
  if (auth.scheme === 'ServicePrincipal') {
    return new ClientSecretCredential(auth.tenantId, auth.clientId, auth.clientSecret, options);
  }
  const assertion = pipelineOidcToken(auth.oidcRequestUri, endpointId, request.devops.accessToken, register);
  return new ClientAssertionCredential(auth.tenantId, auth.clientId, assertion, options);
}

/**
 * The pipeline's OIDC token for the bootstrap connection, fetched once and reused while valid.
 * AzurePipelinesCredential would ask Azure DevOps again on every getToken (WIRE.md), which costs a round
 * trip per scope and leaves the assertion unmasked; this fetches it once and masks it at once.
 */
function pipelineOidcToken(
  oidcRequestUri: string,
  connectionId: string,
  accessToken: string,
  register: (secret: string) => void,
): () => Promise<string> {
  let cached: { token: string; expiresAt: number } | undefined;
  let pending: Promise<string> | undefined;
  const pipeline = createPipelineFromOptions({ userAgentOptions: { userAgentPrefix: USER_AGENT } });
  const httpClient = createDefaultHttpClient();
  const fetchToken = async (): Promise<string> => {
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
      throw new ServiceError(typeof body?.message === 'string' ? body.message : 'Azure DevOps issued no token', {
        operation,
        status: response.status,
        code: typeof body?.typeKey === 'string' ? body.typeKey : undefined,
        hint: 'Check that the bootstrap connection uses workload identity federation and that this pipeline may use it',
      });
    }
    register(token);
    cached = { token, expiresAt: jwtExpiry(token) };
    return token;
  };
  return () => {
    if (cached && cached.expiresAt - Date.now() > 60_000) return Promise.resolve(cached.token);
    pending ??= fetchToken().finally(() => (pending = undefined));
    return pending;
  };
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
