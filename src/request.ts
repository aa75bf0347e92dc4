/**
 * The task's inputs become one typed, validated request here, before the first network call.
 * Pure: the agent module reads the raw values, this module only judges them.
 */
import { Cloud, cloudFromEndpoint, withSlash } from './cloud';
import { InputError } from './errors';
import { defaultApplicationName, defaultIdentityName } from './naming';

/** Raw values as the agent hands them over (task-lib reads them). */
export interface RawTask {
  inputs: Record<string, string | undefined>;
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
}

export type BootstrapAuth =
  | { scheme: 'WorkloadIdentityFederation'; tenantId: string; clientId: string; oidcRequestUri: string }
  | { scheme: 'ServicePrincipal'; tenantId: string; clientId: string; clientSecret: string };

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
    /** ARM id of the role scope: the subscription or the resource group. */
    scope: string;
  };
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
}

/** A user-assigned managed identity in a resource group. */
export interface ManagedIdentityRequest extends RequestCommon {
  identityType: 'managedIdentity';
  identity: { resourceGroup: string; name: string; location?: string };
}

/** An Entra application registration with its service principal, through Microsoft Graph. */
export interface AppRegistrationRequest extends RequestCommon {
  identityType: 'appRegistration';
  application: { displayName: string };
}

export type ProvisioningRequest = ManagedIdentityRequest | AppRegistrationRequest;

/** A pipeline definition as the user names it: by id, or by name with an optional folder (`\apps`). */
export type PipelineReference = { id: number } | { name: string; folder?: string };

export const SUPPORTED_SCHEMES = ['WorkloadIdentityFederation', 'ServicePrincipal'] as const;

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

export function parseRequest(raw: RawTask): ProvisioningRequest {
  const input = (name: string): string => (raw.inputs[name] ?? '').trim();
  const required = (name: string): string => {
    const value = input(name);
    if (!value) throw new InputError(name, 'is required.');
    return value;
  };
  const oneOf = <T extends string>(name: string, allowed: readonly T[], fallback: T): T => {
    const value = input(name) || fallback;
    const match = allowed.find((a) => a.toLowerCase() === value.toLowerCase());
    if (!match) throw new InputError(name, `has the unsupported value '${value}'. Supported values are: ${allowed.join(', ')}.`);
    return match;
  };

  const connectionName = required('connectionName');
  if (connectionName.length > 256 || /[\u0000-\u001f]/.test(connectionName)) {
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

  const organizationUrl = parseOrganizationUrl(required('organizationUrl'));
  const accessToken = raw.accessToken ?? '';
  if (!accessToken) {
    throw new InputError(
      'organizationUrl',
      'cannot be reached: the job has no access token. In a YAML pipeline the token is always available; in the classic editor enable "Allow scripts to access the OAuth token".',
    );
  }

  const common: RequestCommon = {
    connectionName,
    connectionDescription: input('connectionDescription'),
    existingConnection: oneOf('existingConnection', ['reuse', 'fail'] as const, 'reuse'),
    bootstrap,
    azure: {
      subscriptionId: subscriptionId.toLowerCase(),
      subscriptionName: input('subscriptionName') || undefined,
      resourceGroup,
      roleDefinitionName: input('roleDefinitionName') || 'Contributor',
      scope: resourceGroup
        ? `/subscriptions/${subscriptionId.toLowerCase()}/resourceGroups/${resourceGroup}`
        : `/subscriptions/${subscriptionId.toLowerCase()}`,
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
  };
  if (identityType === 'appRegistration') {
    return { ...common, identityType, application: { displayName: parseApplicationName(input('applicationName'), connectionName) } };
  }
  return { ...common, identityType, identity: parseManagedIdentity(input, required, connectionName) };
}

/** The managed identity inputs; only the managed identity needs a resource group of its own. */
function parseManagedIdentity(
  input: (name: string) => string,
  required: (name: string) => string,
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
  return { resourceGroup, name, location };
}

function parseApplicationName(value: string, connectionName: string): string {
  const name = value || defaultApplicationName(connectionName);
  if (name.length > APPLICATION_NAME_MAX || /[\u0000-\u001f]/.test(name)) {
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

/** The agent hands a boolean input over as text; task-lib's getBoolInput reads 'true' in any case. */
function parseBoolean(name: string, value: string): boolean {
  if (/^true$/i.test(value)) return true;
  if (value === '' || /^false$/i.test(value)) return false;
  throw new InputError(name, `has the value '${value}'. Supported values are: true, false.`);
}

function checkedName(input: string, value: string): string {
  if (value.length > 260 || /[\u0000-\u001f]/.test(value)) {
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
  if (!tenantId || !clientId) {
    throw new InputError('bootstrapConnection', 'has no tenant id or service principal id; pick an Azure Resource Manager service connection.');
  }
  const cloud = cloudFromEndpoint({ url: raw.bootstrap.url, ...raw.bootstrap.data });
  if (!cloud.authorityHost.startsWith('https:')) {
    throw new InputError('bootstrapConnection', `has the authority '${cloud.authorityHost}'; Entra ID is only reached over https.`);
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
      const authenticationType = (p.authenticationType ?? 'spnKey').toLowerCase();
      if (authenticationType !== 'spnkey' || !p.serviceprincipalkey) {
        throw new InputError(
          'bootstrapConnection',
          `uses a service principal with authentication type '${p.authenticationType}'; supported: a client secret (spnKey).`,
        );
      }
      return { endpointId, cloud, auth: { scheme: 'ServicePrincipal', tenantId, clientId, clientSecret: p.serviceprincipalkey } };
    }
    default:
      throw new InputError(
        'bootstrapConnection',
        `uses the authentication scheme '${scheme}'. Supported schemes are: ${SUPPORTED_SCHEMES.join(', ')}.`,
      );
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
  const name = visualStudio ? visualStudio[1] : segments[segments.length - 1] ?? url.hostname;
  return { url: withSlash(`${url.origin}${url.pathname}`), name: name.toLowerCase() };
}
