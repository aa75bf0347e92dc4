/**
 * Who the task signs in as: the bootstrap connection's credential for Entra ID (and through it ARM and
 * Microsoft Graph), the wrappers that turn each credential's failures into a line a user can act on, and
 * the credential the Azure DevOps calls carry.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth';
import { RestError, type PipelinePolicy } from '@azure/core-rest-pipeline';
import type { ManagedIdentityCredential } from '@azure/identity';
import { scopeFor } from '../cloud';
import type { Clock } from '../clock';
import { BootstrapSignInError, ServiceError, TaskError } from '../errors';
import type { AgentNetwork } from '../network';
import type { AccessRequest } from '../requestAccess';
import { TRANSIENT, waitFor } from '../retry';
import { isTransientStatus, retryDelay, toTaskError } from '../sdkErrors';
import { jwtClaims, parseJson } from './http';
import type { OidcAssertion } from './pipelineOidcToken';

/** Azure DevOps' resource (application) id in Microsoft Entra ID; the same in every cloud. */
const AZURE_DEVOPS_RESOURCE = '499b84ac-1321-427f-aa17-267ca6975798';

export function bootstrapCredential(
  identity: typeof import('../sdk/azure'),
  request: AccessRequest,
  network: AgentNetwork,
  assertion: OidcAssertion | undefined,
): TokenCredential {
  const { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, ManagedIdentityCredential } = identity;
  const { auth, cloud } = request.bootstrap;
  // The authority comes from the bootstrap connection the organization configured; instance discovery
  // would ask the public cloud's host about it, which sovereign and private clouds cannot answer.
  // @azure/identity's client retries 3 times on its own, waiting as long as Retry-After asks, without bound
  // (core-rest-pipeline's throttlingRetryStrategy): off, so that SharedCredential's wait is the only one.
  const options = {
    authorityHost: cloud.authorityHost,
    disableInstanceDiscovery: true,
    retryOptions: { maxRetries: 0 },
    additionalPolicies: [...network.azureOptions.additionalPolicies, { policy: tokenEndpointRefusals, position: 'perCall' as const }],
  };
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
        'not signed in: no credential was found (environment variables, workload identity, managed identity, Azure CLI, Azure Developer CLI, Azure PowerShell)',
        {
          operation: `sign in to Microsoft Entra ID for ${[scopes].flat().join(' ')}`,
          hint: `Sign in with 'az login --tenant ${this.tenantId}', or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) for a CI identity`,
        },
      );
    }
  }
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

/** What the token endpoint refused, for the getToken call it refused: set by tokenEndpointRefusals, read by SharedCredential. */
const signIn = new AsyncLocalStorage<{ refusal?: unknown }>();

/**
 * Raises the token endpoint's throttling and transient failures (429, 408, 5xx) and failed connections
 * before MSAL reads them, and notes them for SharedCredential's wait. MSAL reports them without status or
 * Retry-After (a network_error, or the AADSTS text), and remembers a 429 or 5xx to refuse the same request
 * itself, on the machine's clock, for as long as Retry-After asked or 60 s without one (msal-common
 * ThrottlingUtils; https://learn.microsoft.com/entra/msal/dotnet/advanced/client-and-server-throttling:
 * for client credentials Entra ID answers 429 with Retry-After).
 */
export const tokenEndpointRefusals: PipelinePolicy = {
  name: 'tokenEndpointRefusals',
  async sendRequest(request, next) {
    const noted = signIn.getStore();
    try {
      const response = await next(request);
      if (!isTransientStatus(response.status)) return response;
      const described = parseJson(response.bodyAsText)?.error_description;
      throw new RestError(typeof described === 'string' ? described : `Entra ID answered HTTP ${response.status}`, {
        statusCode: response.status,
        request,
        response,
      });
    } catch (error) {
      if (noted) noted.refusal = error;
      throw error;
    }
  },
};

/** A token is taken afresh once it has less than this left: Entra ID's own advice, and MSAL's renewal offset. */
const FRESH_FOR_MS = 5 * 60_000;

/**
 * The one place for token freshness: every token the bootstrap identity gets (ARM, Microsoft Graph, Azure
 * DevOps) comes through here. Callers side by side (the ARM clients, created together) share one request; a
 * token is kept until it has five minutes left on the run's clock, by its own `exp` (the clock its issuer
 * stamped it with, as for the pipeline's OIDC token), then taken fresh from a new credential: @azure/identity
 * and MSAL keep a cache of their own, judged on the machine's clock, that must not hand back a token this
 * run no longer trusts. The sign-in waits like every other call (src/retry.ts): throttling and transient
 * failures of the token endpoint within the 30 s bound, as long as Retry-After asks, or not at all when it
 * asks for more. Every token is masked as it arrives.
 */
export class SharedCredential implements TokenCredential {
  private readonly tokens = new Map<string, Promise<{ token: AccessToken; expiresAt: number }>>();
  private inner: TokenCredential;

  constructor(
    private readonly newCredential: () => TokenCredential,
    private readonly register: (secret: string) => void,
    private readonly clock: Clock,
  ) {
    this.inner = newCredential();
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    const key = [scopes].flat().join(' ');
    const cached = this.tokens.get(key);
    if (cached) {
      const held = await cached.catch(() => undefined);
      if (held && held.expiresAt - this.clock.now() > FRESH_FOR_MS) return held.token;
      // Another caller may have started the fresh request meanwhile: share it.
      if (this.tokens.get(key) !== cached) return this.getToken(scopes, options);
      if (held) this.inner = this.newCredential();
    }
    const request = this.fetch(this.inner, scopes, key, options);
    this.tokens.set(key, request);
    request.catch(() => this.tokens.get(key) === request && this.tokens.delete(key));
    return (await request).token;
  }

  private async fetch(
    inner: TokenCredential,
    scopes: string | string[],
    key: string,
    options: GetTokenOptions | undefined,
  ): Promise<{ token: AccessToken; expiresAt: number }> {
    // A refused or failed sign-in is named as the sign-in, not as the first ARM or Graph call that needed it.
    const operation = `sign in to Entra ID for ${key.replace(/\/?\.default$/, '')}`;
    const refused = new WeakSet<object>();
    const token = await waitFor(
      this.clock,
      'Entra ID',
      async () => {
        const noted: { refusal?: unknown } = {};
        try {
          return await signIn.run(noted, () => inner.getToken(scopes, options));
        } catch (error) {
          // What the token endpoint itself answered, rather than MSAL's account of it.
          const failure = toTaskError('entra', operation, noted.refusal ?? error, this.clock);
          if (noted.refusal !== undefined) refused.add(failure);
          throw failure;
        }
      },
      (error) => (refused.has(error as object) ? retryDelay(error) : undefined),
      TRANSIENT,
    );
    if (!token) throw new ServiceError('Entra ID issued no token', { operation });
    this.register(token.token);
    const { exp } = jwtClaims(token.token);
    return { token, expiresAt: typeof exp === 'number' ? exp * 1000 : token.expiresOnTimestamp };
  }
}

/**
 * The Authorization header of the Azure DevOps calls, chosen explicitly from devOpsAuth: a bearer token (the
 * job's, or Entra's for the bootstrap connection's identity), or a personal access token as Basic with an
 * empty user name (https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/pats#use-a-pat-in-your-code).
 * Not guessed from the token: azure-devops-node-api's WebApi takes a 52-character (or 84-character AZDO
 * format) token for a PAT, which would send a token of another shape the wrong way.
 */
export async function devopsAuthorization(request: AccessRequest, credential: () => Promise<TokenCredential>): Promise<string> {
  const auth = request.devopsAuth;
  switch (auth.kind) {
    case 'jobAccessToken':
      return `Bearer ${request.devops.accessToken}`;
    case 'personalAccessToken':
      return `Basic ${Buffer.from(`:${auth.token}`).toString('base64')}`;
    case 'bootstrapIdentity': {
      const operation = "get a token for Azure DevOps as the bootstrap connection's identity";
      const token = await (
        await credential()
      )
        .getToken(scopeFor(AZURE_DEVOPS_RESOURCE))
        .catch((error: unknown) => Promise.reject(toTaskError('entra', operation, error)));
      if (!token) throw new ServiceError('Entra ID issued no token', { operation });
      return `Bearer ${token.token}`;
    }
  }
}
