/**
 * The cloud the bootstrap connection lives in. Everything cloud-specific (ARM URL, authority, Graph URL,
 * token audience, the environment name written into the new connection) comes from the bootstrap
 * endpoint's URL and data; the table below only fills keys an endpoint leaves out.
 */

export interface Cloud {
  /** Azure DevOps environment name: AzureCloud, AzureUSGovernment, AzureChinaCloud, … */
  environment: string;
  /** ARM base URL with a trailing slash. */
  resourceManagerUrl: string;
  /** ARM token audience (the resource id), e.g. https://management.core.windows.net/ */
  resourceManagerAudience: string;
  /** Entra authority host with a trailing slash. */
  authorityHost: string;
  /** Microsoft Graph base URL with a trailing slash. */
  graphUrl: string;
}

/** Public endpoints of the well-known clouds (the values `az cloud show` prints). */
const KNOWN_CLOUDS: Record<string, Cloud> = {
  azurecloud: {
    environment: 'AzureCloud',
    resourceManagerUrl: 'https://management.azure.com/',
    resourceManagerAudience: 'https://management.core.windows.net/',
    authorityHost: 'https://login.microsoftonline.com/',
    graphUrl: 'https://graph.microsoft.com/',
  },
  azureusgovernment: {
    environment: 'AzureUSGovernment',
    resourceManagerUrl: 'https://management.usgovcloudapi.net/',
    resourceManagerAudience: 'https://management.core.usgovcloudapi.net/',
    authorityHost: 'https://login.microsoftonline.us/',
    graphUrl: 'https://graph.microsoft.us/',
  },
  azurechinacloud: {
    environment: 'AzureChinaCloud',
    resourceManagerUrl: 'https://management.chinacloudapi.cn/',
    resourceManagerAudience: 'https://management.core.chinacloudapi.cn/',
    authorityHost: 'https://login.chinacloudapi.cn/',
    graphUrl: 'https://microsoftgraph.chinacloudapi.cn/',
  },
};

/** What the agent hands over for an AzureRM endpoint: its URL and its data keys (any may be missing). */
export interface EndpointCloudData {
  url?: string;
  environment?: string;
  resourceManagerUrl?: string;
  activeDirectoryAuthority?: string;
  environmentAuthorityUrl?: string;
  microsoftGraphUrl?: string;
  activeDirectoryServiceEndpointResourceId?: string;
}

export function cloudFromEndpoint(data: EndpointCloudData): Cloud {
  const known = KNOWN_CLOUDS[(data.environment ?? 'AzureCloud').toLowerCase()] ?? KNOWN_CLOUDS.azurecloud;
  return {
    environment: data.environment || known.environment,
    resourceManagerUrl: withSlash(data.resourceManagerUrl || data.url || known.resourceManagerUrl),
    resourceManagerAudience: withSlash(data.activeDirectoryServiceEndpointResourceId || known.resourceManagerAudience),
    authorityHost: withSlash(data.activeDirectoryAuthority || data.environmentAuthorityUrl || known.authorityHost),
    graphUrl: withSlash(data.microsoftGraphUrl || known.graphUrl),
  };
}

/**
 * The scope to ask Entra for. The audience keeps its trailing slash, so the public cloud's scope is
 * `https://management.core.windows.net//.default` (double slash), as Microsoft's own tasks request it.
 */
export function scopeFor(audience: string): string {
  return `${audience}/.default`;
}

/**
 * The scope for Microsoft Graph: its base URL without the trailing slash, then `/.default`
 * (`https://graph.microsoft.com/.default`), as Microsoft's Graph documentation requests it. Unlike ARM,
 * Graph has no audience of its own in the endpoint data: each cloud's Graph is named by its URL.
 */
export function graphScope(cloud: Cloud): string {
  return `${cloud.graphUrl.replace(/\/+$/, '')}/.default`;
}

/**
 * The host the Graph client may send the bootstrap token to. @microsoft/microsoft-graph-client adds
 * `Authorization` only for its built-in Graph hosts and for `customHosts`, given as bare host names
 * without port (GraphRequestUtil.isCustomHost); a sovereign or private cloud's Graph needs its host there.
 */
export function graphHost(cloud: Cloud): string {
  return new URL(cloud.graphUrl).hostname.toLowerCase();
}

export function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** The clouds the command line's --cloud names (the Azure CLI's `az cloud list` names). */
export const KNOWN_CLOUD_NAMES = ['AzureCloud', 'AzureUSGovernment', 'AzureChinaCloud'] as const;

export function knownCloud(name: string): Cloud | undefined {
  return KNOWN_CLOUDS[name.toLowerCase()];
}

/**
 * A cloud from ARM's metadata endpoint (`{arm}/metadata/endpoints?api-version=2022-09-01`), read the way the
 * Azure CLI reads it (azure-cli-core cloud.py, _arm_to_cli_mapper): the authority is
 * authentication.loginEndpoint, the ARM audience authentication.audiences[0], Graph microsoftGraphResourceId,
 * the environment name `name`. The public cloud answers, e.g.
 * `{"name":"AzureCloud","resourceManager":"https://management.azure.com/","authentication":{"loginEndpoint":
 * "https://login.microsoftonline.com","audiences":["https://management.core.windows.net/",…]},
 * "microsoftGraphResourceId":"https://graph.microsoft.com/",…}` (loginEndpoint without its trailing slash).
 * Undefined when the answer lacks the login endpoint or an audience.
 */
export function cloudFromMetadata(resourceManagerUrl: string, metadata: unknown): Cloud | undefined {
  // api-version 2019-05-01 answered a list of every cloud (the Azure CLI then keys them by name); should a
  // host still answer so, the entry for this ARM host is the one.
  const host = new URL(resourceManagerUrl).host.toLowerCase();
  const entry = Array.isArray(metadata)
    ? (metadata as { resourceManager?: unknown }[]).find((cloud) => typeof cloud?.resourceManager === 'string' && hostOf(cloud.resourceManager) === host)
    : metadata;
  const body = (entry ?? {}) as {
    name?: unknown;
    resourceManager?: unknown;
    microsoftGraphResourceId?: unknown;
    authentication?: { loginEndpoint?: unknown; audiences?: unknown };
  };
  const text = (value: unknown): string => (typeof value === 'string' ? value.trim() : '');
  const login = text(body.authentication?.loginEndpoint);
  const audiences = Array.isArray(body.authentication?.audiences) ? body.authentication.audiences : [];
  const audience = text(audiences[0]);
  if (!login || !audience) return undefined;
  const known = knownCloud(text(body.name));
  return {
    environment: text(body.name) || 'AzureCloud',
    resourceManagerUrl: withSlash(text(body.resourceManager) || resourceManagerUrl),
    resourceManagerAudience: withSlash(audience),
    authorityHost: withSlash(login),
    graphUrl: withSlash(text(body.microsoftGraphResourceId) || known?.graphUrl || KNOWN_CLOUDS.azurecloud.graphUrl),
  };
}

/** The host (and port) of a URL, lower-case; undefined for what is not a URL. */
export function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return undefined;
  }
}
