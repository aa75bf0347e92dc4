/**
 * Removal (action: remove): the request, its change set and the one pure decision from what was read to
 * that change set. A removal's change set is its own, not provisioning's list with a 'remove' action:
 * provisioning's list (src/resources/index.ts) is typed over creates, updates and keeps with their desired
 * values and the writes that build on each other, and its report, summary and apply would each need a
 * branch for an action that shares none of that; a removal has four kinds of entry in a fixed order, each
 * removed or kept, and nothing is built on a delete. So it keeps what provisioning's change set promises
 * (one typed value that the dry run, the preflight, the log and the summary all come from) without widening
 * provisioning's vocabulary.
 *
 * Only what this task made is removed: a connection whose identity does not carry the task's mark (the
 * managed identity's connection tag, or the application's uniqueName made from organization, project and
 * connection), whose client id is not that identity's, that signs in with a secret, or that Azure DevOps
 * made (creationMode Automatic, as the web UI does) is refused before any write, saying what was found.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { ConflictError, PermissionError } from '../errors';
import { parseBoolean } from '../inputValues';
import { ACTIONS, armRequirement, type ArmPermissions, type ConnectionAccess, devopsIdentity, type Requirement } from '../preflight';
import type { RawTask } from '../rawTask';
import { parseRequest, type ProvisioningRequest } from '../request';
import { connectionTagValue, federatedCredentialName } from '../resourceNames';
import type { Application } from '../resources/application';
import { trusts, type FederatedCredential } from '../resources/federatedCredential';
import type { Project } from '../resources/lookups';
import { identityScope, type ManagedIdentity, ownership } from '../resources/managedIdentity';
import type { Grant, ListedAssignment } from '../resources/roleAssignment';
import type { ServicePrincipal } from '../resources/servicePrincipal';
import { fromWire as connectionFromWire, isPartial, SCHEME } from '../resources/serviceConnectionWire';

/** The provisioning request (the same inputs name the connection, its identity and its roles) and removeIdentity. */
export type RemovalRequest = ProvisioningRequest & {
  /** Also remove the identity this task made for the connection (default true). */
  removeIdentity: boolean;
};

/** The inputs as provisioning reads them, and removeIdentity, which defaults to true. */
export function parseRemovalRequest(raw: RawTask): RemovalRequest {
  const removeIdentity = (raw.inputs.removeIdentity ?? '').trim();
  return { ...parseRequest(raw), removeIdentity: removeIdentity === '' || parseBoolean('removeIdentity', removeIdentity) };
}

/** The identity as read: the managed identity at the request's name, or the application by its uniqueName. */
export type RemovalIdentity =
  | { kind: 'managedIdentity'; existing: ManagedIdentity | null }
  | { kind: 'appRegistration'; application: Application | null; servicePrincipal: ServicePrincipal | null };

/** Everything a removal reads before it decides (src/removal/read.ts). */
export interface RemovalObserved {
  project: Project;
  connection: ServiceEndpoint | null;
  /** The projects the connection is in, by id (its own first). */
  connectionProjects: Project[];
  identity: RemovalIdentity;
  /** The identity's federated credentials. */
  credentials: FederatedCredential[];
  /** The principal's role assignments at, above and below the scopes read, each once, with their role's name when ARM told it. */
  assignments: (ListedAssignment & { roleName?: string })[];
  /** The grants the request names (resolved only without removeIdentity, else empty). */
  grants: Grant[];
  /** Other connections the reads can see that sign in with the identity's client id. */
  others: { name: string; projectName: string }[];
  /** The bootstrap identity's permissions at each ARM scope a delete is sent to, by lower-cased id. */
  armPermissions: Record<string, ArmPermissions>;
  devopsAccess: ConnectionAccess;
}

export type RemovalTarget =
  | { kind: 'assignment'; scope: string; name: string; role: string }
  | {
      kind: 'credential';
      name: string;
      on: { kind: 'managedIdentity'; resourceGroup: string; identityName: string } | { kind: 'application'; id: string; displayName: string };
    }
  | { kind: 'connection'; id: string; name: string; projects: Project[] }
  | { kind: 'managedIdentity'; resourceGroup: string; name: string; clientId: string; id: string }
  | { kind: 'application'; id: string; appId: string; displayName: string };

/** One entry of a removal's change set: remove it, or keep it and say why. */
export interface Removal<T extends RemovalTarget = RemovalTarget> {
  action: 'remove' | 'keep';
  /** The resource in words, for the log: "role 'Contributor' at /subscriptions/…". */
  what: string;
  /** Why it is kept, or what the removal leaves behind (an application's 30 days). */
  note?: string;
  /** The permissions its delete needs (none for a keep). */
  needs: Requirement[];
  target: T;
}

/** A removal's change set, in the order its deletes run. */
export interface RemovalSet {
  assignments: Removal<Extract<RemovalTarget, { kind: 'assignment' }>>[];
  credentials: Removal<Extract<RemovalTarget, { kind: 'credential' }>>[];
  connection?: Removal<Extract<RemovalTarget, { kind: 'connection' }>>;
  identity?: Removal<Extract<RemovalTarget, { kind: 'managedIdentity' | 'application' }>>;
  /** The identity in words, found or not, for the closing line and the summary. */
  identityWords: string;
}

/** Every entry, in the order the deletes run. */
export function removalsOf(set: RemovalSet): Removal[] {
  return [...set.assignments, ...set.credentials, ...(set.connection ? [set.connection] : []), ...(set.identity ? [set.identity] : [])];
}

/** How many entries a run removes. */
export function toRemove(set: RemovalSet): number {
  return removalsOf(set).filter((entry) => entry.action === 'remove').length;
}

/** The identity's client id and the principal its role assignments name, when it exists. */
export function identityIds(identity: RemovalIdentity): { clientId: string; principalId: string } | undefined {
  if (identity.kind === 'managedIdentity')
    return identity.existing ? { clientId: identity.existing.clientId, principalId: identity.existing.principalId } : undefined;
  return identity.application ? { clientId: identity.application.appId, principalId: identity.servicePrincipal?.id ?? '' } : undefined;
}

/**
 * The removal's change set, or a refusal (ConflictError) when the connection or its identity is not this
 * task's. Pure: what to remove follows from the request and the reads alone.
 */
export function decideRemoval(request: RemovalRequest, observed: RemovalObserved): RemovalSet {
  const words = identityName(request, observed.identity);
  const ours = ownedIdentity(request, observed);
  if (observed.connection) assertOurs(request, observed, observed.connection, ours, words);
  const empty: RemovalSet = { assignments: [], credentials: [], identityWords: words };
  if (!ours) return empty;
  const ids = identityIds(observed.identity)!;
  // An identity another connection signs in with stays, and so do its other grants: that connection needs them.
  const whole = request.removeIdentity && observed.others.length === 0;
  const permissions = (scope: string): ArmPermissions => observed.armPermissions[scope.toLowerCase()];
  const grantFix = 'assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope';
  const assignments = observed.assignments
    .filter((assignment) => whole || observed.grants.some((grant) => sameGrant(grant, assignment)))
    .map((assignment) => {
      const role = assignment.roleName ?? observed.grants.find((grant) => sameGrant(grant, assignment))?.role.name ?? roleGuid(assignment.roleDefinitionId);
      return {
        action: 'remove' as const,
        what: `role assignment '${role}' of ${words} at ${assignment.scope}`,
        needs: [armRequirement(permissions(assignment.scope), ACTIONS.deleteRoleAssignment, assignment.scope, grantFix)],
        target: { kind: 'assignment' as const, scope: assignment.scope, name: assignment.name, role },
      };
    });
  const miScope = request.identityType === 'managedIdentity' ? identityScope(request) : '';
  const identityFix = (group: string): string => `assign it Managed Identity Contributor or Contributor on resource group '${group}'`;
  const mi = observed.identity.kind === 'managedIdentity' ? observed.identity.existing : null;
  const application = observed.identity.kind === 'appRegistration' ? observed.identity.application : null;
  const connection = observed.connection ? connectionFromWire(observed.connection) : undefined;
  const credentials = connection
    ? observed.credentials
        .filter((credential) => trusts(credential, connection) || credential.name.toLowerCase().startsWith(federatedCredentialName(connection.id)))
        .map((credential) => ({
          action: 'remove' as const,
          what: `federated credential '${credential.name}' on ${words}, which trusts the connection`,
          needs: mi ? [armRequirement(permissions(miScope), ACTIONS.deleteFederatedCredential, miScope, identityFix(mi.resourceGroup))] : [],
          target: {
            kind: 'credential' as const,
            name: credential.name,
            on: mi
              ? { kind: 'managedIdentity' as const, resourceGroup: mi.resourceGroup, identityName: mi.name }
              : { kind: 'application' as const, id: application!.id, displayName: application!.displayName },
          },
        }))
    : [];
  const set: RemovalSet = { assignments, credentials, identityWords: words };
  if (connection) {
    const names = observed.connectionProjects.map((project) => `'${project.name}'`).join(', ');
    set.connection = {
      action: 'remove',
      what: `service connection '${connection.name || request.connectionName}' from ${observed.connectionProjects.length === 1 ? 'project' : 'projects'} ${names}`,
      needs: [
        {
          allowed: observed.devopsAccess.administer,
          unmet: `${devopsIdentity(request)} lacks the Administrator role on the service connection '${request.connectionName}', which this run must remove (add it as Administrator on that connection's Security page)`,
        },
      ],
      target: { kind: 'connection', id: connection.id, name: connection.name || request.connectionName, projects: observed.connectionProjects },
    };
  }
  const kept = !request.removeIdentity
    ? 'removeIdentity is false'
    : observed.others.length > 0
      ? `the service connection ${observed.others.map((other) => `'${other.name}' in project '${other.projectName}'`).join(', ')} signs in with its client id ${ids.clientId}`
      : undefined;
  if (mi) {
    set.identity = {
      action: kept ? 'keep' : 'remove',
      what: `managed identity '${mi.name}' in resource group '${mi.resourceGroup}' (client id ${mi.clientId}), with its federated credentials`,
      note: kept,
      needs: kept ? [] : [armRequirement(permissions(miScope), ACTIONS.deleteIdentity, miScope, identityFix(mi.resourceGroup))],
      target: { kind: 'managedIdentity', resourceGroup: mi.resourceGroup, name: mi.name, clientId: mi.clientId, id: mi.id },
    };
  } else if (application) {
    set.identity = {
      action: kept ? 'keep' : 'remove',
      what: `application '${application.displayName}' (client id ${application.appId}) with its service principal`,
      // Microsoft Graph, Delete application: "deleted for 30 days", restorable from deleted items (docs/wire.md).
      note: kept ?? 'Entra ID keeps it in its deleted items for 30 days, where it can be restored; its uniqueName stays taken until it is deleted for good',
      needs: [],
      target: { kind: 'application', id: application.id, appId: application.appId, displayName: application.displayName },
    };
  }
  return set;
}

/** The identity this task made for the connection, when the reads found it and it carries the task's mark. */
function ownedIdentity(request: RemovalRequest, observed: RemovalObserved): boolean {
  const { identity } = observed;
  if (identity.kind === 'managedIdentity') {
    const owner = connectionTagValue(request.devops.organization, observed.project.id, request.connectionName);
    return identity.existing !== null && ownership(identity.existing, owner) === 'ours';
  }
  // Found by the uniqueName made from organization, project and connection: that is the task's mark.
  return identity.application !== null;
}

/** Refuses a connection this task did not make, naming what was found and whose it looks like. */
function assertOurs(request: RemovalRequest, observed: RemovalObserved, wire: ServiceEndpoint, ours: boolean, words: string): void {
  const where = `the service connection '${request.connectionName}' in project '${observed.project.name}'`;
  const refuse = (found: string, whose: string): never => {
    throw new ConflictError(`${where} ${found}: it looks like ${whose}`, {
      operation: `remove the service connection '${request.connectionName}'`,
      hint: 'Nothing was removed: this task removes only a connection it made, with the identity it made for it; remove this one by hand if it is no longer needed',
    });
  };
  if (isPartial(wire)) {
    throw new PermissionError(`${where} exists, and the identity of devOpsAuth can see its name but not its details`, {
      operation: `remove the service connection '${request.connectionName}'`,
      hint: `Nothing was removed: make that identity an Administrator of the connection (Project settings → Service connections → '${request.connectionName}' → ⋮ → Security), then re-run the task`,
    });
  }
  const scheme = wire.authorization?.scheme ?? 'no scheme';
  const clientId = wire.authorization?.parameters?.serviceprincipalid ?? '';
  if ((wire.type ?? '').toLowerCase() !== 'azurerm')
    refuse(`is of type '${wire.type ?? 'unknown'}'`, 'a connection made by hand or by another tool, not an Azure Resource Manager one');
  if (scheme.toLowerCase() !== SCHEME.toLowerCase()) {
    const secret =
      scheme.toLowerCase() === 'serviceprincipal'
        ? ` with a ${wire.authorization?.parameters?.authenticationType === 'spnCertificate' ? 'certificate' : 'secret'}`
        : '';
    refuse(
      `signs in with ${scheme}${secret} (client id '${clientId || 'none'}')`,
      'a connection made by hand or in the web UI, since this task makes only workload identity federation connections',
    );
  }
  if ((wire.data?.creationMode ?? '').toLowerCase() === 'automatic') {
    refuse(`was made by Azure DevOps with an app registration of its own (creationMode Automatic, client id '${clientId}')`, 'one made in the web UI');
  }
  const ids = identityIds(observed.identity);
  if (!ids)
    refuse(
      `signs in as client id '${clientId}', and ${words}, which this task would have made for it, does not exist`,
      'a connection made by hand for another identity',
    );
  if (!ours) {
    const tagged =
      observed.identity.kind === 'managedIdentity' && observed.identity.existing
        ? Object.entries(observed.identity.existing.tags).find(([key]) => key.toLowerCase() === 'azure-devops-connection')?.[1]
        : undefined;
    refuse(
      `signs in as client id '${clientId}' with ${words}, which ${tagged ? `is tagged for the connection '${tagged}'` : 'carries no tag of this task'}`,
      tagged ? "another connection's identity" : 'an identity made by hand',
    );
  }
  if (ids!.clientId.toLowerCase() !== clientId.toLowerCase()) {
    refuse(
      `signs in as client id '${clientId}', not as ${words} (client id '${ids!.clientId}') that this task made for it`,
      'a connection made by hand for another identity',
    );
  }
}

/** The identity in words: "managed identity 'id-app1-dev'", "application 'azure-devops-app1-dev'". */
function identityName(request: RemovalRequest, identity: RemovalIdentity): string {
  if (identity.kind === 'managedIdentity')
    return `managed identity '${identity.existing?.name || (request.identityType === 'managedIdentity' ? request.identity.name : '')}'`;
  return `application '${identity.application?.displayName || (request.identityType === 'appRegistration' ? request.application.displayName : '')}'`;
}

/** An assignment of a grant the request names: the same scope and role (ARM ids compare case-insensitively). */
function sameGrant(grant: Grant, assignment: ListedAssignment): boolean {
  return grant.scope.toLowerCase() === assignment.scope.toLowerCase() && roleGuid(grant.role.id) === roleGuid(assignment.roleDefinitionId);
}

function roleGuid(roleDefinitionId: string): string {
  return (roleDefinitionId.split('/').pop() ?? '').toLowerCase();
}
