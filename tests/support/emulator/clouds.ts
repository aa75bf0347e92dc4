/**
 * The clouds the emulator can pose as. The public cloud is served on loopback addresses (the agent hands
 * the task those URLs directly); a sovereign cloud is served under its real host names, which the task
 * reaches through the emulator's proxy (proxy.ts) the way an agent behind a corporate proxy reaches them.
 *
 * Host names and audiences are those `az cloud show --name <cloud>` prints (endpoints.activeDirectory,
 * resourceManager, activeDirectoryResourceId, microsoftGraphResourceId). The v1 token issuer is
 * https://sts.windows.net/{tenant}/ in the public and US Government clouds and
 * https://sts.chinacloudapi.cn/{tenant}/ in the China cloud (uncertain for US Government: tokens seen in
 * the wild there carry sts.windows.net).
 */

export type CloudName = 'AzureCloud' | 'AzureUSGovernment' | 'AzureChinaCloud';

export interface CloudProfile {
  environment: CloudName;
  /** Public host names; undefined: served on the loopback address. */
  hosts?: { login: string[]; arm: string };
  /** The audience Azure DevOps writes into endpoint data (activeDirectoryServiceEndpointResourceId). */
  armAudience: string;
  /** Every audience ARM accepts, verbatim from its InvalidAuthenticationTokenAudience message. */
  armAudiences: string[];
  graphUrl: string;
  /** Issuer of v1 access tokens, with a trailing slash; the tenant id follows. */
  stsIssuer: string;
}

export const CLOUDS: Record<CloudName, CloudProfile> = {
  AzureCloud: {
    environment: 'AzureCloud',
    armAudience: 'https://management.core.windows.net/',
    armAudiences: [
      'https://management.core.windows.net/',
      'https://management.core.windows.net',
      'https://management.azure.com/',
      'https://management.azure.com',
    ],
    graphUrl: 'https://graph.microsoft.com/',
    stsIssuer: 'https://sts.windows.net/',
  },
  AzureUSGovernment: {
    environment: 'AzureUSGovernment',
    hosts: { login: ['login.microsoftonline.us'], arm: 'management.usgovcloudapi.net' },
    armAudience: 'https://management.core.usgovcloudapi.net/',
    armAudiences: [
      'https://management.core.usgovcloudapi.net/',
      'https://management.core.usgovcloudapi.net',
      'https://management.usgovcloudapi.net/',
      'https://management.usgovcloudapi.net',
    ],
    graphUrl: 'https://graph.microsoft.us/',
    stsIssuer: 'https://sts.windows.net/',
  },
  AzureChinaCloud: {
    environment: 'AzureChinaCloud',
    // MSAL knows login.partner.microsoftonline.cn as the preferred alias of login.chinacloudapi.cn
    // (msal-common rawMetdataJSON); both names reach the same service.
    hosts: { login: ['login.chinacloudapi.cn', 'login.partner.microsoftonline.cn'], arm: 'management.chinacloudapi.cn' },
    armAudience: 'https://management.core.chinacloudapi.cn/',
    armAudiences: [
      'https://management.core.chinacloudapi.cn/',
      'https://management.core.chinacloudapi.cn',
      'https://management.chinacloudapi.cn/',
      'https://management.chinacloudapi.cn',
    ],
    graphUrl: 'https://microsoftgraph.chinacloudapi.cn/',
    stsIssuer: 'https://sts.chinacloudapi.cn/',
  },
};

/** Every public host name the emulator may serve: its certificate names them all. */
export const SOVEREIGN_HOSTS: readonly string[] = Object.values(CLOUDS).flatMap((c) => (c.hosts ? [...c.hosts.login, c.hosts.arm] : []));
