/**
 * The task's inputs become one typed, validated request here, before the first network call: the
 * request's types, parseRequest (the entry) and the inputs about the identity, its scope and the
 * pipelines. Pure: src/taskInputs.ts (the pipeline) or src/commandLine/ (the terminal) makes the raw
 * values, this module and its parts only judge them: src/requestAccess.ts (bootstrap connection,
 * organization, Azure DevOps credential, network), src/requestChecks.ts (approvals and checks),
 * src/inputValues.ts (validators of single values).
 */
import { InputError } from './errors';
import { distinctGrants, parseRoleAssignments, type RoleGrant } from './grants';
import type { InputName } from './inputNames';
import { checkedName, CONTROL_CHARACTER, GUID, lines, optionalResourceGroup, parseBoolean, parseSeconds } from './inputValues';
import type { AgentNetworkSettings } from './network';
import type { RawTask } from './rawTask';
import { type BootstrapRequest, type DevOpsAuth, parseBootstrap, parseDevOpsAccess, parseNetwork } from './requestAccess';
import { type ChecksRequest, parseChecks } from './requestChecks';
import { defaultApplicationName, defaultIdentityName, earlierDefaultIdentityName } from './resourceNames';

const IDENTITY_TYPES = ['managedIdentity', 'appRegistration'] as const;

/** What every request carries, whatever the identity behind the connection. */
interface RequestCommon {
  connectionName: string;
  connectionDescription: string;
  existingConnection: 'reuse' | 'fail';
  bootstrap: BootstrapRequest;
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
  checks: ChecksRequest;

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
const REPLICATION_WAIT_SECONDS = { default: 120, min: 1, max: 3600 } as const;

/** Default and bounds of verifyTimeoutSeconds: a new federated credential or role assignment takes seconds to a few minutes to be honoured. */
const VERIFY_TIMEOUT_SECONDS = { default: 300, min: 1, max: 3600 } as const;

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

/** https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity */
const IDENTITY_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{2,127}$/;
/**
 * Graph publishes no length limit for an application's display name (*uncertain*); 256 keeps a typo'd
 * paste out, and a longer name Graph refuses still fails with Graph's own message.
 */
const APPLICATION_NAME_MAX = 256;
/** https://learn.microsoft.com/azure/governance/management-groups/create-management-group-rest-api: up to 90 characters. */
const MANAGEMENT_GROUP_ID = /^[-\w.()]{1,90}$/;

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

  const { devopsAuth, devops } = parseDevOpsAccess(raw, input, bootstrap);

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
      ...devops,
      project: required('project'),
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
