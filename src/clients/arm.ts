/**
 * Azure Resource Manager: the client libraries' loader, the ARM SDK clients signed in as the bootstrap
 * connection's identity, plain ARM reads for which no SDK is worth its size, and `arm`, the wrapper of every
 * ARM call. The clients are built without retries: throttling (Retry-After), 408/5xx and failed connections
 * are retried by `arm`, bounded, so that every failure says what was awaited and for how long, and every
 * other one names its operation.
 */
import type { TokenCredential } from '@azure/core-auth';
import { createPipelineRequest, RestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { ManagedServiceIdentityClient } from '@azure/arm-msi';
import type { AuthorizationManagementClient } from '@azure/arm-authorization';
import { scopeFor } from '../cloud';
import type { Clock } from '../clock';
import { InputError, ServiceError, type TaskError } from '../errors';
import type { AgentNetwork } from '../network';
import type { AccessRequest } from '../requestAccess';
import { TRANSIENT, waitFor } from '../retry';
import { assertReadable, isTransientStatus, retryDelay, toTaskError } from '../sdkErrors';
import { USER_AGENT, parseJson } from './http';

export interface ArmResponse {
  status: number;
  body: Record<string, unknown> | undefined;
  correlationId?: string;
}

/** The Azure Resource Manager clients, signed in as the bootstrap connection's identity. */
export interface AzureClients {
  msi: ManagedServiceIdentityClient;
  /** The managed identity client of another subscription (a migrated connection's identity lives anywhere). */
  msiIn(subscriptionId: string): ManagedServiceIdentityClient;
  authorization: AuthorizationManagementClient;
  /** Plain ARM reads for which no SDK is worth its size (subscription, resource group); `path` may be a nextLink. */
  armGet(path: string, apiVersion: string): Promise<ArmResponse>;
}

export type Sdk = typeof import('../sdk/azure');

let sdk: Promise<Sdk> | undefined;

/**
 * The client libraries (src/sdk/azure.ts, a file of its own in the bundle), loaded once. Loading is
 * synchronous work of tens of milliseconds: it starts after one turn of the event loop, so that the
 * requests already under way (the pipeline's OIDC token, the first reads) are sent first and their round
 * trips overlap it.
 */
export function loadSdk(): Promise<Sdk> {
  return (sdk ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => import('../sdk/azure')));
}

/** The ARM clients over the bootstrap credential, for the request's subscription and cloud. */
export function armClients(sdk: Sdk, request: AccessRequest, credential: TokenCredential, network: AgentNetwork): AzureClients {
  const { ManagedServiceIdentityClient, AuthorizationManagementClient, ServiceClient } = sdk;
  const { cloud } = request.bootstrap;
  const arm = {
    endpoint: cloud.resourceManagerUrl,
    // The SDKs default to `<endpoint>/.default`, which is wrong for any host whose audience differs (docs/wire.md).
    credentialScopes: [scopeFor(cloud.resourceManagerAudience)],
    userAgentOptions: { userAgentPrefix: USER_AGENT },
    // `arm` below is the one layer that retries, so that its bound holds in wall time.
    retryOptions: { maxRetries: 0 },
    ...network.azureOptions,
  };
  const armClient = new ServiceClient({ ...arm, credential });
  return {
    armGet: async (path, apiVersion) => {
      const url = new URL(path.replace(/^\//, ''), cloud.resourceManagerUrl);
      // A nextLink is absolute and carries its own api-version and skip token; it is followed on ARM's host only.
      if (url.origin !== new URL(cloud.resourceManagerUrl).origin) throw new ServiceError(`ARM answered a next page on another host (${url.origin})`);
      if (!url.searchParams.has('api-version')) url.searchParams.set('api-version', apiVersion);
      const response = await armClient.sendRequest(createPipelineRequest({ url: url.toString(), method: 'GET' }));
      // A page that is not JSON (a proxy's, a sign-in page) is no answer from ARM, whatever its status says.
      assertReadable('arm', response.status, response.headers.get('content-type'), response.bodyAsText);
      // Throttling and transient failures are raised as the SDK clients raise them (RestError, with the
      // response's headers), so that `arm` waits for a read as long as Retry-After asks, as for a write.
      if (isTransientStatus(response.status)) {
        const error = (parseJson(response.bodyAsText)?.error ?? {}) as { code?: unknown; message?: unknown };
        throw new RestError(typeof error.message === 'string' ? error.message : `HTTP ${response.status}`, {
          statusCode: response.status,
          code: typeof error.code === 'string' ? error.code : undefined,
          response,
        });
      }
      return {
        status: response.status,
        body: parseJson(response.bodyAsText),
        correlationId: response.headers.get('x-ms-correlation-request-id'),
      };
    },
    msi: withManagedIdentityApiVersionFallback(new ManagedServiceIdentityClient(credential, request.azure.subscriptionId, arm)),
    msiIn: (subscriptionId) => withManagedIdentityApiVersionFallback(new ManagedServiceIdentityClient(credential, subscriptionId, arm)),
    authorization: new AuthorizationManagementClient(credential, request.azure.subscriptionId, arm),
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

/** One ARM call: its failure becomes a TaskError naming `operation` (or the input at fault), retried while transient. */
export function arm<T>(clients: { clock: Clock }, operation: string, call: () => Promise<T>): Promise<T> {
  return waitFor(
    clients.clock,
    'Azure Resource Manager',
    () =>
      call().catch((error: unknown) => {
        const failure: TaskError = toTaskError('arm', operation, error, clients.clock);
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
    retryDelay,
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
