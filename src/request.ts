/**
 * The task's inputs become one typed, validated request here, before the first network call.
 * Pure: the agent module reads the raw values, this module only judges them.
 */
import { Cloud, cloudFromEndpoint, withSlash } from './cloud';
import { InputError, ServiceError } from './errors';
import { distinctGrants, parseRoleAssignments, type RoleGrant } from './grants';
import { defaultApplicationName, defaultIdentityName, earlierDefaultIdentityName } from './resourceNames';
import type { InputName } from './inputNames';
import type { AgentNetworkSettings } from './network';

/** Raw values as the agent hands them over (task-lib reads them). */
export interface RawTask {
  inputs: Partial<Record<InputName, string>>;
  bootstrap: {
    id: string;
    url?: string;
    scheme?: string;
    parameters: Record<string, string | undefined>;
    data: Record<string, string | undefined>;
  };
  /** The job's Azure DevOps access token (endpoint SYSTEMVSSCONNECTION). */
  accessToken?: string;
  /** System.OidcRequestUri: where the job asks Azure DevOps for a pipeline OIDC token. */
  oidcRequestUri?: string;
  /** The variable devOpsTokenVariable names: its value, and whether the agent handed it over as a secret. */
  devOpsTokenVariable?: { value?: string; secret: boolean };
  /** The agent's proxy (tl.getHttpProxyConfiguration) and CA file (tl.getHttpCertConfiguration). */
  network?: { proxyUrl?: string; proxyUsername?: string; proxyPassword?: string; proxyBypassHosts?: string[]; caFile?: string };
}

export type BootstrapAuth =
  | { scheme: 'WorkloadIdentityFederation'; tenantId: string; clientId: string; oidcRequestUri: string }
  | { scheme: 'ServicePrincipal'; tenantId: string; clientId: string; clientSecret: string }
  /** ServicePrincipal with authenticationType spnCertificate: the PEM certificate with its private key. */
  | { scheme: 'ServicePrincipalCertificate'; tenantId: string; clientId: string; certificate: string }
  /** The agent machine's managed identity; a user-assigned one by its client id (endpoint data msiclientId). */
  | { scheme: 'ManagedServiceIdentity'; tenantId: string; clientId?: string }
  /**
   * The command line's sign-in (src/cli.ts): the person's or CI identity's own credential, found by
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

export const IDENTITY_TYPES = ['managedIdentity', 'appRegistration'] as const;
export type IdentityType = (typeof IDENTITY_TYPES)[number];

/** What every request carries, whatever the identity behind the connection. */
interface RequestCommon {
  connectionName: string;
  connectionDescription: string;
  existingConnection: 'reuse' | 'fail';
  bootstrap: { endpointId: string; cloud: Cloud; auth: BootstrapAuth };
  azure: {
    subscriptionId: string;
    /** Looked up when not given. */
    subscriptionName?: string;
    /** When set, the role is granted on it and the connection is scoped to it. */
    resourceGroup?: string;
    roleDefinitionName: string;
    /**
     * When set, the connection is scoped to this management group (scopeLevel ManagementGroup) and the role
     * is granted there; the subscription then only holds the managed identity.
     */
    managementGroup?: { id: string; name?: string };
    /** ARM id of the role scope: the management group, the subscription or the resource group. */
    scope: string;
    /** Further grants from roleAssignments, each beside the main one; duplicates of it or each other dropped. */
    additionalRoles: RoleGrant[];
  };
  /** `accessToken` is the job's token (empty when nothing needs it); `devopsAuth` says what the DevOps calls use. */
  devops: {
    organizationUrl: string;
    organization: string;
    project: string;
    accessToken: string;
    /** Projects (names or ids) to share the connection with, besides its own. */
    shareWithProjects: string[];
    /** Authorize every pipeline of the connection's project ("open access"); off unless asked. */
    authorizeAllPipelines: boolean;
    /** Pipelines of the connection's project to authorize. */
    authorizePipelines: PipelineReference[];
  };
  /** Approvals and checks on the connection (YAML pipelines only). */
  checks: {
    /** approvers lines as written (resolved to identities by the reads); empty: no approval check. */
    approvers: string[];
    approvalInstructions: string;
    approvalTimeoutMinutes: number;
    /** 0: every approver. */
    minimumApprovers: number;
    /** Refs with wildcards; empty: no branch control check. */
    allowedBranches: string[];
    requireBranchProtection: boolean;
  };
  devopsAuth: DevOpsAuth;
  network: AgentNetworkSettings;
  /** Read and decide, print the plan, write nothing. */
  dryRun: boolean;
  /** How long to wait, at most, for a new identity to replicate (PrincipalNotFound, Graph's Request_ResourceNotFound), in seconds. */
  replicationWaitSeconds: number;
  /** Ask Azure DevOps to verify the connection after the writes (verifyConnection), waiting at most this long; undefined: do not verify. */
  verify?: { timeoutSeconds: number };
}

/** Default and bounds of replicationWaitSeconds: Entra replication takes "up to several minutes". */
export const REPLICATION_WAIT_SECONDS = { default: 120, min: 1, max: 3600 } as const;

/** Default and bounds of verifyTimeoutSeconds: a new federated credential or role assignment takes seconds to a few minutes to be honoured. */
export const VERIFY_TIMEOUT_SECONDS = { default: 300, min: 1, max: 3600 } as const;

/** A user-assigned managed identity in a resource group. */
export interface ManagedIdentityRequest extends RequestCommon {
  identityType: 'managedIdentity';
  identity: {
    resourceGroup: string;
    name: string;
    location?: string;
    /** The default name an earlier version gave this connection's identity, when it differs (resourceNames.ts). */
    earlierName?: string;
  };
}

/** An Entra application registration with its service principal, through Microsoft Graph. */
export interface AppRegistrationRequest extends RequestCommon {
  identityType: 'appRegistration';
  application: { displayName: string };
}

export type ProvisioningRequest = ManagedIdentityRequest | AppRegistrationRequest;

/** A pipeline definition as the user names it: by id, or by name with an optional folder (`\apps`). */
export type PipelineReference = { id: number } | { name: string; folder?: string };

export const SUPPORTED_SCHEMES = ['WorkloadIdentityFederation', 'ServicePrincipal', 'ManagedServiceIdentity'] as const;
/** authenticationType values of a ServicePrincipal connection. */
export const SUPPORTED_AUTHENTICATION_TYPES = ['spnKey', 'spnCertificate'] as const;
/** The command line's sign-in scheme: set by src/cli.ts only, never read from a pipeline endpoint. */
export const SIGNED_IN_SCHEME = 'DefaultAzureCredential';
export const DEVOPS_AUTH = ['jobAccessToken', 'bootstrapIdentity', 'personalAccessToken'] as const;

/** A control character (C0), which no name or id may hold. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f]/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftresources */
const RESOURCE_GROUP = /^[-\w.()\p{L}\p{N}]{1,90}$/u;
/** https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity */
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;
/**
 * Graph publishes no length limit for an application's display name (*uncertain*); 256 keeps a typo'd
 * paste out, and a longer name Graph refuses still fails with Graph's own message.
 */
const APPLICATION_NAME_MAX = 256;
/** https://learn.microsoft.com/azure/governance/management-groups/create-management-group-rest-api: up to 90 characters. */
const MANAGEMENT_GROUP_ID = /^[-\w.()]{1,90}$/;
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

export function parseRequest(raw: RawTask): ProvisioningRequest {
  const input = (name: InputName): string => (raw.inputs[name] ?? '').trim();
  const required = (name: InputName): string => {
    const value = input(name);
    if (!value) throw new InputError(name, 'is required.');
    return value;
  };
  const oneOf = <T extends string>(name: InputName, allowed: readonly T[], fallback: T): T => {
    const value = input(name) || fallback;
    const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!match) throw new InputError(name, `has the unsupported value '${value}'. Supported values are: ${allowed.join(', ')}.`);
    return match;
  };

  const connectionName = required('connectionName');
  if (connectionName.length > 256 || CONTROL_CHARACTER.test(connectionName)) {
    throw new InputError('connectionName', 'must be at most 256 printable characters.');
  }

  const bootstrap = parseBootstrap(raw);

  const subscriptionId = input('subscriptionId') || raw.bootstrap.data.subscriptionId || '';
  if (!GUID.test(subscriptionId)) {
    throw new InputError(
      'subscriptionId',
      subscriptionId
        ? `'${subscriptionId}' is not a subscription id; use its GUID, e.g. 00000000-0000-0000-0000-000000000000.`
        : 'is required: the bootstrap connection names no subscription.',
    );
  }
  const resourceGroup = optionalResourceGroup('resourceGroup', input('resourceGroup'));
  const identityType = oneOf('identityType', IDENTITY_TYPES, 'managedIdentity');
  const managementGroup = parseManagementGroup(input('managementGroupId'), input('managementGroupName'), resourceGroup);

  const organizationUrl = parseOrganizationUrl(required('organizationUrl'));
  const devopsAuth = parseDevOpsAuth(oneOf('devOpsAuth', DEVOPS_AUTH, 'jobAccessToken'), input('devOpsTokenVariable'), raw.devOpsTokenVariable);
  const accessToken = raw.accessToken ?? '';
  const jobTokenNeeded = devopsAuth.kind === 'jobAccessToken' || bootstrap.auth.scheme === 'WorkloadIdentityFederation';
  if (!accessToken && jobTokenNeeded) {
    throw new InputError(
      devopsAuth.kind === 'jobAccessToken' ? 'organizationUrl' : 'bootstrapConnection',
      `cannot be ${devopsAuth.kind === 'jobAccessToken' ? 'reached' : 'used'}: the job has no access token. In a YAML pipeline the token is always available; in the classic editor enable "Allow scripts to access the OAuth token".`,
    );
  }

  const subscription = subscriptionId.toLowerCase();
  const roleDefinitionName = input('roleDefinitionName') || 'Contributor';
  const scope = managementGroup
    ? `/providers/Microsoft.Management/managementGroups/${managementGroup.id}`
    : resourceGroup
      ? `/subscriptions/${subscription}/resourceGroups/${resourceGroup}`
      : `/subscriptions/${subscription}`;
  const additionalRoles = distinctGrants(parseRoleAssignments(raw.inputs.roleAssignments ?? '', subscription), { role: roleDefinitionName, scope });

  const common: RequestCommon = {
    connectionName,
    connectionDescription: input('connectionDescription'),
    existingConnection: oneOf('existingConnection', ['reuse', 'fail'] as const, 'reuse'),
    bootstrap,
    azure: {
      subscriptionId: subscription,
      subscriptionName: input('subscriptionName') || undefined,
      resourceGroup,
      roleDefinitionName,
      managementGroup,
      scope,
      additionalRoles,
    },
    devops: {
      organizationUrl: organizationUrl.url,
      organization: organizationUrl.name,
      project: required('project'),
      accessToken,
      shareWithProjects: lines(input('shareWithProjects')).map((line) => checkedName('shareWithProjects', line)),
      authorizeAllPipelines: parseBoolean('authorizeAllPipelines', input('authorizeAllPipelines')),
      authorizePipelines: uniquePipelines(lines(input('authorizePipelines')).map(parsePipelineReference)),
    },
    checks: parseChecks(input),
    devopsAuth,
    network: parseNetwork(raw.network),
    dryRun: parseBoolean('dryRun', input('dryRun')),
    replicationWaitSeconds: parseSeconds('replicationWaitSeconds', input('replicationWaitSeconds'), REPLICATION_WAIT_SECONDS),
    // verifyConnection defaults to true (task.json): an empty input is the default, not false.
    verify:
      input('verifyConnection') === '' || parseBoolean('verifyConnection', input('verifyConnection'))
        ? { timeoutSeconds: parseSeconds('verifyTimeoutSeconds', input('verifyTimeoutSeconds'), VERIFY_TIMEOUT_SECONDS) }
        : undefined,
  };
  if (identityType === 'appRegistration') {
    return { ...common, identityType, application: { displayName: parseApplicationName(input('applicationName'), connectionName) } };
  }
  return { ...common, identityType, identity: parseManagedIdentity(input, required, connectionName) };
}

/** The managed identity inputs; only the managed identity needs a resource group of its own. */
function parseManagedIdentity(
  input: (name: InputName) => string,
  required: (name: InputName) => string,
  connectionName: string,
): ManagedIdentityRequest['identity'] {
  const resourceGroup = optionalResourceGroup('identityResourceGroup', required('identityResourceGroup'))!;
  const name = input('identityName') || defaultIdentityName(connectionName);
  if (!IDENTITY_NAME.test(name)) {
    throw new InputError(
      'identityName',
      `'${name}' is not a valid managed identity name: use 3-128 letters, digits, hyphens and underscores, starting with a letter or digit.`,
    );
  }
  const location = input('identityLocation').replace(/\s+/g, '').toLowerCase() || undefined;
  if (location && !/^[a-z0-9]+$/.test(location)) {
    throw new InputError('identityLocation', `'${location}' is not an Azure location name, e.g. westeurope.`);
  }
  const earlier = input('identityName') ? undefined : earlierDefaultIdentityName(connectionName);
  return { resourceGroup, name, location, ...(earlier && earlier.toLowerCase() !== name.toLowerCase() ? { earlierName: earlier } : {}) };
}

function parseApplicationName(value: string, connectionName: string): string {
  const name = value || defaultApplicationName(connectionName);
  if (name.length > APPLICATION_NAME_MAX || CONTROL_CHARACTER.test(name)) {
    throw new InputError('applicationName', `must be at most ${APPLICATION_NAME_MAX} printable characters.`);
  }
  return name;
}

/** A multi-line input: one value per line, trimmed, empty lines dropped, repeats (ignoring case) dropped. */
export function lines(value: string): string[] {
  const seen = new Set<string>();
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !seen.has(line.toLowerCase()) && seen.add(line.toLowerCase()));
}

/** The Approvals and checks inputs. */
function parseChecks(input: (name: InputName) => string): RequestCommon['checks'] {
  const approvers = lines(input('approvers')).map((line) => checkedName('approvers', line));
  const whole = (name: InputName, fallback: number, min: number, max: number, meaning: string): number => {
    const text = input(name) || String(fallback);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InputError(name, `has the value '${text}'; use a whole number from ${min} to ${max} (${meaning}, default ${fallback}).`);
    }
    return value;
  };
  const approvalTimeoutMinutes = whole('approvalTimeoutMinutes', 43200, 1, 43200, 'minutes');
  const minimumApprovers = whole('minimumApprovers', 0, 0, Math.max(approvers.length, 0), '0 for every approver, at most the number of approvers lines');
  const allowedBranches = input('allowedBranches')
    .split(',')
    .map((branch) => branch.trim())
    .filter(Boolean);
  for (const branch of allowedBranches) {
    if (CONTROL_CHARACTER.test(branch) || /\s/.test(branch) || branch.length > 400) {
      throw new InputError(
        'allowedBranches',
        `has '${branch.slice(0, 40)}', which is not a ref; write refs separated by commas, e.g. refs/heads/main, refs/heads/release/*.`,
      );
    }
  }
  return {
    approvers,
    approvalInstructions: input('approvalInstructions'),
    approvalTimeoutMinutes,
    minimumApprovers,
    allowedBranches,
    requireBranchProtection: parseBoolean('requireBranchProtection', input('requireBranchProtection')),
  };
}

/** The agent hands a boolean input over as text; task-lib's getBoolInput reads 'true' in any case. */
function parseBoolean(name: string, value: string): boolean {
  if (/^true$/i.test(value)) return true;
  if (value === '' || /^false$/i.test(value)) return false;
  throw new InputError(name, `has the value '${value}'. Supported values are: true, false.`);
}

function parseSeconds(name: InputName, value: string, bounds: { default: number; min: number; max: number }): number {
  const text = value || String(bounds.default);
  const seconds = Number(text);
  if (!/^\d+$/.test(text) || seconds < bounds.min || seconds > bounds.max) {
    throw new InputError(name, `has the value '${text}'; use a whole number of seconds from ${bounds.min} to ${bounds.max} (default ${bounds.default}).`);
  }
  return seconds;
}

function checkedName(input: string, value: string): string {
  if (value.length > 260 || CONTROL_CHARACTER.test(value)) {
    throw new InputError(input, `has the line '${value.slice(0, 40)}', which is not a name or id.`);
  }
  return value;
}

/**
 * One line of authorizePipelines: a definition id (digits), or a name, optionally in a folder written as
 * Azure DevOps shows folders (`\apps\app1-deploy`; `/` is accepted as the separator too).
 */
export function parsePipelineReference(line: string): PipelineReference {
  checkedName('authorizePipelines', line);
  if (/^\d+$/.test(line)) {
    const id = Number(line);
    if (id < 1 || id > 2 ** 31 - 1) throw new InputError('authorizePipelines', `has the id ${line}, which is not a pipeline definition id.`);
    return { id };
  }
  const segments = line.split(/[\\/]/).map((segment) => segment.trim());
  const name = segments.pop() ?? '';
  if (!name) throw new InputError('authorizePipelines', `has the line '${line}', which names a folder but no pipeline.`);
  const folder = segments.filter(Boolean).join('\\');
  return folder ? { name, folder: `\\${folder}` } : { name };
}

/** A pipeline reference as the log shows it: `12`, `'app1-deploy'`, `'\apps\app1-deploy'`. */
export function describePipeline(reference: PipelineReference): string {
  if ('id' in reference) return String(reference.id);
  return `'${reference.folder ? `${reference.folder}\\` : ''}${reference.name}'`;
}

function uniquePipelines(references: PipelineReference[]): PipelineReference[] {
  const key = (r: PipelineReference): string => ('id' in r ? `#${r.id}` : `${r.folder ?? ''}\\${r.name}`.toLowerCase());
  return references.filter((reference, index) => references.findIndex((other) => key(other) === key(reference)) === index);
}

function parseManagementGroup(id: string, name: string, resourceGroup: string | undefined): ProvisioningRequest['azure']['managementGroup'] {
  if (!id) {
    if (name) throw new InputError('managementGroupName', 'is set without managementGroupId; name the management group by its id too.');
    return undefined;
  }
  if (!MANAGEMENT_GROUP_ID.test(id) || id.endsWith('.')) {
    throw new InputError(
      'managementGroupId',
      `'${id}' is not a management group id: use up to 90 letters, digits, hyphens, underscores, periods and parentheses (the id, not the display name).`,
    );
  }
  if (resourceGroup) {
    throw new InputError(
      'resourceGroup',
      'cannot be combined with managementGroupId: a connection is scoped to a management group, or to a subscription or one of its resource groups.',
    );
  }
  return { id, name: name || undefined };
}

function parseDevOpsAuth(kind: DevOpsAuth['kind'], variable: string, value: RawTask['devOpsTokenVariable']): DevOpsAuth {
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
function parseNetwork(raw: RawTask['network']): AgentNetworkSettings {
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

function optionalResourceGroup(name: string, value: string): string | undefined {
  if (!value) return undefined;
  if (!RESOURCE_GROUP.test(value) || value.endsWith('.')) {
    throw new InputError(
      name,
      `'${value}' is not a valid resource group name: use 1-90 letters, digits, underscores, hyphens, periods and parentheses, not ending in a period.`,
    );
  }
  return value;
}

function parseBootstrap(raw: RawTask): ProvisioningRequest['bootstrap'] {
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
    // Named by the command line's flag (src/cli.ts turns 'tenantId' into --tenant-id).
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
