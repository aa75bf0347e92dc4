/**
 * The RawTask the task would get, made from the command line and this machine: the cloud, the tenant and
 * subscription, the personal access token's variable and the proxy. The person's own sign-in is the
 * bootstrap credential (BootstrapAuth 'DefaultAzureCredential').
 */
import { readCloudMetadata } from './cloudMetadata';
import { cloudFromMetadata, knownCloud, withSlash, type Cloud } from '../cloud';
import type { Clock } from '../clock';
import { ServiceError } from '../errors';
import type { RawTask } from '../rawTask';
import { SIGNED_IN_SCHEME } from '../requestAccess';
import { azureCliAccount } from './azureCliAccount';
import { type CommandLine, UsageError } from './flags';
import { networkFromEnvironment } from './networkFromEnvironment';

/** The endpoint data the task reads from a bootstrap connection, for a cloud the command line found. */
function cloudData(cloud: Cloud): RawTask['bootstrap']['data'] {
  return {
    environment: cloud.environment,
    resourceManagerUrl: cloud.resourceManagerUrl,
    activeDirectoryAuthority: cloud.authorityHost,
    microsoftGraphUrl: cloud.graphUrl,
    activeDirectoryServiceEndpointResourceId: cloud.resourceManagerAudience,
  };
}

/**
 * The RawTask the task would get, from the command line and this machine: the cloud (a known one, or read
 * from ARM's metadata endpoint), the tenant and subscription (flags, AZURE_TENANT_ID, the Azure CLI), the
 * PAT from its environment variable, the proxy from the environment.
 */
export async function rawTask(commandLine: CommandLine, env: NodeJS.ProcessEnv, clock: Clock): Promise<RawTask> {
  const network = networkFromEnvironment(env);
  let cloud: Cloud;
  if (commandLine.resourceManagerUrl) {
    let armUrl: URL;
    try {
      armUrl = new URL(commandLine.resourceManagerUrl);
    } catch {
      throw new UsageError(`--resource-manager-url '${commandLine.resourceManagerUrl}' is not a URL; e.g. https://management.azure.com/.`);
    }
    if (armUrl.protocol !== 'https:') throw new UsageError(`--resource-manager-url '${commandLine.resourceManagerUrl}' is not an https URL.`);
    const metadata = await readCloudMetadata(withSlash(armUrl.toString()), settingsOf(network), clock);
    const found = cloudFromMetadata(withSlash(armUrl.toString()), metadata);
    if (!found) {
      throw new ServiceError('the answer names no login endpoint or audience', {
        operation: `read the cloud's endpoints from ${armUrl.origin}/metadata/endpoints`,
        hint: 'Check --resource-manager-url: it must be the Azure Resource Manager URL of an Azure cloud, e.g. https://management.azure.com/',
      });
    }
    cloud = found;
  } else {
    cloud = knownCloud(commandLine.cloud ?? 'AzureCloud')!;
  }
  // Every Azure SDK reads AZURE_AUTHORITY_HOST as the authority to sign in at; so does this command.
  if (env.AZURE_AUTHORITY_HOST) cloud = { ...cloud, authorityHost: withSlash(env.AZURE_AUTHORITY_HOST) };

  let tenantId = commandLine.tenantId || env.AZURE_TENANT_ID || undefined;
  let subscriptionId = commandLine.inputs.subscriptionId || undefined;
  // Only provisioning works in a subscription; an inventory reads what the connections name.
  const needsSubscription = (commandLine.inputs.action ?? 'provision').toLowerCase() === 'provision';
  if (!tenantId || (!subscriptionId && needsSubscription)) {
    const account = await azureCliAccount();
    const problem = 'problem' in account ? account.problem : undefined;
    // Nobody signed in is the cause to name first: asking for --subscription-id, then --tenant-id, then
    // failing at the sign-in would take three tries to get there.
    if (problem !== undefined && !environmentSignIn(env)) {
      throw new UsageError(
        `Not signed in: neither the environment (AZURE_CLIENT_ID with AZURE_CLIENT_SECRET, AZURE_CLIENT_CERTIFICATE_PATH or AZURE_FEDERATED_TOKEN_FILE) nor the Azure CLI (${problem}) has a sign-in. Sign in with az login${tenantId ? ` --tenant ${tenantId}` : ''}, or set AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET (or AZURE_FEDERATED_TOKEN_FILE) for a CI identity; then run the command again.`,
      );
    }
    if (!('problem' in account)) {
      tenantId ??= account.tenantId;
      subscriptionId ??= account.id;
    }
    if (!subscriptionId && needsSubscription) {
      throw new UsageError(
        `--subscription-id is required: the Azure CLI names no current subscription${problem ? ` (${problem})` : ''}. Give --subscription-id, or sign in with az login.`,
      );
    }
    if (!tenantId) throw new UsageError(`--tenant-id is required: neither AZURE_TENANT_ID nor the Azure CLI names a tenant${problem ? ` (${problem})` : ''}.`);
  }

  const variable = (commandLine.inputs.devOpsTokenVariable ?? '').trim();
  const personal = commandLine.inputs.devOpsAuth?.trim().toLowerCase() === 'personalaccesstoken';
  if (personal && variable && /^[A-Za-z_]\w*$/.test(variable) && !env[variable]) {
    throw new UsageError(`--devops-token-variable names the environment variable '${variable}', which is not set; put the personal access token in it.`);
  }
  return {
    inputs: { ...commandLine.inputs, subscriptionId },
    bootstrap: {
      id: 'signed-in credential',
      url: cloud.resourceManagerUrl,
      scheme: SIGNED_IN_SCHEME,
      parameters: { tenantid: tenantId },
      data: cloudData(cloud),
    },
    // An environment variable is as secret as the task's secret variables: never on the command line, never printed.
    devOpsTokenVariable: personal && variable ? { value: env[variable], secret: true } : undefined,
    network,
  };
}

/** Whether the environment holds a sign-in DefaultAzureCredential reads (EnvironmentCredential, WorkloadIdentityCredential). */
export function environmentSignIn(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.AZURE_CLIENT_ID && (env.AZURE_CLIENT_SECRET || env.AZURE_CLIENT_CERTIFICATE_PATH || env.AZURE_FEDERATED_TOKEN_FILE));
}

function settingsOf(network: RawTask['network']): { proxy?: { url: string; username?: string; password?: string; bypass: string[] } } {
  if (!network?.proxyUrl) return {};
  return { proxy: { url: network.proxyUrl, username: network.proxyUsername, password: network.proxyPassword, bypass: network.proxyBypassHosts ?? [] } };
}
