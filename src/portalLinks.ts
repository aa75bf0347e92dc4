/**
 * The web pages a summary links to, built here from ids this task validated, never from text a service
 * sent: the connection's settings page in Azure DevOps, and the Azure portal pages of the identity and of
 * the scopes it holds roles at, in the connection's cloud. A value that is not the id it should be gives no
 * link (undefined), and the summary shows the name as text.
 */
import { GUID } from './inputValues';

/**
 * The Azure portal of each cloud Azure DevOps names (the endpoint's `environment`): portal.azure.com;
 * the Azure Government portal https://portal.azure.us ("Compare Azure Government and global Azure",
 * learn.microsoft.com/azure/azure-government/compare-azure-government-global-azure, Azure portal: portal.azure.us);
 * Azure operated by 21Vianet https://portal.azure.cn (docs.azure.cn "Azure portal endpoints" of the sovereign
 * cloud pages, e.g. /ai-services/translator/sovereign-clouds). Another cloud (--resource-manager-url) has no
 * portal we know of: no portal links.
 */
const PORTALS: Record<string, string> = {
  azurecloud: 'https://portal.azure.com',
  azureusgovernment: 'https://portal.azure.us',
  azurechinacloud: 'https://portal.azure.cn',
};

/** An ARM id: segments of the characters ARM names use (letters, digits, `.`, `_`, `-`, `(`, `)`), no `..`. */
const ARM_ID = /^(\/[A-Za-z0-9._()-]+)+$/;

export function portalHost(environment: string): string | undefined {
  return PORTALS[environment.toLowerCase()];
}

/**
 * The portal's page of an ARM resource, subscription, resource group or management group: the
 * `#@{tenant}/resource{id}` route the portal itself puts in its address bar, opened in the tenant; with
 * `blade`, one of its menu pages (`users` is Access control (IAM), where the role assignments are).
 */
export function armPage(environment: string, tenantId: string, armId: string, blade?: 'users'): string | undefined {
  const portal = portalHost(environment);
  if (!portal || !GUID.test(tenantId) || !ARM_ID.test(armId) || armId.includes('..')) return undefined;
  return `${portal}/#@${tenantId}/resource${armId}${blade ? `/${blade}` : ''}`;
}

/**
 * The portal's page of an app registration (Entra ID, App registrations, the application), by its
 * application (client) id, in the tenant: the `#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade`
 * route of the portal's address bar, under the `/{tenant}` path that selects the directory.
 */
export function applicationPage(environment: string, tenantId: string, appId: string): string | undefined {
  const portal = portalHost(environment);
  if (!portal || !GUID.test(tenantId) || !GUID.test(appId)) return undefined;
  return `${portal}/${tenantId}/#view/Microsoft_AAD_RegisteredApps/ApplicationMenuBlade/~/Overview/appId/${appId}`;
}

/**
 * The service connection's page in Azure DevOps (Project settings, Service connections, the connection):
 * `{organization}/{project}/_settings/adminservices?resourceId={connection id}`, the address the web UI
 * opens for it (Microsoft's AzSK.ADO scanner links connections the same way, by project id). The
 * organization URL is the request's, validated by parseOrganizationUrl; the project and connection by id.
 */
export function connectionPage(organizationUrl: string, projectId: string, connectionId: string): string | undefined {
  if (!GUID.test(projectId) || !GUID.test(connectionId)) return undefined;
  let organization: URL;
  try {
    organization = new URL(organizationUrl);
  } catch {
    return undefined;
  }
  if (organization.protocol !== 'https:' || organization.search || organization.hash || organization.username) return undefined;
  const base = organization.href.replace(/\/+$/, '');
  return `${base}/${projectId}/_settings/adminservices?resourceId=${connectionId}`;
}
