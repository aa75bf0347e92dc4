/**
 * The service connection's model and its wire shape (Azure DevOps ServiceEndpoint, type AzureRM, scheme
 * WorkloadIdentityFederation, creationMode Manual; tests/fixtures/contracts/ado-serviceendpoint-7.2): pure
 * converters both ways and the comparisons serviceConnection.ts decides with.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';

export interface DesiredConnection {
  name: string;
  description: string;
  project: { id: string; name: string };
  environment: string;
  resourceManagerUrl: string;
  tenantId: string;
  clientId: string;
  subscriptionId: string;
  subscriptionName: string;
  /** ARM id of a resource group when the connection is scoped to one. */
  resourceGroupScope?: string;
  /** Set when the connection is scoped to a management group: then it names no subscription (docs/wire.md). */
  managementGroup?: { id: string; name: string };
}

export interface Connection {
  id: string;
  name: string;
  tenantId: string;
  clientId: string;
  issuer: string;
  subject: string;
  ready: boolean;
  /** Azure DevOps disables connections unused for 100 days; a disabled one is not ready. */
  disabled: boolean;
  failed?: string;
  /** Ids of the projects the connection is in (its own, and those it is shared with). */
  projectIds: string[];
}

export const SCHEME = 'WorkloadIdentityFederation';
/** The data keys that say what the connection is scoped to; an update replaces them all. */
export const SCOPE_DATA = ['scopeLevel', 'subscriptionId', 'subscriptionName', 'managementGroupId', 'managementGroupName'];

export function toWire(desired: DesiredConnection): ServiceEndpoint {
  return {
    name: desired.name,
    type: 'AzureRM',
    url: desired.resourceManagerUrl,
    owner: 'library',
    description: desired.description,
    authorization: {
      scheme: SCHEME,
      parameters: {
        tenantid: desired.tenantId,
        serviceprincipalid: desired.clientId,
        // Resource-group scope lives in the authorization parameters; scopeLevel stays Subscription (docs/wire.md).
        ...(desired.resourceGroupScope ? { scope: desired.resourceGroupScope } : {}),
      },
    },
    data: {
      environment: desired.environment,
      ...(desired.managementGroup
        ? { scopeLevel: 'ManagementGroup', managementGroupId: desired.managementGroup.id, managementGroupName: desired.managementGroup.name }
        : { scopeLevel: 'Subscription', subscriptionId: desired.subscriptionId, subscriptionName: desired.subscriptionName }),
      creationMode: 'Manual',
    },
    isShared: false,
    serviceEndpointProjectReferences: [
      { projectReference: { id: desired.project.id, name: desired.project.name }, name: desired.name, description: desired.description },
    ],
  };
}

export function fromWire(wire: ServiceEndpoint): Connection {
  const parameters = wire.authorization?.parameters ?? {};
  const state = (wire.operationStatus as { state?: string; statusMessage?: string } | undefined) ?? {};
  return {
    id: wire.id ?? '',
    name: wire.name ?? '',
    tenantId: parameters.tenantid ?? '',
    clientId: parameters.serviceprincipalid ?? '',
    issuer: parameters.workloadIdentityFederationIssuer ?? '',
    subject: parameters.workloadIdentityFederationSubject ?? '',
    // Real GETs carry no operationStatus (tests/fixtures/recordings/ado-serviceendpoint-get-real.json): absent reads as Ready.
    ready: wire.isReady !== false && wire.isDisabled !== true && (state.state ?? 'Ready').toLowerCase() === 'ready',
    disabled: wire.isDisabled === true,
    failed: (state.state ?? '').toLowerCase() === 'failed' ? state.statusMessage || 'the connection failed' : undefined,
    projectIds: (wire.serviceEndpointProjectReferences ?? []).map((r) => r.projectReference?.id ?? '').filter(Boolean),
  };
}

/** How an existing connection relates to the one we want. */
export function compare(desired: DesiredConnection, existing: ServiceEndpoint): 'same' | 'update' | 'foreign' {
  if (!usesIdentity(existing, desired.tenantId, desired.clientId)) return 'foreign';
  const parameters = existing.authorization?.parameters ?? {};
  const data = existing.data ?? {};
  const group = desired.managementGroup;
  const sameScope = group
    ? (data.scopeLevel ?? '').toLowerCase() === 'managementgroup' &&
      (data.managementGroupId ?? '').toLowerCase() === group.id.toLowerCase() &&
      (data.managementGroupName ?? '') === group.name
    : (data.scopeLevel ?? 'Subscription').toLowerCase() === 'subscription' &&
      (data.subscriptionId ?? '').toLowerCase() === desired.subscriptionId.toLowerCase();
  const same =
    sameScope &&
    (parameters.scope ?? '').toLowerCase() === (desired.resourceGroupScope ?? '').toLowerCase() &&
    (data.environment ?? '').toLowerCase() === desired.environment.toLowerCase() &&
    (existing.description ?? '') === desired.description;
  return same ? 'same' : 'update';
}

/** Whether a connection signs in with workload identity federation as this identity. */
export function usesIdentity(existing: ServiceEndpoint, tenantId: string, clientId: string): boolean {
  return identityMismatch(existing, tenantId, clientId) === undefined;
}

/**
 * How an existing connection differs from one that signs in as this identity, naming the field that
 * differs (the client id first, then the tenant, the scheme and the type); undefined when it uses it.
 * A same client id in another tenant is another identity: the line must say tenant, not client id.
 */
export function identityMismatch(existing: ServiceEndpoint, tenantId: string, clientId: string | undefined): string | undefined {
  const parameters = existing.authorization?.parameters ?? {};
  const scheme = existing.authorization?.scheme ?? 'another scheme';
  const theirs = parameters.serviceprincipalid ?? 'unknown';
  if (!clientId || theirs.toLowerCase() !== clientId.toLowerCase()) {
    return `uses ${scheme} with client id '${theirs}', not the identity ${clientId ? `'${clientId}'` : 'this task provisions'}`;
  }
  if (parameters.tenantid?.toLowerCase() !== tenantId.toLowerCase()) {
    return `uses the client id '${theirs}' in tenant '${parameters.tenantid ?? 'unknown'}', not in the identity's tenant '${tenantId}': the tenant differs`;
  }
  if (existing.authorization?.scheme?.toLowerCase() !== SCHEME.toLowerCase()) return `uses the scheme ${scheme}, not ${SCHEME}: the scheme differs`;
  if (existing.type?.toLowerCase() !== 'azurerm') return `is of type '${existing.type ?? 'unknown'}', not AzureRM: the type differs`;
  return undefined;
}

/** Whether Azure DevOps withheld the connection's details from the caller (type, data or authorization null). */
export function isPartial(existing: ServiceEndpoint): boolean {
  return existing.type == null || existing.data == null || existing.authorization == null;
}
