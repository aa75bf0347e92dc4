/**
 * Everything the services know, in one place: the seeded facts (World) and the mutable state (directory
 * principals, Graph applications and service principals, ARM resources, Azure DevOps projects and service
 * connections). Resources are stored in the wire shape their service answers with, so state() can hand
 * them out as they are.
 */
import { isWithinScope } from './arm-common';
import {
  type ManagementGroupRecord,
  type UserAssignedIdentityResource,
  type FederatedIdentityCredentialResource,
  type RoleAssignmentResource,
  managementGroupScope,
} from './arm-resources';
import type { CloudProfile } from './clouds';
import type { CheckConfigurationRecord } from './devops-checks';
import type { BuildServiceRole, DevOpsIdentity, ProjectRecord, PipelinePermissionsRecord, StoredEndpoint } from './devops-records';
import type { DirectoryPrincipal } from './entra-directory';
import type { GraphServicePrincipal, StoredApplication, StoredServicePrincipal } from './graph-objects';
import { JwtSigningKey } from './jwt';
import { BUILT_IN_ROLES, findRoleById, findRoleByName, type BuiltInRole } from './roles';
import type { ServiceUrls, PipelineFacts, World, Snapshot, Settings } from './world';

export class EmulatorState {
  readonly principals = new Map<string, DirectoryPrincipal>();
  readonly identities = new Map<string, UserAssignedIdentityResource>();
  /** Keyed by lower-cased identity id, then lower-cased credential name. */
  readonly federatedCredentials = new Map<string, Map<string, { resource: FederatedIdentityCredentialResource; createdAt: number }>>();
  readonly roleAssignments = new Map<string, RoleAssignmentResource>();
  /** When each role assignment made through the API was created (emulator time), by lower-cased id; seeded ones are absent (long honoured). */
  readonly roleAssignmentCreatedAt = new Map<string, number>();
  readonly projects: ProjectRecord[] = [];
  readonly pipelineDefinitions: PipelineFacts[] = [];
  /** Keyed by `${projectId}/${resourceType}/${resourceId}`, lower-cased. */
  readonly pipelinePermissions = new Map<string, PipelinePermissionsRecord>();
  /** Pipeline check configurations (devops-checks.ts), keyed by id. */
  readonly checkConfigurations = new Map<number, CheckConfigurationRecord>();
  nextCheckId = 1;
  readonly serviceEndpoints = new Map<string, StoredEndpoint>();
  readonly devopsIdentities = new Map<string, DevOpsIdentity>();
  /** Graph applications, keyed by lower-cased object id. */
  readonly applications = new Map<string, StoredApplication>();
  /** Graph's deleted items (applications, 30 days), keyed by lower-cased object id. */
  readonly deletedApplications = new Map<string, StoredApplication>();
  /** Service connections' execution records, newest first, keyed by lower-cased connection id. */
  readonly executionHistory = new Map<string, Array<Record<string, unknown>>>();
  /** Graph service principals, keyed by lower-cased object id. */
  readonly servicePrincipals = new Map<string, StoredServicePrincipal>();
  /** Roles on service connections of organization users other than the job identity; default Administrator. */
  readonly devopsRoles = new Map<string, BuildServiceRole>();
  /** Entra object id of a principal that is a user of the organization → its Azure DevOps identity id. */
  readonly devopsMembers = new Map<string, string>();
  /** Personal access token → the Azure DevOps identity id it acts as. */
  readonly personalAccessTokens = new Map<string, string>();
  readonly customRoles: BuiltInRole[] = [];
  readonly managementGroups: ManagementGroupRecord[] = [];
  /** The management group the subscription sits in. */
  subscriptionParent = '';
  /** Every credential issued or received (secrets, tokens, assertions), for the "nothing printed" checks. */
  readonly secrets = new Set<string>();

  constructor(
    readonly world: World,
    readonly urls: ServiceUrls,
    /** The cloud the emulator poses as (audiences, token issuer). */
    readonly cloud: CloudProfile,
    readonly settings: Settings,
    /** Signs Entra access tokens. */
    readonly entraKey: JwtSigningKey,
    /** Signs Azure DevOps job tokens and pipeline OIDC tokens. */
    readonly devopsKey: JwtSigningKey,
    readonly subscription: { id: string; displayName: string },
    readonly resourceGroups: Array<{ name: string; location: string }>,
  ) {}

  findPrincipalByAppId(appId: string): DirectoryPrincipal | undefined {
    const wanted = appId.toLowerCase();
    for (const principal of this.principals.values()) if (principal.appId.toLowerCase() === wanted) return principal;
    return undefined;
  }

  findApplicationByAppId(appId: string): StoredApplication | undefined {
    const wanted = appId.toLowerCase();
    for (const stored of this.applications.values()) if (stored.resource.appId.toLowerCase() === wanted) return stored;
    return undefined;
  }

  findServicePrincipalByAppId(appId: string): StoredServicePrincipal | undefined {
    const wanted = appId.toLowerCase();
    for (const stored of this.servicePrincipals.values()) if (stored.resource.appId.toLowerCase() === wanted) return stored;
    return undefined;
  }

  /** Milliseconds since the epoch, on the emulator's clock. */
  now(): number {
    return this.settings.clock.now();
  }

  findResourceGroup(name: string): { name: string; location: string } | undefined {
    return this.resourceGroups.find((rg) => rg.name.toLowerCase() === name.toLowerCase());
  }

  /** A project in any state, its pending state settled first when its time has come. */
  findProject(idOrName: string): ProjectRecord | undefined {
    const wanted = idOrName.toLowerCase();
    const project = this.projects.find((p) => p.id.toLowerCase() === wanted || p.name.toLowerCase() === wanted);
    const pending = project?.pending;
    if (pending && ((pending.wellFormedAt !== undefined && this.now() >= pending.wellFormedAt) || (pending.readsLeft ?? 1) <= 0)) settle(project);
    return project;
  }

  /**
   * A project that project-level routes serve: wellFormed. While a project is being created Azure DevOps
   * shows it through the projects API only (assumed: its project-scoped routes answer as for a missing
   * project until it is wellFormed; the task waits for wellFormed before calling them).
   */
  findWellFormedProject(idOrName: string): ProjectRecord | undefined {
    const project = this.findProject(idOrName);
    return project?.state === 'wellFormed' ? project : undefined;
  }

  /** Counts a read of a pending project; the read after the last counted one sees it wellFormed. */
  countProjectRead(project: ProjectRecord): void {
    if (project.pending?.readsLeft === undefined) return;
    project.pending.readsLeft -= 1;
    if (project.pending.readsLeft <= 0) settle(project);
  }

  /** Remembers a credential the emulator issued or was sent. */
  noteSecret(value: string | null | undefined): void {
    if (value) this.secrets.add(value);
  }

  entraIssuer(tenantId: string): string {
    return `${this.urls.login}${tenantId}/v2.0`;
  }

  /** Azure DevOps' former issuer of connection tokens (retired July 2027), signed with its own key. */
  devopsIssuer(): string {
    return `https://vstoken.dev.azure.com/${this.world.organization.id}`;
  }

  /** Issuer of v1 access tokens (ARM and Azure DevOps check it). */
  accessTokenIssuer(): string {
    return `${this.cloud.stsIssuer}${this.world.tenantId}/`;
  }

  /** A built-in role, or one of the world's custom roles, by GUID or any id ending in /roleDefinitions/{guid}. */
  roleById(roleDefinitionId: string): BuiltInRole | undefined {
    const guid = roleDefinitionId.split('/').pop()?.toLowerCase();
    return findRoleById(roleDefinitionId) ?? this.customRoles.find((r) => r.id === guid);
  }

  roleByName(roleName: string): BuiltInRole | undefined {
    return findRoleByName(roleName) ?? this.customRoles.find((r) => r.roleName.toLowerCase() === roleName.toLowerCase());
  }

  /** Roles that can be assigned at the scope: built-ins everywhere, custom roles at and below their assignable scopes. */
  rolesAssignableAt(scope: string): BuiltInRole[] {
    return [...BUILT_IN_ROLES, ...this.customRoles.filter((r) => (r.assignableScopes ?? ['/']).some((s) => s === '/' || this.scopeCovers(s, scope)))];
  }

  findManagementGroup(id: string): ManagementGroupRecord | undefined {
    return this.managementGroups.find((mg) => mg.id.toLowerCase() === id.toLowerCase());
  }

  /**
   * The management groups above a resource, nearest first, as scopes: for anything in the subscription the
   * subscription's chain, for a management group its parents. Azure RBAC inherits along this chain.
   */
  ancestorScopes(resourceId: string): string[] {
    const mg = /^\/providers\/microsoft\.management\/managementgroups\/([^/]+)/i.exec(resourceId);
    const inSubscription = new RegExp(`^/subscriptions/${this.subscription.id}(/|$)`, 'i').test(resourceId);
    let current = mg ? this.findManagementGroup(mg[1])?.parentId : inSubscription ? this.subscriptionParent : undefined;
    const scopes: string[] = [];
    for (let depth = 0; current && depth < 7; depth++) {
      scopes.push(managementGroupScope(current));
      current = this.findManagementGroup(current)?.parentId;
    }
    return scopes;
  }

  /** Whether a role assignment (or assignable scope) at `scope` applies to `resourceId`. */
  scopeCovers(scope: string, resourceId: string): boolean {
    return isWithinScope(resourceId, scope) || this.ancestorScopes(resourceId).some((a) => a.toLowerCase() === scope.toLowerCase().replace(/\/+$/, ''));
  }

  /** The role on service connections of a user of the organization (the job and bootstrap identities have settings). */
  devopsRole(identityId: string): BuildServiceRole {
    if (identityId === this.world.buildService.id) return this.settings.buildServiceRole;
    if (identityId === this.devopsMembers.get(this.world.bootstrap.objectId)) {
      return this.settings.bootstrapDevOpsRole === 'none' ? 'Reader' : this.settings.bootstrapDevOpsRole;
    }
    return this.devopsRoles.get(identityId) ?? 'Administrator';
  }

  /** The organization user an Entra principal signs in as; undefined when it is not a user of the organization. */
  devopsMember(objectId: string): DevOpsIdentity | undefined {
    if (objectId.toLowerCase() === this.world.bootstrap.objectId && this.settings.bootstrapDevOpsRole === 'none') return undefined;
    const id = this.devopsMembers.get(objectId.toLowerCase());
    return id ? this.devopsIdentities.get(id) : undefined;
  }

  snapshot(): Snapshot {
    const credentials = [...this.federatedCredentials.values()].flatMap((byName) => [...byName.values()].map((c) => c.resource));
    return structuredClone({
      identities: [...this.identities.values()],
      federatedCredentials: credentials,
      roleAssignments: [...this.roleAssignments.values()],
      serviceConnections: [...this.serviceEndpoints.values()].map((stored) => stored.endpoint),
      projects: this.projects.map((p) => ({ id: p.id, name: p.name, state: this.findProject(p.id)!.state })),
      pipelinePermissions: [...this.pipelinePermissions.values()],
      checkConfigurations: [...this.checkConfigurations.values()],
      applications: [...this.applications.values()].map((stored) => ({
        ...stored.resource,
        owners: stored.owners.map((id) => ({ '@odata.type': this.directoryObjectType(id), id })),
        federatedIdentityCredentials: [...stored.federatedCredentials.values()].map((c) => c.resource),
      })),
      servicePrincipals: [...this.servicePrincipals.values()].map((stored) => stored.resource),
      deletedApplications: [...this.deletedApplications.values()].map((stored) => ({
        ...stored.resource,
        owners: stored.owners.map((id) => ({ '@odata.type': this.directoryObjectType(id), id })),
        federatedIdentityCredentials: [...stored.federatedCredentials.values()].map((c) => c.resource),
      })),
    });
  }

  private directoryObjectType(objectId: string): string {
    return this.servicePrincipals.has(objectId.toLowerCase()) ? '#microsoft.graph.servicePrincipal' : '#microsoft.graph.user';
  }

  /**
   * Writes a service principal to the directory and registers it as the principal Entra signs in and
   * ARM assigns roles to: one object, seen through three services.
   */
  addServicePrincipal(resource: GraphServicePrincipal, application: StoredApplication, owners: string[], createdAt = this.now()): void {
    this.servicePrincipals.set(resource.id.toLowerCase(), { resource, owners, createdAt });
    this.principals.set(resource.id, {
      objectId: resource.id,
      appId: resource.appId,
      displayName: resource.displayName,
      kind: 'Application',
      createdAt,
      secrets: [],
      applicationObjectId: application.resource.id,
    });
  }
}

function settle(project: ProjectRecord): void {
  project.state = 'wellFormed';
  project.pending = undefined;
  project.revision += 1;
  project.lastUpdateTime = new Date().toISOString();
}
