/**
 * Everything the services know, in one place: the seeded facts (World) and the mutable state
 * (directory principals, Graph applications and service principals, ARM resources, Azure DevOps
 * projects and service connections). Resources are
 * stored in the wire shape their service answers with, so state() can hand them out as they are.
 */
import type { CheckConfigurationRecord } from './devops-checks';
import { randomBytes, randomUUID } from 'node:crypto';
import { isWithinScope } from './arm-common';
import type { CloudProfile } from './clouds';
import type { Clock } from '../../src/clock';
import { JwtSigningKey, epochSeconds } from './jwt';
import type { ClientCertificate } from './pki';
import { BUILT_IN_ROLES, findRoleById, findRoleByName, type BuiltInRole } from './roles';

export type BuildServiceRole = 'Reader' | 'User' | 'Creator' | 'Administrator';
/**
 * How the bootstrap connection signs in. ServicePrincipalCertificate is Azure DevOps' scheme
 * ServicePrincipal with authenticationType spnCertificate; ManagedServiceIdentity is the agent VM's identity.
 */
export type BootstrapScheme = 'WorkloadIdentityFederation' | 'ServicePrincipal' | 'ServicePrincipalCertificate' | 'ManagedServiceIdentity';
/** Which of the agent VM's identities a ManagedServiceIdentity bootstrap connection uses. */
export type AgentVmIdentity = 'systemAssigned' | 'userAssigned';

export interface ServiceUrls {
  login: string;
  arm: string;
  devops: string;
  /** Microsoft Graph's base URL (the v1.0 segment follows it). */
  graph: string;
}

/** Microsoft Graph application permissions (app roles) the emulator's Graph knows. */
export type GraphPermission = 'Application.Read.All' | 'Application.ReadWrite.OwnedBy' | 'Application.ReadWrite.All' | 'Directory.Read.All';

export interface ProjectFacts {
  name: string;
  id: string;
}

export interface PipelineFacts {
  id: number;
  name: string;
  /** `\` for the root folder, `\apps` below it. */
  folder: string;
  projectId: string;
}

export interface World {
  tenantId: string;
  subscriptionId: string;
  subscriptionName: string;
  resourceGroups: Array<{ name: string; location: string; id: string }>;
  organization: { name: string; id: string; url: string };
  project: ProjectFacts;
  secondProject: ProjectFacts;
  /** Pipeline definitions seeded in the projects (build definitions; the pipeline-permissions ids). */
  pipelines: PipelineFacts[];
  /**
   * The bootstrap connection and the principal it signs in as: an app registration (secret, certificate or
   * federated credential), or for ManagedServiceIdentity the agent VM's chosen identity.
   */
  bootstrap: {
    connectionId: string;
    connectionName: string;
    clientId: string;
    /** Object id of the bootstrap application's service principal (the `oid` of its tokens). */
    objectId: string;
    /** Object id of the bootstrap application itself. */
    applicationObjectId: string;
    clientSecret: string;
    /** PEM certificate and private key (ServicePrincipalCertificate only). */
    certificatePem?: string;
    /** The user-assigned identity's client id, as endpoint data msiclientId (ManagedServiceIdentity, userAssigned). */
    msiClientId?: string;
  };
  /** The identity the job token stands for ("Project Collection Build Service (contoso)"). */
  buildService: { id: string; displayName: string };
  /** The management group above the subscription (itself below the tenant root group, id = tenant id). */
  managementGroup: { id: string; displayName: string; scope: string };
  /** A custom role, assignable in the management group and below. */
  customRole: { id: string; roleName: string };
  /** The self-hosted agent's VM and its identities (the instance metadata endpoint serves their tokens). */
  agentVm: {
    resourceId: string;
    systemAssigned: { clientId: string; objectId: string };
    userAssigned: { clientId: string; objectId: string; resourceId: string };
  };
  /** Personal access tokens of two users of the organization: a project administrator and a reader. */
  personalAccessTokens: { administrator: string; reader: string };
  jobAccessToken: string;
  planId: string;
  jobId: string;
}

// ---- Entra directory -------------------------------------------------------------------------------

/**
 * A service principal as Entra and ARM see it: what a token names (appId) and stands for (objectId).
 * Federated credentials live with the object that owns them: an app registration's on its Graph
 * application (applicationObjectId), a managed identity's in ARM state (managedIdentityResourceId).
 */
export interface DirectoryPrincipal {
  objectId: string;
  /** The client id a token request names. */
  appId: string;
  displayName: string;
  kind: 'Application' | 'ManagedIdentity';
  /** When the principal was created (epoch ms); drives the role-assignment replication window. */
  createdAt: number;
  secrets: string[];
  /** Object id of the Graph application behind an app registration's service principal. */
  applicationObjectId?: string;
  /** Microsoft Graph application permissions granted (with admin consent): the `roles` of its Graph tokens. */
  graphPermissions?: GraphPermission[];
  /** ARM id of the user-assigned identity behind a managed-identity principal (token claim xms_mirid). */
  managedIdentityResourceId?: string;
  /** Certificate credentials of an app registration (keyCredentials), by thumbprint. */
  certificates?: Array<Pick<ClientCertificate, 'x5t' | 'x5tS256' | 'publicKeyPem'>>;
}

export interface ManagementGroupRecord {
  id: string;
  displayName: string;
  /** Undefined for the tenant root group. */
  parentId?: string;
}

// ---- Microsoft Graph wire shapes (tests/fixtures/contracts/graph-v1.0/NOTES.md) ---------------------

export interface GraphApplication {
  id: string;
  deletedDateTime: null;
  appId: string;
  applicationTemplateId: null;
  identifierUris: string[];
  createdDateTime: string;
  description: string | null;
  displayName: string;
  notes: string | null;
  publisherDomain: string;
  signInAudience: string;
  tags: string[];
  uniqueName: string | null;
  requiredResourceAccess: unknown[];
  keyCredentials: unknown[];
  passwordCredentials: unknown[];
}

export interface GraphFederatedIdentityCredential {
  id: string;
  name: string;
  issuer: string;
  subject: string;
  description: string | null;
  audiences: string[];
}

export interface GraphServicePrincipal {
  id: string;
  deletedDateTime: null;
  accountEnabled: boolean;
  appDisplayName: string;
  appId: string;
  appOwnerOrganizationId: string;
  appRoleAssignmentRequired: boolean;
  displayName: string;
  servicePrincipalNames: string[];
  servicePrincipalType: 'Application';
  signInAudience: string;
  tags: string[];
}

export interface StoredApplication {
  resource: GraphApplication;
  /** Object ids of the owners (service principals or users). */
  owners: string[];
  /** When it was written to the directory (epoch ms); drives the Graph replication window. */
  createdAt: number;
  /** Keyed by lower-cased name. */
  federatedCredentials: Map<string, { resource: GraphFederatedIdentityCredential; createdAt: number }>;
}

export interface StoredServicePrincipal {
  resource: GraphServicePrincipal;
  owners: string[];
  createdAt: number;
}

/** An application as state() hands it out: as GET /applications/{id}?$expand=owners,federatedIdentityCredentials answers. */
export type ApplicationSnapshot = GraphApplication & {
  owners: Array<{ '@odata.type': string; id: string }>;
  federatedIdentityCredentials: GraphFederatedIdentityCredential[];
};

// ---- ARM wire shapes (tests/fixtures/contracts/: arm-msi-2024-11-30, arm-authorization-2022-04-01) ---

export interface UserAssignedIdentityResource {
  id: string;
  name: string;
  type: 'Microsoft.ManagedIdentity/userAssignedIdentities';
  location: string;
  tags: Record<string, string>;
  properties: { tenantId: string; principalId: string; clientId: string; isolationScope: 'None' | 'Regional' };
}

export interface FederatedIdentityCredentialResource {
  id: string;
  name: string;
  type: 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';
  properties: { issuer: string; subject: string; audiences: string[] };
}

export interface RoleAssignmentResource {
  id: string;
  name: string;
  type: 'Microsoft.Authorization/roleAssignments';
  properties: {
    roleDefinitionId: string;
    principalId: string;
    principalType: string;
    scope: string;
    condition: string | null;
    conditionVersion: string | null;
    description: string | null;
    createdOn: string;
    updatedOn: string;
    createdBy: string | null;
    updatedBy: string | null;
    delegatedManagedIdentityResourceId: string | null;
  };
}

// ---- Azure DevOps ----------------------------------------------------------------------------------

export interface DevOpsIdentity {
  id: string;
  displayName: string;
  uniqueName: string;
  descriptor: string;
}

/** ProjectState (tests/fixtures/contracts/ado-core-7.2/core.json); `new` and `createPending` while it is being created. */
export type ProjectState = 'new' | 'createPending' | 'wellFormed' | 'deleting';

export interface ProjectRecord {
  id: string;
  name: string;
  description: string;
  revision: number;
  lastUpdateTime: string;
  state: ProjectState;
  /** While being created: wellFormed once this many reads have answered the pending state, or at this time. */
  pending?: { readsLeft?: number; wellFormedAt?: number };
}

/** ResourcePipelinePermissions of one resource in one project (tests/fixtures/contracts/ado-pipelinepermissions-7.2). */
export interface PipelinePermissionsRecord {
  projectId: string;
  resource: { type: string; id: string };
  allPipelines?: { authorized: boolean; authorizedBy: Record<string, unknown>; authorizedOn: string };
  pipelines: Array<{ id: number; authorized: boolean; authorizedBy: Record<string, unknown>; authorizedOn: string }>;
}

export interface ServiceEndpointProjectReference {
  projectReference: { id: string; name: string };
  name: string;
  description?: string;
}

/** A service connection in the wire shape of tests/fixtures/contracts/ado-serviceendpoint-7.2 (secrets masked). */
export interface ServiceEndpoint {
  id: string;
  name: string;
  type: string;
  url: string;
  description: string;
  data: Record<string, string>;
  authorization: { scheme: string; parameters: Record<string, string | null> };
  createdBy: Record<string, unknown>;
  isShared: boolean;
  isReady: boolean;
  /** Azure DevOps disables connections unused for 100 days; a disabled connection cannot be used. */
  isDisabled: boolean;
  isOutdated: boolean;
  /** 'Library' as Azure DevOps answers it, whatever the casing sent (ado-serviceendpoint-get-real). */
  owner: string;
  /** Absent from real GETs of a ready connection (ado-serviceendpoint-get-real); present while InProgress or Failed. */
  operationStatus?: { state: string; statusMessage: string };
  serviceEndpointProjectReferences: ServiceEndpointProjectReference[];
}

export interface StoredEndpoint {
  endpoint: ServiceEndpoint;
  /** Confidential authorization parameters; the service never returns them. */
  secrets: Record<string, string>;
  /** The creator becomes Administrator of the connection it created. */
  creatorId: string;
  /** Reads left that answer isReady false / InProgress (the readiness knob). */
  inProgressReadsLeft: number;
  finalState: 'Ready' | 'Failed';
  finalStatusMessage: string;
  /**
   * What callers other than its creator and the project's administrators see of it (ado-serviceendpoint-get-real):
   * everything (default), a partial object (type, data and authorization null), or nothing (an empty list,
   * a null GET) while its name stays taken.
   */
  visibility?: ConnectionVisibility;
}

export type ConnectionVisibility = 'full' | 'partial' | 'hidden';

export interface ConnectionReadiness {
  /** How many reads of a new connection answer isReady false / InProgress; default 0. */
  inProgressReads: number;
  /** What the connection settles to afterwards; default Ready. */
  finalState?: 'Ready' | 'Failed';
  statusMessage?: string;
}

export interface Snapshot {
  identities: UserAssignedIdentityResource[];
  federatedCredentials: FederatedIdentityCredentialResource[];
  roleAssignments: RoleAssignmentResource[];
  serviceConnections: ServiceEndpoint[];
  applications: ApplicationSnapshot[];
  servicePrincipals: GraphServicePrincipal[];
  /** Every project with its state (project references of connections name them by id). */
  projects: Array<{ id: string; name: string; state: ProjectState }>;
  pipelinePermissions: PipelinePermissionsRecord[];
  checkConfigurations: CheckConfigurationRecord[];
}

export interface Settings {
  bootstrapScheme: BootstrapScheme;
  /** The bootstrap principal's role on service connections as a user of the organization; 'none': not a user. */
  bootstrapDevOpsRole: BuildServiceRole | 'none';
  buildServiceRole: BuildServiceRole;
  principalReplicationMs: number;
  federatedCredentialPropagationMs: number;
  ficWriteWindowMs: number;
  connectionReadiness: ConnectionReadiness;
  /**
   * Whether principalType spares a role assignment the principal's replication window (Microsoft's
   * documented cure); false plays the tenants that still answer PrincipalNotFound with it.
   */
  principalTypeSkipsReplication: boolean;
  /** How long a new application or service principal stays invisible to other Graph requests. */
  graphReplicationMs: number;
  /** How long a new role assignment goes unhonoured by ARM's authorization checks (default 0). */
  roleAssignmentPropagationMs: number;
  /**
   * The issuer new workload identity connections get: 'entra' (https://login.microsoftonline.com/<tenant>/v2.0,
   * subject /eid1/c/pub/t/…/sc/<org id>/<connection id>, what Azure DevOps issues today) or 'devops' (the
   * former https://vstoken.dev.azure.com/<org id>, subject sc://<org>/<project>/<name>).
   */
  connectionIssuer: 'entra' | 'devops';
  /** Where the real services answer more than one way (tests/fixtures/recordings/): which way this world answers. */
  recorded: RecordedBehaviour;
  /**
   * The emulator's time: replication windows, propagation, the credential write window, project
   * readiness, latency and the request log read it. Token lifetimes stay on real time (MSAL checks them
   * with Date.now()).
   */
  clock: Clock;
}

/**
 * Behaviours taken from recorded traffic (tests/fixtures/recordings/) where the real services answer in
 * more than one way, or where what they answer is not known: the emulator plays each answer on request.
 */
export interface RecordedBehaviour {
  /**
   * What Azure DevOps answers a refused credential sent without X-TFS-FedAuthRedirect: Suppress: 203 (what
   * the service sent in azure-sdk-for-cpp#5786) or 302 (what its troubleshooting guide said), each with an
   * HTML sign-in page (ado-oidctoken-invalid-token). With the header: 401.
   */
  signInRedirectStatus: 203 | 302;
  /**
   * Microsoft.ManagedIdentity api-versions of the cloud (default: every version the public cloud has). A
   * cloud without the one asked for answers 400 NoRegisteredProviderFound listing these
   * (arm-msi-identity-put-sovereign-apiversion); whether the sovereign clouds have 2024-11-30 today is unknown.
   */
  managedIdentityApiVersions?: string[];
  /**
   * What Graph's upsert of a service principal by appId answers while its application replicates, which is
   * undocumented (graph-upsert-docs-notes): POST's recorded answers, 400 NoBackingApplicationObject or 403
   * Authorization_RequestDenied (graph-serviceprincipal-create-errors), or 404 Request_ResourceNotFound.
   * Default 'recorded': 403 to an OwnedBy caller, 400 otherwise.
   */
  servicePrincipalLagAnswer: 'recorded' | 'NoBackingApplicationObject' | 'Authorization_RequestDenied' | 'Request_ResourceNotFound';
  /** Lists longer than this come in pages (ARM nextLink, Graph @odata.nextLink, Azure DevOps continuation token); default: no paging. */
  pageSize?: number;
}

/** Azure DevOps' own first-party app id; it appears, encoded, in the subjects of Entra-issued OIDC tokens. */
export const AZURE_DEVOPS_APP_ID = '499b84ac-1321-427f-aa17-267ca6975798';
export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';

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

export function newGuid(): string {
  return randomUUID();
}

export function managementGroupScope(id: string): string {
  return `/providers/Microsoft.Management/managementGroups/${id}`;
}

/**
 * A personal access token in the current format: 84 characters with the AZDO signature at position 76
 * (azure-devops-node-api WebApi personalAccessTokenRegex `^.{76}AZDO.{4}$`).
 */
export function newPersonalAccessToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const random = (n: number): string => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${random(76)}AZDO${random(4)}`;
}

/**
 * Base64url of a GUID in .NET byte order (Guid.ToByteArray: the first three groups little-endian), the
 * encoding Entra uses inside subjects such as /eid1/c/pub/t/v4j5cvGGr0GRqy180BHbRw/... (that segment is
 * tenant 72f988bf-86f1-41af-91ab-2d7cd011db47).
 */
export function guidToDotNetBase64Url(guid: string): string {
  const bytes = Buffer.from(guid.replace(/-/g, ''), 'hex');
  const reordered = Buffer.concat([
    Buffer.from(bytes.subarray(0, 4)).reverse(),
    Buffer.from(bytes.subarray(4, 6)).reverse(),
    Buffer.from(bytes.subarray(6, 8)).reverse(),
    bytes.subarray(8),
  ]);
  return reordered.toString('base64url');
}

/** The opaque subject Azure DevOps gives a new workload identity connection (docs/wire.md: ends /sc/{orgId}/{endpointId}). */
export function workloadIdentitySubject(tenantId: string, organizationId: string, endpointId: string): string {
  return `/eid1/c/pub/t/${guidToDotNetBase64Url(tenantId)}/a/${guidToDotNetBase64Url(AZURE_DEVOPS_APP_ID)}/sc/${organizationId}/${endpointId}`;
}

/** An Entra-style client secret value: 40 characters with the "~" marker at position 4. */
export function newClientSecret(): string {
  const raw = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x');
  return `${raw.slice(0, 3)}8Q~${raw.slice(3, 37)}`;
}

export interface SeedOptions {
  /** Role names the bootstrap principal holds: 'Role' at the subscription, 'Role@/scope' elsewhere. */
  bootstrapRoles: string[];
  /** Microsoft Graph application permissions of the bootstrap application. */
  graphPermissions: GraphPermission[];
  /** The bootstrap app's certificate (ServicePrincipalCertificate). */
  clientCertificate?: ClientCertificate;
  /** Which agent VM identity a ManagedServiceIdentity bootstrap uses; default systemAssigned. */
  agentVmIdentity?: AgentVmIdentity;
}

/** Builds the seeded world: tenant, subscription, resource groups, organization, projects, bootstrap. */
export function seedWorld(urls: ServiceUrls, cloud: CloudProfile, settings: Settings, options: SeedOptions): EmulatorState {
  const entraKey = JwtSigningKey.shared('entra');
  const devopsKey = JwtSigningKey.shared('devops');
  const tenantId = newGuid();
  const subscriptionId = newGuid();
  const organization = { name: 'contoso', id: newGuid(), url: `${urls.devops}contoso/` };
  const project = { name: 'platform', id: newGuid() };
  const secondProject = { name: 'app1', id: newGuid() };
  const buildService: DevOpsIdentity = {
    id: newGuid(),
    displayName: `Project Collection Build Service (${organization.name})`,
    uniqueName: `Build\\${organization.id}`,
    descriptor: `svc.${Buffer.from(`${organization.id}:Build:${organization.id}`).toString('base64url')}`,
  };
  const platformAdmin: DevOpsIdentity = {
    id: newGuid(),
    displayName: 'Platform Admin',
    uniqueName: 'platform.admin@contoso.example',
    descriptor: `aad.${Buffer.from(newGuid()).toString('base64url')}`,
  };
  const readerUser: DevOpsIdentity = {
    id: newGuid(),
    displayName: 'Rita Reader',
    uniqueName: 'rita.reader@contoso.example',
    descriptor: `aad.${Buffer.from(newGuid()).toString('base64url')}`,
  };
  const planId = newGuid();
  const jobId = newGuid();
  const agentVmId = `/subscriptions/${subscriptionId}/resourceGroups/rg-agents/providers/Microsoft.Compute/virtualMachines/vm-agent-01`;
  const agentVm: World['agentVm'] = {
    resourceId: agentVmId,
    systemAssigned: { clientId: newGuid(), objectId: newGuid() },
    userAssigned: {
      clientId: newGuid(),
      objectId: newGuid(),
      resourceId: `/subscriptions/${subscriptionId}/resourcegroups/rg-agents/providers/Microsoft.ManagedIdentity/userAssignedIdentities/id-agent-vm`,
    },
  };
  const usesVmIdentity = settings.bootstrapScheme === 'ManagedServiceIdentity';
  const vmIdentity = options.agentVmIdentity === 'userAssigned' ? agentVm.userAssigned : agentVm.systemAssigned;
  const bootstrap: World['bootstrap'] = {
    connectionId: newGuid(),
    connectionName: 'platform-bootstrap',
    clientId: usesVmIdentity ? vmIdentity.clientId : newGuid(),
    objectId: usesVmIdentity ? vmIdentity.objectId : newGuid(),
    applicationObjectId: newGuid(),
    clientSecret: newClientSecret(),
    certificatePem: options.clientCertificate?.pem,
    msiClientId: usesVmIdentity && options.agentVmIdentity === 'userAssigned' ? vmIdentity.clientId : undefined,
  };
  const managementGroup = { id: 'mg-platform', displayName: 'Platform', scope: managementGroupScope('mg-platform') };
  const customRole = { id: newGuid(), roleName: 'Platform Deployer' };
  const personalAccessTokens = { administrator: newPersonalAccessToken(), reader: newPersonalAccessToken() };
  const issuedAt = epochSeconds();
  // Shaped like a real System.AccessToken (iss/aud app.vstoken.visualstudio.com, nameid = identity id).
  const jobAccessToken = devopsKey.sign({
    nameid: buildService.id,
    scp: 'app_token',
    aui: newGuid(),
    appid: newGuid(),
    iss: 'app.vstoken.visualstudio.com',
    aud: `app.vstoken.visualstudio.com|vso:${organization.id}`,
    orchid: `${planId}.${jobId}.__default`,
    nbf: issuedAt,
    exp: issuedAt + 6 * 3600,
  });
  const resourceGroups = [
    { name: 'rg-identities', location: 'westeurope' },
    { name: 'rg-app1-dev', location: 'westeurope' },
  ];
  // Folders as Azure DevOps writes them; one name in two folders, for the ambiguous-name case.
  const pipelines: PipelineFacts[] = [
    { id: 1, name: 'platform-bootstrap', folder: '\\', projectId: project.id },
    { id: 7, name: 'app1-deploy', folder: '\\apps', projectId: project.id },
    { id: 8, name: 'app1-deploy', folder: '\\legacy', projectId: project.id },
    { id: 12, name: 'app1-ci', folder: '\\', projectId: project.id },
    { id: 21, name: 'app1-release', folder: '\\', projectId: secondProject.id },
  ];
  const world: World = {
    tenantId,
    subscriptionId,
    subscriptionName: 'Platform Dev',
    resourceGroups: resourceGroups.map((rg) => ({ ...rg, id: `/subscriptions/${subscriptionId}/resourceGroups/${rg.name}` })),
    organization,
    project,
    secondProject,
    pipelines,
    bootstrap,
    buildService: { id: buildService.id, displayName: buildService.displayName },
    managementGroup,
    customRole,
    agentVm,
    personalAccessTokens,
    jobAccessToken,
    planId,
    jobId,
  };

  const state = new EmulatorState(world, urls, cloud, settings, entraKey, devopsKey, { id: subscriptionId, displayName: 'Platform Dev' }, resourceGroups);
  state.noteSecret(jobAccessToken);
  state.noteSecret(bootstrap.clientSecret);
  // The agent masks line by line: each line of the certificate's private key is a secret of its own.
  const privateKey = /-----BEGIN [A-Z ]*PRIVATE KEY-----([\s\S]*?)-----END/.exec(bootstrap.certificatePem ?? '')?.[1] ?? '';
  for (const line of privateKey.split(/\r?\n/)) if (line.trim().length >= 16) state.noteSecret(line.trim());
  state.devopsIdentities.set(buildService.id, buildService);
  state.devopsIdentities.set(platformAdmin.id, platformAdmin);
  state.devopsIdentities.set(readerUser.id, readerUser);
  state.devopsRoles.set(readerUser.id, 'Reader');
  state.personalAccessTokens.set(personalAccessTokens.administrator, platformAdmin.id);
  state.personalAccessTokens.set(personalAccessTokens.reader, readerUser.id);
  state.noteSecret(personalAccessTokens.administrator);
  state.noteSecret(personalAccessTokens.reader);

  // Tenant Root Group (id = tenant id) > Platform > the subscription.
  state.managementGroups.push(
    { id: tenantId, displayName: 'Tenant Root Group' },
    { id: managementGroup.id, displayName: managementGroup.displayName, parentId: tenantId },
  );
  state.subscriptionParent = managementGroup.id;
  state.customRoles.push({
    id: customRole.id,
    roleName: customRole.roleName,
    description: 'Reads everything and runs deployments; defined by the platform team.',
    type: 'CustomRole',
    assignableScopes: [managementGroup.scope],
    permissions: [{ actions: ['*/read', 'Microsoft.Resources/deployments/*'], notActions: [], dataActions: [], notDataActions: [] }],
  });
  const seededAt = new Date().toISOString();
  state.projects.push(
    { id: project.id, name: project.name, description: 'Platform team', revision: 11, lastUpdateTime: seededAt, state: 'wellFormed' },
    { id: secondProject.id, name: secondProject.name, description: 'Application 1', revision: 12, lastUpdateTime: seededAt, state: 'wellFormed' },
  );
  state.pipelineDefinitions.push(...pipelines.map((p) => ({ ...p })));

  const bootstrapIssuer = state.entraIssuer(tenantId);
  const bootstrapSubject = workloadIdentitySubject(tenantId, organization.id, bootstrap.connectionId);
  const longAgo = Date.now() - 30 * 24 * 3600_000;
  const vmPrincipal = (identity: { clientId: string; objectId: string }, displayName: string, resourceId: string): DirectoryPrincipal => ({
    objectId: identity.objectId,
    appId: identity.clientId,
    displayName,
    kind: 'ManagedIdentity',
    createdAt: longAgo,
    secrets: [],
    managedIdentityResourceId: resourceId,
  });
  state.principals.set(agentVm.systemAssigned.objectId, vmPrincipal(agentVm.systemAssigned, 'vm-agent-01', agentVm.resourceId));
  state.principals.set(agentVm.userAssigned.objectId, vmPrincipal(agentVm.userAssigned, 'id-agent-vm', agentVm.userAssigned.resourceId));
  if (!usesVmIdentity) {
    // The bootstrap connection's identity: an app registration made by an administrator a month ago, with
    // a secret and a federated credential for the bootstrap connection, and admin-consented Graph permissions.
    const bootstrapApplication: StoredApplication = {
      resource: graphApplication({
        id: bootstrap.applicationObjectId,
        appId: bootstrap.clientId,
        displayName: 'contoso-platform-bootstrap',
        signInAudience: 'AzureADMyOrg',
        uniqueName: null,
        createdAt: longAgo,
      }),
      owners: [platformAdmin.id],
      createdAt: longAgo,
      federatedCredentials: new Map([
        [
          'platform-bootstrap',
          {
            resource: {
              id: newGuid(),
              name: 'platform-bootstrap',
              issuer: bootstrapIssuer,
              subject: bootstrapSubject,
              description: null,
              audiences: [TOKEN_EXCHANGE_AUDIENCE],
            },
            createdAt: longAgo,
          },
        ],
      ]),
    };
    state.applications.set(bootstrap.applicationObjectId.toLowerCase(), bootstrapApplication);
    state.addServicePrincipal(graphServicePrincipal(bootstrap.objectId, bootstrapApplication.resource, tenantId), bootstrapApplication, [], longAgo);
    const bootstrapPrincipal = state.principals.get(bootstrap.objectId)!;
    bootstrapPrincipal.secrets.push(bootstrap.clientSecret);
    bootstrapPrincipal.graphPermissions = [...options.graphPermissions];
    if (options.clientCertificate) bootstrapPrincipal.certificates = [options.clientCertificate];
  }
  // The bootstrap principal as a user of the organization (Azure DevOps adds service principals and managed
  // identities as users: https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/service-principal-managed-identity).
  const bootstrapUser: DevOpsIdentity = {
    id: newGuid(),
    displayName: usesVmIdentity ? 'vm-agent-01' : 'contoso-platform-bootstrap',
    uniqueName: bootstrap.objectId,
    descriptor: `aadsp.${Buffer.from(bootstrap.objectId).toString('base64url')}`,
  };
  state.devopsIdentities.set(bootstrapUser.id, bootstrapUser);
  state.devopsMembers.set(bootstrap.objectId, bootstrapUser.id);

  const subscriptionScope = `/subscriptions/${subscriptionId}`;
  for (const entry of options.bootstrapRoles) {
    const [roleName, at] = entry.split('@');
    const role = state.roleByName(roleName);
    if (!role) throw new Error(`Emulator: unknown bootstrap role '${roleName}'`);
    const scope = at ?? subscriptionScope;
    const inSubscription = scope.toLowerCase().startsWith(subscriptionScope.toLowerCase());
    const assignment = roleAssignmentResource({
      scope,
      name: newGuid(),
      roleDefinitionId: `${inSubscription ? subscriptionScope : ''}/providers/Microsoft.Authorization/roleDefinitions/${role.id}`,
      principalId: bootstrap.objectId,
      principalType: 'ServicePrincipal',
      createdBy: null,
    });
    state.roleAssignments.set(assignment.id.toLowerCase(), assignment);
  }

  const scheme = settings.bootstrapScheme === 'ServicePrincipalCertificate' ? 'ServicePrincipal' : settings.bootstrapScheme;
  const parameters: Record<string, string | null> = { tenantid: tenantId, serviceprincipalid: bootstrap.clientId };
  const secrets: Record<string, string> = {};
  const data: Record<string, string> = {
    environment: cloud.environment,
    scopeLevel: 'Subscription',
    subscriptionId,
    subscriptionName: world.subscriptionName,
    creationMode: 'Manual',
  };
  switch (settings.bootstrapScheme) {
    case 'WorkloadIdentityFederation':
      Object.assign(parameters, workloadIdentityParameters(bootstrapIssuer, bootstrapSubject));
      break;
    case 'ServicePrincipal':
      parameters.authenticationType = 'spnKey';
      parameters.serviceprincipalkey = null;
      secrets.serviceprincipalkey = bootstrap.clientSecret;
      break;
    case 'ServicePrincipalCertificate':
      parameters.authenticationType = 'spnCertificate';
      parameters.servicePrincipalCertificate = null;
      secrets.servicePrincipalCertificate = bootstrap.certificatePem ?? '';
      break;
    case 'ManagedServiceIdentity':
      // A managed identity connection names only the tenant; the agent machine supplies the identity.
      delete parameters.serviceprincipalid;
      if (bootstrap.msiClientId) data.msiclientId = bootstrap.msiClientId;
      break;
  }
  state.serviceEndpoints.set(bootstrap.connectionId, {
    endpoint: {
      id: bootstrap.connectionId,
      name: bootstrap.connectionName,
      type: 'AzureRM',
      url: urls.arm,
      description: '',
      data,
      authorization: { scheme, parameters },
      createdBy: identityReference(platformAdmin, organization.url),
      isShared: false,
      isReady: true,
      isDisabled: false,
      isOutdated: false,
      owner: 'Library',
      serviceEndpointProjectReferences: [{ projectReference: { ...project }, name: bootstrap.connectionName, description: '' }],
    },
    secrets,
    creatorId: platformAdmin.id,
    inProgressReadsLeft: 0,
    finalState: 'Ready',
    finalStatusMessage: '',
  });
  return state;
}

/** A new application as Graph answers it (tests/fixtures/contracts/graph-v1.0/NOTES.md §1-2). */
export function graphApplication(input: {
  id: string;
  appId: string;
  displayName: string;
  signInAudience: string;
  uniqueName: string | null;
  createdAt: number;
}): GraphApplication {
  return {
    id: input.id,
    deletedDateTime: null,
    appId: input.appId,
    applicationTemplateId: null,
    identifierUris: [],
    createdDateTime: new Date(input.createdAt).toISOString().replace(/\.\d+Z$/, 'Z'),
    description: null,
    displayName: input.displayName,
    notes: null,
    publisherDomain: 'contoso.onmicrosoft.com',
    signInAudience: input.signInAudience,
    tags: [],
    uniqueName: input.uniqueName,
    requiredResourceAccess: [],
    keyCredentials: [],
    passwordCredentials: [],
  };
}

/** A new service principal for an application, as Graph answers it (tests/fixtures/contracts/graph-v1.0/NOTES.md §3-4). */
export function graphServicePrincipal(id: string, application: GraphApplication, tenantId: string): GraphServicePrincipal {
  return {
    id,
    deletedDateTime: null,
    accountEnabled: true,
    appDisplayName: application.displayName,
    appId: application.appId,
    appOwnerOrganizationId: tenantId,
    appRoleAssignmentRequired: false,
    displayName: application.displayName,
    servicePrincipalNames: [application.appId],
    servicePrincipalType: 'Application',
    signInAudience: application.signInAudience,
    tags: [],
  };
}

export function workloadIdentityParameters(issuer: string, subject: string, issuerType: 'EntraID' | 'AzureDevOps' = 'EntraID'): Record<string, string> {
  return { workloadIdentityFederationIssuer: issuer, workloadIdentityFederationIssuerType: issuerType, workloadIdentityFederationSubject: subject };
}

/**
 * IdentityRef as Azure DevOps embeds it in createdBy
 * (tests/fixtures/contracts/ado-serviceendpoint-7.2/httpExamples/endpoints/CreateAzureRMEndpoint.json).
 */
export function identityReference(identity: DevOpsIdentity, organizationUrl: string): Record<string, unknown> {
  const avatar = `${organizationUrl}_apis/GraphProfile/MemberAvatars/${identity.descriptor}`;
  return {
    displayName: identity.displayName,
    url: `${organizationUrl}_apis/Identities/${identity.id}`,
    _links: { avatar: { href: avatar } },
    id: identity.id,
    uniqueName: identity.uniqueName,
    imageUrl: avatar,
    descriptor: identity.descriptor,
  };
}

export interface RoleAssignmentInput {
  scope: string;
  name: string;
  roleDefinitionId: string;
  principalId: string;
  principalType: string;
  createdBy: string | null;
  description?: string | null;
  condition?: string | null;
  conditionVersion?: string | null;
}

/**
 * A role assignment as 2022-04-01 answers
 * (tests/fixtures/contracts/arm-authorization-2022-04-01/examples/RoleAssignments_CreateForSubscription.json).
 */
export function roleAssignmentResource(input: RoleAssignmentInput): RoleAssignmentResource {
  const at = new Date().toISOString();
  return {
    id: `${input.scope}/providers/Microsoft.Authorization/roleAssignments/${input.name}`,
    name: input.name,
    type: 'Microsoft.Authorization/roleAssignments',
    properties: {
      roleDefinitionId: input.roleDefinitionId,
      principalId: input.principalId,
      principalType: input.principalType,
      scope: input.scope,
      condition: input.condition ?? null,
      conditionVersion: input.conditionVersion ?? null,
      description: input.description ?? null,
      createdOn: at,
      updatedOn: at,
      createdBy: input.createdBy,
      updatedBy: input.createdBy,
      delegatedManagedIdentityResourceId: null,
    },
  };
}
