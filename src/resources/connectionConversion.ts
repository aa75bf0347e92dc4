/**
 * Azure DevOps' ConvertAuthenticationScheme (docs/wire.md, "Migration"): `PUT {org}/{project}/_apis/serviceendpoint/endpoints/{id}?operation=ConvertAuthenticationScheme`
 * with the connection as read, scheme WorkloadIdentityFederation and without data.revertSchemeDeadline
 * (Microsoft's conversion script). The service refuses any other change (AssertEndpointNotModified), so the
 * body is the connection as Endpoints - Get answers it, read right before.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Clients } from '../clients';
import { devops } from '../clients/devops';
import { ServiceError } from '../errors';
import { endpointPath, ENDPOINTS_API } from './serviceConnection';

/** Endpoints - Get in the owning project; a missing or unreadable connection is a failure (the run read it a moment ago). */
export async function readConnection(clients: Clients, projectId: string, connection: { id: string; name: string }): Promise<ServiceEndpoint> {
  const operation = `read the service connection '${connection.name}'`;
  const found = await devops(clients, operation, () =>
    clients.devops.request<ServiceEndpoint>({ path: `${encodeURIComponent(projectId)}/${endpointPath(connection.id)}`, apiVersion: ENDPOINTS_API }),
  );
  if (!found?.authorization) {
    throw new ServiceError('Azure DevOps answered without the connection and its authorization', { operation, code: 'UnreadableAnswer' });
  }
  return found;
}

/** The conversion's body: the connection as read, the new scheme, no revert deadline (pure). */
export function conversionBody(read: ServiceEndpoint): ServiceEndpoint {
  const data = { ...(read.data ?? {}) };
  delete data.revertSchemeDeadline;
  return { ...read, data, authorization: { ...read.authorization, scheme: 'WorkloadIdentityFederation' } };
}

/** Sends the conversion; Azure DevOps answers the converted connection, or refuses (CannotUpgradeAuthorizationSchemeError, 403, in progress). */
export async function convertScheme(clients: Clients, projectId: string, read: ServiceEndpoint): Promise<ServiceEndpoint | null> {
  return devops(clients, `convert the service connection '${read.name ?? read.id}' to workload identity federation`, () =>
    clients.devops.request<ServiceEndpoint>({
      method: 'PUT',
      path: `${encodeURIComponent(projectId)}/${endpointPath(read.id ?? '')}`,
      apiVersion: ENDPOINTS_API,
      query: { operation: 'ConvertAuthenticationScheme' },
      body: conversionBody(read),
    }),
  );
}

/** The issuer and subject a connection carries (authorization.parameters), when it has both. */
export function pairOf(endpoint: ServiceEndpoint): { issuer: string; subject: string } | undefined {
  const parameters = (endpoint.authorization?.parameters ?? {}) as Record<string, string | undefined>;
  const issuer = parameters.workloadIdentityFederationIssuer;
  const subject = parameters.workloadIdentityFederationSubject;
  return issuer && subject ? { issuer, subject } : undefined;
}
