/**
 * What an inventory reads, as typed values: a connection as Azure DevOps describes it, the identity behind it
 * as Microsoft Graph and ARM describe it, its last use and, when asked, Azure DevOps' verification. What could
 * not be read is `Unreadable`, naming the role or permission that would let the run read it: never "not
 * found", never a failure of the whole run (issue 20).
 */
import type { FindingCode } from '../requestInventory';

/** Something the identity of the run may not read, and what would let it. */
export interface Unreadable {
  unreadable: true;
  /** What was refused, in the service's words (status, code). */
  reason: string;
  /** The role or permission that would let the run read it, where to grant it. */
  grant: string;
}

export function isUnreadable(value: unknown): value is Unreadable {
  return typeof value === 'object' && value !== null && (value as Unreadable).unreadable === true;
}

/** An Azure Resource Manager service connection as its owning project lists it (includeDetails). */
export interface Connection {
  id: string;
  name: string;
  /** The owning project: the first project reference. */
  project: { id: string; name: string };
  /** The other projects it is shared into, by name. */
  sharedWith: string[];
  /** authorization.scheme as Azure DevOps returns it; empty when the caller may not see it. */
  scheme: string;
  /** ServicePrincipal only: spnKey (a client secret) or spnCertificate. */
  authenticationType?: string;
  creationMode?: string;
  environment?: string;
  scopeLevel?: string;
  subscriptionId?: string;
  resourceGroup?: string;
  managementGroupId?: string;
  tenantId?: string;
  clientId?: string;
  issuer?: string;
  subject?: string;
  isDisabled: boolean;
  isReady?: boolean;
  /** data.revertSchemeDeadline: set by Azure DevOps' ConvertAuthenticationScheme, the end of its 7-day revert (docs/wire.md, "Migration"). */
  revertSchemeDeadline?: string;
  /** operationStatus.state and statusMessage, when Azure DevOps sends them (InProgress, Failed). */
  operation?: { state: string; message: string };
  /** The caller sees the connection but not its type, data and authorization (it lacks a role on it). */
  partial: boolean;
}

export interface FederatedCredential {
  name: string;
  issuer: string;
  subject: string;
}

export interface KeyCredential {
  keyId: string;
  kind: 'secret' | 'certificate';
  displayName: string | null;
  endDateTime: string | null;
}

/** The identity a client id names, as the tenant knows it. */
export type Identity =
  | {
      kind: 'managedIdentity';
      clientId: string;
      objectId: string;
      /** Its ARM id, from the service principal's alternativeNames. */
      resourceId?: string;
      federatedCredentials: FederatedCredential[] | Unreadable;
    }
  | {
      kind: 'appRegistration';
      clientId: string;
      objectId: string;
      /** From the service principal (signInAudience other than AzureADMyOrg), or the application. */
      multiTenant: boolean;
      /** The application itself: its credentials; absent when it lives in another tenant. */
      application?: { objectId: string; federatedCredentials: FederatedCredential[]; credentials: KeyCredential[] } | Unreadable;
    }
  | { kind: 'notFound'; clientId: string }
  | ({ kind: 'unreadable'; clientId: string } & Unreadable);

/** What the newest execution record says: when it finished (or started), or that there is none. */
export type LastUse = { at: string | null } | Unreadable;

/** TestConnection's verdict. */
export type Verified = { ok: boolean; message: string | null } | Unreadable;

/** One connection and everything read about it. */
export interface ConnectionRead {
  connection: Connection;
  identity?: Identity;
  lastUse?: LastUse;
  verified?: Verified;
}

/** Everything an inventory read: the organization, the projects read and those that could not be. */
export interface InventoryRead {
  organizationUrl: string;
  organizationId?: string;
  projects: string[];
  unreadProjects: { name: string; unreadable: Unreadable }[];
  connections: ConnectionRead[];
  /** How many requests the reads sent, per service (for the log). */
  requests: { devops: number; graph: number; arm: number };
}

export type Severity = 'error' | 'warning' | 'info';

export interface Finding {
  code: FindingCode;
  severity: Severity;
  /** One line that names the connection. */
  message: string;
  fix: string;
}
