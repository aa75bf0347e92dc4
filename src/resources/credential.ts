/**
 * The federated credential that trusts the connection's tokens, on whichever identity the request asks for:
 * on the managed identity (federatedCredential.ts, ARM) or on the application (applicationCredential.ts,
 * Microsoft Graph). Its issuer and subject are the connection's, copied from it once it exists.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { type Change, planned, type Run, type Written } from '../change';
import type { Clients } from '../clients';
import { ConflictError } from '../errors';
import { ACTIONS, armRequirement, type ArmPermissions, type Requirement } from '../preflight';
import type { ProvisioningRequest } from '../request';
import { federatedCredentialName, federatedCredentialNameForPair } from '../resourceNames';
import { replicationPolicy } from '../retry';
import { listApplicationCredentials, writeApplicationCredential } from './applicationCredential';
import { decideCredential, type FederatedCredential, listFederatedCredentials, writeFederatedCredential } from './federatedCredential';
import { type AppliedIdentity, identityWords, type ObservedIdentity } from './identity';
import { identityScope } from './managedIdentity';
import type { AppliedConnection } from './serviceConnection';
import { fromWire as connectionFromWire } from './serviceConnectionWire';

export interface CredentialChange extends Change {
  /** The credential that already trusts the connection, for a keep. */
  existing?: FederatedCredential;
  /**
   * The name to write under; undefined for a new connection, whose credential is named after the id apply
   * learns. Another name than the first one when Azure DevOps moved the connection to a new issuer and subject.
   */
  name?: string;
}

/** What the read and the decision use. */
interface Observed {
  connection: ServiceEndpoint | null;
  identity: ObservedIdentity;
  armPermissions: Record<string, ArmPermissions>;
  /** The identity's federated credentials; empty when the identity does not exist. */
  credential: FederatedCredential[];
}

/** The identity's federated credentials, when it exists. */
export async function read(request: ProvisioningRequest, clients: Clients, observed: Omit<Observed, 'credential'>): Promise<FederatedCredential[]> {
  const { identity } = observed;
  if (identity.kind === 'managedIdentity') {
    return identity.existing ? listFederatedCredentials(clients, identity.existing.resourceGroup, identity.existing.name) : [];
  }
  return identity.application ? listApplicationCredentials(clients, identity.application, replicationPolicy(request.replicationWaitSeconds)) : [];
}

/** Keep the credential that trusts the connection, else create or update ours (decideCredential). */
export function decide(request: ProvisioningRequest, observed: Observed): CredentialChange {
  const what = `federated credential on ${identityWords(request, observed.identity)} for the connection's issuer and subject`;
  const needs: Requirement[] = [];
  if (request.identityType === 'managedIdentity') {
    const scope = identityScope(request);
    const fix = `assign it Managed Identity Contributor or Contributor on resource group '${request.identity.resourceGroup}'`;
    needs.push(armRequirement(observed.armPermissions[scope.toLowerCase()], ACTIONS.writeFederatedCredential, scope, fix));
  }
  const connection = observed.connection ? connectionFromWire(observed.connection) : undefined;
  // A new identity has no credential, nor can a connection that does not exist yet have its credential.
  if (!connection?.issuer || !connection.subject) return { action: 'create', what, needs: withRoom(request, observed, needs) };
  const first = federatedCredentialName(connection.id);
  const alternative = federatedCredentialNameForPair(connection.id, connection.issuer, connection.subject);
  const decision = decideCredential({ name: first, alternative, issuer: connection.issuer, subject: connection.subject }, observed.credential);
  if (decision.action === 'keep') return { action: 'keep', what, needs: [], existing: decision.credential };
  const moved = decision.name !== first;
  return {
    action: decision.action,
    what: moved ? `${what} (Azure DevOps moved the connection to issuer '${connection.issuer}'; the credential for the old one stays)` : what,
    needs: decision.action === 'create' ? withRoom(request, observed, needs) : needs,
    name: decision.name,
  };
}

/**
 * "A maximum of 20 federated identity credentials can be added to an application or user-assigned managed
 * identity" (https://learn.microsoft.com/entra/workload-id/workload-identity-federation-considerations#general-federated-identity-credential-considerations;
 * Graph: tests/fixtures/contracts/graph-v1.0/NOTES.md §5). An existing identity that holds that many cannot take
 * the connection's: refused here, from the credentials read, so that neither a run nor a dry run writes a
 * role assignment or a connection first.
 */
export const MAX_FEDERATED_CREDENTIALS = 20;

function withRoom(request: ProvisioningRequest, observed: Observed, needs: Requirement[]): Requirement[] {
  if (observed.credential.length < MAX_FEDERATED_CREDENTIALS) return needs;
  const who = identityWords(request, observed.identity);
  const fix =
    request.identityType === 'managedIdentity'
      ? `remove a federated credential it no longer needs (the identity's Settings, Federated credentials), or set identityName to give this connection an identity of its own`
      : `remove a federated credential it no longer needs (Entra ID, App registrations, the application, Certificates & secrets, Federated credentials)`;
  throw new ConflictError(`${who} already holds ${observed.credential.length} federated credentials, the most Entra ID allows (${MAX_FEDERATED_CREDENTIALS})`, {
    operation: `add the connection's federated credential to ${who}`,
    hint: `Before any write: ${fix}; then re-run the task`,
  });
}

/** Writes the credential on the identity written before, unless it is kept. */
export async function apply(change: CredentialChange, after: AppliedIdentity & { connection: AppliedConnection }, run: Run): Promise<Written<undefined>> {
  if (change.action !== 'keep') await write(change.name, after, run);
  return { happened: planned(change), value: undefined };
}

/** The credential's issuer and subject are copied from the connection, never computed. */
async function write(name: string | undefined, after: AppliedIdentity & { connection: AppliedConnection }, run: Run): Promise<FederatedCredential> {
  const { clients, request } = run;
  const { connection } = after.connection;
  const desired = { name: name ?? federatedCredentialName(connection.id), issuer: connection.issuer, subject: connection.subject };
  const { managedIdentity, application } = after;
  if (request.identityType === 'managedIdentity' && managedIdentity) {
    const { identity } = request;
    return writeFederatedCredential(clients, { resourceGroup: identity.resourceGroup, identityName: managedIdentity.name || identity.name, ...desired });
  }
  if (!application) throw new Error('the credential has no identity to be written on');
  return writeApplicationCredential(clients, { applicationId: application.id, applicationName: application.displayName, ...desired }, run.replication);
}
