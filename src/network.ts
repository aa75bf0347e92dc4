/**
 * The agent's network, applied to every client the task builds: its proxy (Agent.ProxyUrl, credentials and
 * bypass patterns, as tl.getHttpProxyConfiguration hands them over) and the certificate authorities it
 * trusts (Agent.CAInfo, as tl.getHttpCertConfiguration hands it over).
 *
 * Each client family takes them its own way:
 * - @azure clients (ARM SDKs, @azure/identity's token requests) and the requests src/clients/ builds by hand
 *   (Azure DevOps REST, the pipeline OIDC request): a pipeline policy that gives each request its connection
 *   agent. core-rest-pipeline's own proxyPolicy knows no bypass patterns (only NO_PROXY host names) and drops
 *   TLS settings behind a proxy ("TLS settings are not supported in combination with custom Proxy"), so the
 *   policy here tunnels itself, keeping the CAs.
 * - Microsoft Graph: see `send` (its client's fetch ignores proxies).
 * The instance metadata endpoint is link-local and never goes through the proxy: the managed identity
 * credential gets none of this.
 */
import { readFileSync } from 'node:fs';
import * as https from 'node:https';
import * as tls from 'node:tls';
import type { ClientRequest } from 'node:http';
import {
  createDefaultHttpClient,
  createPipelineFromOptions,
  type PipelinePolicy,
  type PipelineRequest,
  type PipelineResponse,
} from '@azure/core-rest-pipeline';
import { HttpsProxyAgent } from 'https-proxy-agent';

/** The agent's settings, as the request carries them (validated in request.ts). */
export interface AgentNetworkSettings {
  proxy?: {
    url: string;
    username?: string;
    password?: string;
    /** Agent.ProxyBypassList: regular expressions, matched case-insensitively against the whole request URL. */
    bypass: string[];
  };
  /** Agent.CAInfo: a PEM file of certificate authorities to trust besides the default ones. */
  caFile?: string;
}

export interface AgentNetwork {
  /** Spread into the options of every @azure client and credential that talks to Entra ID or ARM. */
  azureOptions: { additionalPolicies: Array<{ policy: PipelinePolicy; position: 'perCall' }> };
  /** The policy alone, for pipelines built by hand. */
  policy: PipelinePolicy;
  /**
   * Sends one request the way the @azure clients do (proxy, bypass, CAs). The seam for clients that bring
   * their own transport: Microsoft Graph's client uses fetch, which ignores proxies, so it must send
   * through here (a custom fetch or middleware).
   */
  send(request: PipelineRequest): Promise<PipelineResponse>;
  /** The proxy URL (credentials included) a request URL goes through; undefined when direct. */
  proxyFor(url: string): URL | undefined;
}

export function agentNetwork(settings: AgentNetworkSettings): AgentNetwork {
  const { proxy, caFile } = settings;
  const bypass = (proxy?.bypass ?? []).map((pattern) => new RegExp(pattern, 'i'));
  // One secure context for the run, not the `ca` list on every agent: https.Agent.getName turns `options.ca`
  // into a string for every request (node:https getName), and with Node's ~150 default CAs that join cost
  // milliseconds a request; a context is also built once rather than per connection.
  const secureContext = caFile ? tls.createSecureContext({ ca: trustedAuthorities(caFile) }) : undefined;
  const proxyUrl = proxy ? withCredentials(proxy.url, proxy.username, proxy.password) : undefined;
  const proxyFor = (url: string): URL | undefined => (proxyUrl && !bypass.some((pattern) => pattern.test(url)) ? proxyUrl : undefined);

  let tunnelling: https.Agent | undefined;
  let direct: https.Agent | undefined;
  const policy: PipelinePolicy = {
    name: 'agentNetworkPolicy',
    sendRequest(request, next) {
      if (request.url.startsWith('https:') && (proxyUrl || secureContext)) {
        if (proxyFor(request.url)) request.agent = tunnelling ??= new TunnellingAgent(proxyUrl!, secureContext);
        else request.agent = direct ??= new https.Agent({ keepAlive: true, secureContext });
      }
      return next(request);
    },
  };
  // No retries of its own: the callers retry on the run's clock (src/retry.ts), so their bounds hold.
  const pipeline = createPipelineFromOptions({ retryOptions: { maxRetries: 0 } });
  pipeline.addPolicy(policy);
  const httpClient = createDefaultHttpClient();

  return {
    azureOptions: { additionalPolicies: proxyUrl || secureContext ? [{ policy, position: 'perCall' }] : [] },
    policy,
    send: (request) => pipeline.sendRequest(httpClient, request),
    proxyFor,
  };
}

/** The proxy URL with its credentials, as https-proxy-agent reads them (percent-encoded user info). */
function withCredentials(url: string, username?: string, password?: string): URL {
  const parsed = new URL(url);
  if (username) parsed.username = encodeURIComponent(username);
  if (password) parsed.password = encodeURIComponent(password);
  return parsed;
}

/**
 * Node's default CAs plus the agent's. Passing `ca` replaces the defaults, NODE_EXTRA_CA_CERTS included
 * (Node docs, NODE_EXTRA_CA_CERTS), so they are added back explicitly.
 */
function trustedAuthorities(caFile: string): string[] {
  const agentCas = readFileSync(caFile, 'utf8');
  const getDefaults = (tls as { getCACertificates?: (type: 'default') => string[] }).getCACertificates;
  if (getDefaults) return [...getDefaults('default'), agentCas];
  const extra = process.env.NODE_EXTRA_CA_CERTS;
  let extraCas: string[] = [];
  try {
    extraCas = extra ? [readFileSync(extra, 'utf8')] : [];
  } catch {
    // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS.
  }
  return [...tls.rootCertificates, ...extraCas, agentCas];
}

/**
 * CONNECT tunnels through the agent's proxy (https-proxy-agent), with the target's TLS checked against the
 * agent's CAs: https-proxy-agent upgrades the tunnel with the request's own options only, so the CAs are
 * added to them here.
 */
class TunnellingAgent extends HttpsProxyAgent<string> {
  constructor(
    proxy: URL,
    private readonly secureContext: tls.SecureContext | undefined,
  ) {
    // The CAs also check an https: proxy's own certificate.
    super(proxy, { keepAlive: true, ...(secureContext ? { secureContext } : {}) });
  }

  override connect(request: ClientRequest, options: Parameters<HttpsProxyAgent<string>['connect']>[1]): ReturnType<HttpsProxyAgent<string>['connect']> {
    return super.connect(request, this.secureContext ? ({ ...options, secureContext: this.secureContext } as typeof options) : options);
  }
}
