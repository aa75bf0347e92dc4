/**
 * A created connection used the way a later pipeline would use it, to prove it works: by the emulator's
 * self-tests, the in-process runs, the spawned runs and the demo.
 */
import { readFileSync } from 'node:fs';
import type { Emulator } from './emulator';
import { httpsRequest } from './emulator/client';
import { CLOUDS, type CloudName } from './emulator/clouds';

export interface ConnectionUse {
  /** Status of the last step reached: ARM's answer when all went well. */
  status: number;
  /** The ARM scope the connection targets. */
  scope: string;
  body: unknown;
  /** Which step answered: the OIDC token request, the token exchange at Entra, or ARM. */
  stage: 'oidc' | 'token' | 'arm';
}

/**
 * Uses a connection exactly as a later pipeline would: the job asks Azure DevOps for an OIDC token for
 * the connection, exchanges it at Entra for an ARM token as the connection's service principal (for the
 * audience of the connection's environment), and calls ARM at the connection's URL and scope (the resource
 * group, subscription or management group). All over real HTTPS; sovereign host names are reached on the
 * loopback address serving them.
 */
export async function useConnection(emu: Emulator, connectionId: string): Promise<ConnectionUse> {
  const { world, urls } = emu;
  const ca = readFileSync(emu.caFile, 'utf8');
  const connection = emu.state().serviceConnections.find((c) => c.id.toLowerCase() === connectionId.toLowerCase());
  if (!connection) throw new Error(`useConnection: no service connection with id ${connectionId}`);
  const parameters = connection.authorization.parameters;
  const managementGroup = connection.data.scopeLevel === 'ManagementGroup';
  const scope =
    parameters.scope ??
    (managementGroup
      ? `/providers/Microsoft.Management/managementGroups/${connection.data.managementGroupId}`
      : `/subscriptions/${connection.data.subscriptionId}`);
  const cloud = CLOUDS[connection.data.environment as CloudName];
  if (!cloud) throw new Error(`useConnection: the connection names the unknown environment '${connection.data.environment}'`);

  // The pipeline runs in a project the connection is shared with; the agent hands it the OIDC URI.
  const projectId = connection.serviceEndpointProjectReferences[0].projectReference.id;
  const oidcUri = `${world.organization.url}${projectId}/_apis/distributedtask/hubs/build/plans/${world.planId}/jobs/${world.jobId}/oidctoken`;
  const oidc = await httpsRequest({
    method: 'POST',
    url: `${oidcUri}?api-version=7.1&serviceConnectionId=${connectionId}`,
    ca,
    headers: { Authorization: `Bearer ${world.jobAccessToken}`, 'Content-Type': 'application/json', 'X-TFS-FedAuthRedirect': 'Suppress' },
  });
  const oidcToken = (oidc.body as { oidcToken?: string } | undefined)?.oidcToken;
  if (oidc.status !== 200 || !oidcToken) return { status: oidc.status, scope, body: oidc.body, stage: 'oidc' };

  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: String(parameters.serviceprincipalid),
    scope: `${cloud.armAudience}/.default`,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: oidcToken,
  });
  const token = await httpsRequest({
    method: 'POST',
    url: `${emu.direct(urls.login)}${parameters.tenantid}/oauth2/v2.0/token`,
    ca,
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: form.toString(),
  });
  const accessToken = (token.body as { access_token?: string } | undefined)?.access_token;
  if (token.status !== 200 || !accessToken) return { status: token.status, scope, body: token.body, stage: 'token' };

  const apiVersion = /\/resourcegroups\/[^/]+$/i.test(scope) || managementGroup ? '2021-04-01' : '2022-12-01';
  const arm = await httpsRequest({
    method: 'GET',
    url: `${emu.direct(connection.url)}${scope.replace(/^\//, '')}?api-version=${apiVersion}`,
    ca,
    headers: { Authorization: `Bearer ${accessToken}` },
  });
  return { status: arm.status, scope, body: arm.body, stage: 'arm' };
}
