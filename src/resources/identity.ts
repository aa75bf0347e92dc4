/**
 * The identity behind the connection, whichever kind the request asks for: a managed identity
 * (managedIdentity.ts) or an app registration (application.ts with servicePrincipal.ts). What the
 * connection, its credential and the role assignments need to know of it, before and after the writes.
 */
import type { ProvisioningRequest } from '../request';
import type { AppliedApplication, ObservedAppRegistration } from './application';
import type { ManagedIdentity, ObservedManagedIdentity } from './managedIdentity';

export type ObservedIdentity = ObservedManagedIdentity | ObservedAppRegistration;

/** The tenant and client ids the connection signs in with. */
export interface SignIn {
  tenantId: string;
  /** Empty while the identity does not exist. */
  clientId: string;
}

/** What the connection signs in as, as far as it exists before any write. */
export function signInBefore(request: ProvisioningRequest, identity: ObservedIdentity): SignIn {
  const tenantId = request.bootstrap.auth.tenantId;
  if (identity.kind === 'managedIdentity') return { tenantId: identity.existing?.tenantId || tenantId, clientId: identity.existing?.clientId ?? '' };
  return { tenantId, clientId: identity.application?.appId ?? '' };
}

/** What the writes of the identity left: the managed identity, or the application. */
export interface AppliedIdentity {
  managedIdentity: ManagedIdentity | undefined;
  application: AppliedApplication | undefined;
}

/** What the connection signs in as once the identity is written. */
export function signInAfter(request: ProvisioningRequest, after: AppliedIdentity): SignIn {
  const tenantId = request.bootstrap.auth.tenantId;
  if (after.managedIdentity) return { tenantId: after.managedIdentity.tenantId || tenantId, clientId: after.managedIdentity.clientId };
  return { tenantId, clientId: after.application?.appId ?? '' };
}

/** The identity in words, for the log: "managed identity 'id-app1'" or "application 'app1'". */
export function identityWords(request: ProvisioningRequest, identity: ObservedIdentity): string {
  if (request.identityType === 'managedIdentity') {
    const existing = identity.kind === 'managedIdentity' ? identity.existing : null;
    // An identity found under the default name an earlier version gave it keeps that name (managedIdentity.ts).
    return `managed identity '${existing?.name || request.identity.name}'`;
  }
  return `application '${request.application.displayName}'`;
}

/** The principal role assignments name, once it exists; undefined before. */
export function principalOf(identity: ObservedIdentity): string | undefined {
  return identity.kind === 'managedIdentity' ? identity.existing?.principalId : identity.servicePrincipal?.id;
}
