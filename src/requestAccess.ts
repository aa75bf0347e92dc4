/**
 * The request's inputs about how the run reaches Azure and Azure DevOps: the bootstrap connection (its
 * scheme, credential and cloud), the organization URL, the Azure DevOps credential (devOpsAuth and the
 * variable devOpsTokenVariable names) and the agent's proxy and CA settings. Pure, as src/request.ts.
 */
import { type Cloud, cloudFromEndpoint, withSlash } from './cloud';
import { InputError, ServiceError } from './errors';
import { GUID } from './inputValues';
import type { AgentNetworkSettings } from './network';
import type { RawTask } from './rawTask';

export type BootstrapAuth =
  | { scheme: 'WorkloadIdentityFederation'; tenantId: string; clientId: string; oidcRequestUri: string }
  | { scheme: 'ServicePrincipal'; tenantId: string; clientId: string; clientSecret: string }
  /** ServicePrincipal with authenticationType spnCertificate: the PEM certificate with its private key. */
  | { scheme: 'ServicePrincipalCertificate'; tenantId: string; clientId: string; certificate: string }
  /** The agent machine's managed identity; a user-assigned one by its client id (endpoint data msiclientId). */
  | { scheme: 'ManagedServiceIdentity'; tenantId: string; clientId?: string }
  /**
   * The command line's sign-in (src/commandLine/taskFromMachine.ts): the person's or CI identity's own credential, found by
   * @azure/identity's DefaultAzureCredential (environment variables, workload identity, managed identity,
   * Azure CLI, Azure Developer CLI, Azure PowerShell) in this tenant. No pipeline endpoint has this scheme.
   */
  | { scheme: 'DefaultAzureCredential'; tenantId: string };

/** How the task signs in to Azure DevOps (input devOpsAuth). */
export type DevOpsAuth =
  | { kind: 'jobAccessToken' }
  /** An Entra token for Azure DevOps from the bootstrap connection's identity, a user of the organization. */
  | { kind: 'bootstrapIdentity' }
  /** A personal access token from the secret variable devOpsTokenVariable names. */
  | { kind: 'personalAccessToken'; variable: string; token: string };

const SUPPORTED_SCHEMES = ['WorkloadIdentityFederation', 'ServicePrincipal', 'ManagedServiceIdentity'] as const;
/** authenticationType values of a ServicePrincipal connection. */
const SUPPORTED_AUTHENTICATION_TYPES = ['spnKey', 'spnCertificate'] as const;
/** The command line's sign-in scheme: set by the command line only (src/commandLine/taskFromMachine.ts), never read from a pipeline endpoint. */
export const SIGNED_IN_SCHEME = 'DefaultAzureCredential';
export const DEVOPS_AUTH = ['jobAccessToken', 'bootstrapIdentity', 'personalAccessToken'] as const;

/** A pipeline variable name: letters, digits, '.', '_', '-'. */
const VARIABLE_NAME = /^[A-Za-z_][\w.-]{0,127}$/;
/**
 * Azure DevOps personal access tokens: 52 base32 characters, or 84 with the AZDO signature at position 76
 * (azure-devops-node-api WebApi personalAccessTokenRegex); and JWTs. Such a value is a token, not a name.
 */
const TOKEN_SHAPES = [/^[a-z2-7]{52}$/, /^.{76}AZDO.{4}$/, /^eyJ[\w-]+\.[\w-]+\./];

/** Whether devOpsTokenVariable holds a variable's name, rather than (say) the token pasted in by mistake. */
export function isVariableName(value: string): boolean {
  return VARIABLE_NAME.test(value) && !TOKEN_SHAPES.some((shape) => shape.test(value));
}

/**
 * What every action's request carries to reach the services (src/clients/ is built from it): the bootstrap
 * connection, the Azure DevOps organization and credential, the agent's network, and the subscription the
 * ARM clients are bound to.
 */
export interface AccessRequest {
  bootstrap: BootstrapRequest;
  devopsAuth: DevOpsAuth;
  network: AgentNetworkSettings;
  /** `accessToken` is the job's token (empty when nothing needs it). */
  devops: { organizationUrl: string; organization: string; accessToken: string };
  azure: { subscriptionId: string };
}

/**
 * The organization, the Azure DevOps credential and the job's token as any action reads them: devOpsAuth
 * (default jobAccessToken) and the job token it, or a federated bootstrap connection, needs.
 */
export function parseDevOpsAccess(
  raw: RawTask,
  input: (name: 'organizationUrl' | 'devOpsAuth' | 'devOpsTokenVariable') => string,
  bootstrap: BootstrapRequest,
): Pick<AccessRequest, 'devopsAuth'> & { devops: AccessRequest['devops'] } {
  const value = input('organizationUrl');
  if (!value) throw new InputError('organizationUrl', 'is required.');
  const organizationUrl = parseOrganizationUrl(value);
  const kind = input('devOpsAuth') || 'jobAccessToken';
  const known = DEVOPS_AUTH.find((allowed) => allowed.toLowerCase() === kind.toLowerCase());
  if (!known) throw new InputError('devOpsAuth', `has the unsupported value '${kind}'. Supported values are: ${DEVOPS_AUTH.join(', ')}.`);
  const devopsAuth = parseDevOpsAuth(known, input('devOpsTokenVariable'), raw.devOpsTokenVariable);
  const accessToken = raw.accessToken ?? '';
  const jobTokenNeeded = devopsAuth.kind === 'jobAccessToken' || bootstrap.auth.scheme === 'WorkloadIdentityFederation';
  if (!accessToken && jobTokenNeeded) {
    throw new InputError(
      devopsAuth.kind === 'jobAccessToken' ? 'organizationUrl' : 'bootstrapConnection',
      `cannot be ${devopsAuth.kind === 'jobAccessToken' ? 'reached' : 'used'}: the job has no access token. In a YAML pipeline the token is always available; in the classic editor enable "Allow scripts to access the OAuth token".`,
    );
  }
  return { devopsAuth, devops: { organizationUrl: organizationUrl.url, organization: organizationUrl.name, accessToken } };
}

/** The bootstrap connection as the request carries it: the connection that signs the run in, and its cloud. */
export interface BootstrapRequest {
  endpointId: string;
  cloud: Cloud;
  auth: BootstrapAuth;
}

export function parseBootstrap(raw: RawTask): BootstrapRequest {
  const endpointId = raw.bootstrap.id;
  if (!endpointId) throw new InputError('bootstrapConnection', 'is required: name an Azure Resource Manager service connection.');
  const p = raw.bootstrap.parameters;
  const tenantId = p.tenantid ?? '';
  const clientId = p.serviceprincipalid ?? '';
  const scheme = raw.bootstrap.scheme ?? '';
  if (!scheme && !raw.bootstrap.url) {
    // The agent hands a task a connection's URL, scheme and data only when the pipeline may use it.
    throw new InputError(
      'bootstrapConnection',
      `names the service connection '${endpointId}', whose details this job did not receive: name an Azure Resource Manager service connection of this project that this pipeline may use (Project settings, Service connections, the connection, Security, Pipeline permissions).`,
    );
  }
  if (scheme !== SIGNED_IN_SCHEME && !SUPPORTED_SCHEMES.some((supported) => supported.toLowerCase() === scheme.toLowerCase())) {
    throw new InputError('bootstrapConnection', `uses the authentication scheme '${scheme}'. Supported schemes are: ${SUPPORTED_SCHEMES.join(', ')}.`);
  }
  const cloud = cloudFromEndpoint({ url: raw.bootstrap.url, ...raw.bootstrap.data });
  if (!cloud.authorityHost.startsWith('https:')) {
    throw new InputError('bootstrapConnection', `has the authority '${cloud.authorityHost}'; Entra ID is only reached over https.`);
  }
  if (scheme === SIGNED_IN_SCHEME) {
    // Named by the command line's flag (src/commandLine/flags.ts turns 'tenantId' into --tenant-id).
    if (!GUID.test(tenantId)) throw new InputError('tenantId', tenantId ? `'${tenantId}' is not a tenant id; use its GUID.` : 'is required.');
    return { endpointId, cloud, auth: { scheme: SIGNED_IN_SCHEME, tenantId } };
  }
  const managedIdentity = scheme.toLowerCase() === 'managedserviceidentity';
  // A managed identity connection names no service principal: the agent machine's identity signs in.
  if (!managedIdentity && (!tenantId || !clientId)) {
    throw new InputError('bootstrapConnection', 'has no tenant id or service principal id; pick an Azure Resource Manager service connection.');
  }
  switch (scheme.toLowerCase()) {
    case 'workloadidentityfederation': {
      if (!raw.oidcRequestUri) {
        throw new InputError(
          'bootstrapConnection',
          'uses workload identity federation, but the job has no System.OidcRequestUri; run the task in an Azure Pipelines job.',
        );
      }
      return { endpointId, cloud, auth: { scheme: 'WorkloadIdentityFederation', tenantId, clientId, oidcRequestUri: raw.oidcRequestUri } };
    }
    case 'serviceprincipal': {
      const authenticationType = (p.authenticationType || 'spnKey').toLowerCase();
      if (authenticationType === 'spnkey' && p.serviceprincipalkey) {
        return { endpointId, cloud, auth: { scheme: 'ServicePrincipal', tenantId, clientId, clientSecret: p.serviceprincipalkey } };
      }
      if (authenticationType === 'spncertificate' && p.servicePrincipalCertificate) {
        if (
          !/-----BEGIN CERTIFICATE-----/.test(p.servicePrincipalCertificate) ||
          !/-----BEGIN (RSA |ENCRYPTED )?PRIVATE KEY-----/.test(p.servicePrincipalCertificate)
        ) {
          throw new InputError(
            'bootstrapConnection',
            'holds a certificate that is not a PEM certificate with its private key; upload the PEM file (certificate and key) to the service connection.',
          );
        }
        return { endpointId, cloud, auth: { scheme: 'ServicePrincipalCertificate', tenantId, clientId, certificate: p.servicePrincipalCertificate } };
      }
      throw new InputError(
        'bootstrapConnection',
        `uses a service principal with authentication type '${p.authenticationType ?? ''}' and no ${authenticationType === 'spncertificate' ? 'certificate' : 'secret'}. Supported authentication types are: ${SUPPORTED_AUTHENTICATION_TYPES.join(', ')} (a client secret, or a PEM certificate with its key).`,
      );
    }
    case 'managedserviceidentity':
      return { endpointId, cloud, auth: { scheme: 'ManagedServiceIdentity', tenantId, clientId: raw.bootstrap.data.msiclientId || undefined } };
    default:
      throw new InputError('bootstrapConnection', `uses the authentication scheme '${scheme}'. Supported schemes are: ${SUPPORTED_SCHEMES.join(', ')}.`);
  }
}
export function parseDevOpsAuth(kind: DevOpsAuth['kind'], variable: string, value: RawTask['devOpsTokenVariable']): DevOpsAuth {
  if (kind !== 'personalAccessToken') return { kind };
  if (!variable) {
    throw new InputError('devOpsTokenVariable', "is required with devOpsAuth 'personalAccessToken': name the secret variable that holds the token.");
  }
  if (!isVariableName(variable)) {
    // Not echoed: it may be the token itself, pasted into the input.
    throw new InputError(
      'devOpsTokenVariable',
      'must be the name of a secret variable, not the token: put the token in a secret variable and name that variable here.',
    );
  }
  if (!value?.value) {
    throw new InputError(
      'devOpsTokenVariable',
      `names the variable '${variable}', which this job does not have; define it as a secret variable (or in a variable group) that holds the token.`,
    );
  }
  if (!value.secret) {
    throw new InputError(
      'devOpsTokenVariable',
      `names the variable '${variable}', which is not secret; mark it secret (or keep the token in a Key Vault-backed variable group) so the token never appears in logs.`,
    );
  }
  return { kind, variable, token: value.value };
}
/** The agent's proxy and CA settings, checked before any client uses them. */
export function parseNetwork(raw: RawTask['network']): AgentNetworkSettings {
  const settings: AgentNetworkSettings = { caFile: raw?.caFile || undefined };
  if (!raw?.proxyUrl) return settings;
  const problem = (what: string): ServiceError =>
    new ServiceError(what, {
      operation: "use the agent's proxy",
      hint: 'Reconfigure the agent (config.sh --proxyurl, .proxybypass) with an http(s) proxy URL and valid regular expressions',
    });
  let url: URL;
  try {
    url = new URL(raw.proxyUrl);
  } catch {
    throw problem(`Agent.ProxyUrl '${raw.proxyUrl}' is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw problem(`Agent.ProxyUrl '${raw.proxyUrl}' is not an http or https URL`);
  const bypass = raw.proxyBypassHosts ?? [];
  for (const pattern of bypass) {
    try {
      new RegExp(pattern, 'i');
    } catch {
      throw problem(`Agent.ProxyBypassList holds '${pattern}', which is not a regular expression`);
    }
  }
  settings.proxy = { url: raw.proxyUrl, username: raw.proxyUsername || undefined, password: raw.proxyPassword || undefined, bypass };
  return settings;
}
/**
 * Accepts https://dev.azure.com/{org}/, https://{org}.visualstudio.com/ and Azure DevOps Server
 * collection URLs; the organization name is used only in tags.
 */
export function parseOrganizationUrl(value: string): { url: string; name: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InputError('organizationUrl', `'${value}' is not a URL; use https://dev.azure.com/<organization>/.`);
  }
  if (url.protocol !== 'https:' || url.search || url.hash) {
    throw new InputError('organizationUrl', `'${value}' is not an https organization URL; use https://dev.azure.com/<organization>/.`);
  }
  const segments = url.pathname.split('/').filter(Boolean);
  const visualStudio = /^([^.]+)\.visualstudio\.com$/i.exec(url.hostname);
  const name = visualStudio ? visualStudio[1] : (segments[segments.length - 1] ?? url.hostname);
  return { url: withSlash(`${url.origin}${url.pathname}`), name: name.toLowerCase() };
}
