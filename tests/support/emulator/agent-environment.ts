/**
 * The environment the Azure Pipelines agent gives a task's process, as this emulated world would set it.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CloudProfile } from './clouds';
import type { BootstrapScheme, ServiceUrls, World } from './world';

/** What the agent knows of its machine and job. */
export interface AgentFacts {
  world: World;
  urls: ServiceUrls;
  cloud: CloudProfile;
  bootstrapScheme: BootstrapScheme;
  /** Where the agent's work, temp and sources directories are made. */
  workDirectory: string;
  /** The CA file the machine trusts (NODE_EXTRA_CA_CERTS). */
  caFile: string;
  /** The machine's managed identity endpoint. */
  imdsUrl: string;
  /** The proxy the agent sits behind, when it does. */
  proxy?: { url: string; credentials?: { username: string; password: string } };
}

/**
 * Every variable the agent would give the task, except INPUT_*: the bootstrap endpoint (as
 * ENDPOINT_URL_/AUTH_/DATA_ variables, see microsoft/azure-pipelines-agent Handler.AddEndpointsToEnvironment),
 * the job's SystemVssConnection, the System.* variables, the agent's proxy settings (Agent.ProxyUrl,
 * Agent.ProxyUsername, and Agent.ProxyPassword as a secret variable) when it sits behind one,
 * NODE_EXTRA_CA_CERTS, and the machine's managed identity endpoint.
 */
export function agentEnvironment(agent: AgentFacts): Record<string, string> {
  const { world, urls, cloud } = agent;
  const id = world.bootstrap.connectionId;
  const orgUrl = world.organization.url;
  const scheme = agent.bootstrapScheme;
  const parameters: Record<string, string> = { tenantid: world.tenantId, serviceprincipalid: world.bootstrap.clientId };
  if (scheme === 'ServicePrincipal') {
    parameters.authenticationType = 'spnKey';
    parameters.serviceprincipalkey = world.bootstrap.clientSecret;
  } else if (scheme === 'ServicePrincipalCertificate') {
    parameters.authenticationType = 'spnCertificate';
    parameters.servicePrincipalCertificate = world.bootstrap.certificatePem ?? '';
  } else if (scheme === 'ManagedServiceIdentity') {
    delete parameters.serviceprincipalid;
  }
  const data: Record<string, string> = {
    environment: cloud.environment,
    scopeLevel: 'Subscription',
    subscriptionId: world.subscriptionId,
    subscriptionName: world.subscriptionName,
    creationMode: 'Manual',
    resourceManagerUrl: urls.arm,
    activeDirectoryAuthority: urls.login,
    environmentAuthorityUrl: urls.login,
    // A sovereign cloud's Graph is not emulated under its real name: its endpoint data names it anyway.
    microsoftGraphUrl: cloud.hosts ? cloud.graphUrl : urls.graph,
    activeDirectoryServiceEndpointResourceId: cloud.armAudience,
  };
  if (world.bootstrap.msiClientId) data.msiclientId = world.bootstrap.msiClientId;
  const { workDirectory } = agent;
  for (const sub of ['work', 'temp', 'work/s']) mkdirSync(join(workDirectory, sub), { recursive: true });

  const env: Record<string, string> = {
    [`ENDPOINT_URL_${id}`]: urls.arm,
    [`ENDPOINT_AUTH_${id}`]: JSON.stringify({ parameters, scheme: endpointScheme(scheme) }),
    [`ENDPOINT_AUTH_SCHEME_${id}`]: endpointScheme(scheme),
    [`ENDPOINT_DATA_${id}`]: JSON.stringify(data),
    ENDPOINT_URL_SYSTEMVSSCONNECTION: orgUrl,
    ENDPOINT_AUTH_SYSTEMVSSCONNECTION: JSON.stringify({ parameters: { AccessToken: world.jobAccessToken }, scheme: 'OAuth' }),
    ENDPOINT_AUTH_SCHEME_SYSTEMVSSCONNECTION: 'OAuth',
    ENDPOINT_AUTH_PARAMETER_SYSTEMVSSCONNECTION_ACCESSTOKEN: world.jobAccessToken,
    SYSTEM_COLLECTIONURI: orgUrl,
    SYSTEM_TEAMFOUNDATIONCOLLECTIONURI: orgUrl,
    SYSTEM_TEAMFOUNDATIONSERVERURI: orgUrl,
    SYSTEM_TEAMPROJECT: world.project.name,
    SYSTEM_TEAMPROJECTID: world.project.id,
    SYSTEM_HOSTTYPE: 'build',
    SYSTEM_PLANID: world.planId,
    SYSTEM_JOBID: world.jobId,
    SYSTEM_OIDCREQUESTURI: `${orgUrl}${world.project.id}/_apis/distributedtask/hubs/build/plans/${world.planId}/jobs/${world.jobId}/oidctoken`,
    SYSTEM_DEFAULTWORKINGDIRECTORY: join(workDirectory, 'work', 's'),
    AGENT_TEMPDIRECTORY: join(workDirectory, 'temp'),
    AGENT_WORKFOLDER: join(workDirectory, 'work'),
    AGENT_VERSION: '4.266.2',
    TF_BUILD: 'True',
    NODE_EXTRA_CA_CERTS: agent.caFile,
    // The machine's managed identity endpoint. On an Azure VM it is 169.254.169.254 and needs no variable;
    // this agent runs where the endpoint is elsewhere (AKS pod-managed identity), the one override that
    // @azure/identity's MSAL IMDS source honours (msal-node Imds.tryCreate).
    AZURE_POD_IDENTITY_AUTHORITY_HOST: agent.imdsUrl.replace(/\/$/, ''),
  };
  if (agent.proxy) {
    env.AGENT_PROXYURL = agent.proxy.url;
    if (agent.proxy.credentials) {
      env.AGENT_PROXYUSERNAME = agent.proxy.credentials.username;
      // The agent hands the proxy password to tasks as a secret variable.
      env.SECRET_AGENT_PROXYPASSWORD = agent.proxy.credentials.password;
      env.VSTS_SECRET_VARIABLES = JSON.stringify(['Agent.ProxyPassword']);
    }
  }
  for (const [key, value] of Object.entries(parameters)) env[`ENDPOINT_AUTH_PARAMETER_${id}_${envKey(key)}`] = value;
  for (const [key, value] of Object.entries(data)) env[`ENDPOINT_DATA_${id}_${envKey(key)}`] = value;
  return env;
}

/** The Azure DevOps scheme of a bootstrap connection: a certificate connection is a ServicePrincipal one. */
function endpointScheme(scheme: BootstrapScheme): string {
  return scheme === 'ServicePrincipalCertificate' ? 'ServicePrincipal' : scheme;
}

/** The agent's VarUtil.ConvertToEnvVariableFormat: upper-case, '.' and ' ' become '_'. */
function envKey(key: string): string {
  return key.replace(/[. ]/g, '_').toUpperCase();
}
