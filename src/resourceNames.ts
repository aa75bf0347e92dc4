/**
 * Names the task derives, so that a re-run finds what an earlier run made. All pure.
 */
import { createHash } from 'node:crypto';

/** Tag keys written on resources this task creates; they say which connection a resource belongs to. */
export const CREATED_BY_TAG = 'created-by';
export const CREATED_BY_VALUE = 'WorkloadIdentityConnection';
export const CONNECTION_TAG = 'azure-devops-connection';

/**
 * Default managed identity name: `id-<connection name>` with the characters ARM refuses replaced.
 * ARM: 3–128 characters, alphanumerics, hyphens and underscores, starting with an alphanumeric
 * (https://learn.microsoft.com/azure/azure-resource-manager/management/resource-name-rules#microsoftmanagedidentity).
 * When the connection name does not fit as it is (a character replaced, or too long), a short hash of the
 * whole name (case-insensitive, as connection names are) is appended: `app 1` and `app-1`, or two all-Japanese
 * names, would otherwise get the same identity, and the second connection's run would stop on the first's.
 */
export function defaultIdentityName(connectionName: string): string {
  const plain = earlierDefaultIdentityName(connectionName);
  if (plain === `id-${connectionName}`) return plain;
  const hash = createHash('sha256').update(connectionName.toLowerCase(), 'utf8').digest('hex').slice(0, 8);
  return `${plain.slice(0, 128 - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}

/**
 * The default identity name before the hash was added (1.0): a re-run of a connection made then finds its
 * identity under this name (read.ts uses it when the identity is tagged for the same connection).
 */
export function earlierDefaultIdentityName(connectionName: string): string {
  const slug = connectionName
    .replace(/[^A-Za-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^-|-$/g, '');
  return `id-${slug || 'connection'}`.slice(0, 128).replace(/-+$/, '');
}

/**
 * The federated credential is named after the connection's id: unique per connection, stable across
 * re-runs, and valid under the credential name rule `^[a-zA-Z0-9][a-zA-Z0-9-_]{2,119}$`.
 */
export function federatedCredentialName(connectionId: string): string {
  return `azure-devops-${connectionId.toLowerCase()}`;
}

/**
 * The name of a further credential for the same connection, once Azure DevOps has moved it to another issuer
 * and subject (from https://vstoken.dev.azure.com/<org id> to Entra ID's issuer): the first name with a short
 * hash of the new pair, so that the old credential stays as it is and every re-run finds the new one again.
 */
export function federatedCredentialNameForPair(connectionId: string, issuer: string, subject: string): string {
  const hash = createHash('sha256').update(`${issuer}\n${subject}`).digest('hex').slice(0, 8);
  return `${federatedCredentialName(connectionId)}-${hash}`;
}

/** The value of the connection tag: the organization, project id and connection name own a resource. */
export function connectionTagValue(organization: string, projectId: string, connectionName: string): string {
  return `${organization}/${projectId}/${connectionName}`.toLowerCase();
}

/** Default display name of the Entra application behind an app-registration connection. */
export function defaultApplicationName(connectionName: string): string {
  return `azure-devops-${connectionName}`.slice(0, 256);
}

/**
 * The application's uniqueName: Graph's client-chosen alternate key, which makes
 * `PATCH /applications(uniqueName='…')` with `Prefer: create-if-missing` an idempotent create, so a re-run
 * finds the application the first run made. Graph documents no character rules for it, so it keeps to
 * the safest set (lower-case letters, digits, hyphens; no quote to escape in the OData key, nothing to
 * percent-encode) and a fixed length of 48: `wic-` and the first 44 hex digits of the SHA-256 of the owning
 * connection (organization, project id, connection name; case-insensitive as connection names are). It is
 * immutable, so it never includes the display name.
 */
export function applicationUniqueName(organization: string, projectId: string, connectionName: string): string {
  const owner = connectionTagValue(organization, projectId, connectionName);
  return `wic-${createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, 44)}`;
}

/** Fixed namespace for role assignment names, so the same grant always gets the same GUID. */
const ROLE_ASSIGNMENT_NAMESPACE = '8e0f1f2b-5c7a-4f55-9d3e-3f7b0c2a6d41';

/** Role assignment name: UUID v5 of scope, principal and role definition (case-insensitive, as ARM ids are). */
export function roleAssignmentName(scope: string, principalId: string, roleDefinitionId: string): string {
  return uuidV5(`${scope}|${principalId}|${roleDefinitionId}`.toLowerCase(), ROLE_ASSIGNMENT_NAMESPACE);
}

/** RFC 4122 §4.3 name-based UUID (SHA-1). */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/g, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
