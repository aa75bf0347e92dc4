/**
 * Everything the services know, in one place: the seeded facts (World) and the mutable state
 * (directory principals, Graph applications and service principals, ARM resources, Azure DevOps
 * projects and service connections). Resources are
 * stored in the wire shape their service answers with, so state() can hand them out as they are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { JwtSigningKey, epochSeconds } from './jwt';
import { findRoleByName } from './roles';

export type BuildServiceRole = 'Reader' | 'User' | 'Creator' | 'Administrator';
export type BootstrapScheme = 'WorkloadIdentityFederation' | 'ServicePrincipal';

export interface ServiceUrls {
  login: string;
  arm: string;
  devops: string;
  /** Microsoft Graph's base URL (the v1.0 segment follows it). */
  graph: string;
}

/** Microsoft Graph application permissions (app roles) the emulator's Graph knows. */
export type GraphPermission =
  | 'Application.Read.All'
  | 'Application.ReadWrite.OwnedBy'
  | 'Application.ReadWrite.All'
  | 'Directory.Read.All';

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
  bootstrap: {
    connectionId: string;
    connectionName: string;
    clientId: string;
    /** Object id of the bootstrap application's service principal (the `oid` of its tokens). */
    objectId: string;
    /** Object id of the bootstrap application itself. */
    applicationObjectId: string;
    clientSecret: string;
  };
  /** The identity the job token stands for ("Project Collection Build Service (contoso)"). */
  buildService: { id: string; displayName: string };
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
}

// ---- Microsoft Graph wire shapes (contracts/graph-v1.0/NOTES.md) ------------------------------------

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

// ---- ARM wire shapes (contracts/arm-msi-2024-11-30, contracts/arm-authorization-2022-04-01) ----------

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

/** ProjectState (contracts/ado-core-7.2/core.json); `new` and `createPending` while it is being created. */
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

/** ResourcePipelinePermissions of one resource in one project (contracts/ado-pipelinepermissions-7.2). */
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

/** A service connection in the wire shape of contracts/ado-serviceendpoint-7.2 (secrets masked). */
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
  isOutdated: boolean;
  owner: string;
  operationStatus: { state: string; statusMessage: string };
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
}

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
}

export interface Settings {
  bootstrapScheme: BootstrapScheme;
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
  readonly projects: ProjectRecord[] = [];
  readonly pipelineDefinitions: PipelineFacts[] = [];
  /** Keyed by `${projectId}/${resourceType}/${resourceId}`, lower-cased. */
  readonly pipelinePermissions = new Map<string, PipelinePermissionsRecord>();
  readonly serviceEndpoints = new Map<string, StoredEndpoint>();
  readonly devopsIdentities = new Map<string, DevOpsIdentity>();
  /** Graph applications, keyed by lower-cased object id. */
  readonly applications = new Map<string, StoredApplication>();
  /** Graph service principals, keyed by lower-cased object id. */
  readonly servicePrincipals = new Map<string, StoredServicePrincipal>();

  constructor(
    readonly world: World,
    readonly urls: ServiceUrls,
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

  findResourceGroup(name: string): { name: string; location: string } | undefined {
    return this.resourceGroups.find((rg) => rg.name.toLowerCase() === name.toLowerCase());
  }

  /** A project in any state, its pending state settled first when its time has come. */
  findProject(idOrName: string): ProjectRecord | undefined {
    const wanted = idOrName.toLowerCase();
    const project = this.projects.find((p) => p.id.toLowerCase() === wanted || p.name.toLowerCase() === wanted);
    const pending = project?.pending;
    if (pending && ((pending.wellFormedAt !== undefined && Date.now() >= pending.wellFormedAt) || (pending.readsLeft ?? 1) <= 0)) settle(project!);
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

  entraIssuer(tenantId: string): string {
    return `${this.urls.login}${tenantId}/v2.0`;
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
  addServicePrincipal(resource: GraphServicePrincipal, application: StoredApplication, owners: string[], createdAt = Date.now()): void {
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

/** The opaque subject Azure DevOps gives a new workload identity connection (WIRE.md: ends /sc/{orgId}/{endpointId}). */
export function workloadIdentitySubject(tenantId: string, organizationId: string, endpointId: string): string {
  return `/eid1/c/pub/t/${guidToDotNetBase64Url(tenantId)}/a/${guidToDotNetBase64Url(AZURE_DEVOPS_APP_ID)}/sc/${organizationId}/${endpointId}`;
}

/** An Entra-style client secret value: 40 characters with the "~" marker at position 4. */
export function newClientSecret(): string {
  const raw = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x');
  return `${raw.slice(0, 3)}8Q~${raw.slice(3, 37)}`;
}

export interface SeedOptions {
  bootstrapRoles: string[];
  /** Microsoft Graph application permissions of the bootstrap application. */
  graphPermissions: GraphPermission[];
}

/** Builds the seeded world: tenant, subscription, resource groups, organization, projects, bootstrap. */
export function seedWorld(urls: ServiceUrls, settings: Settings, options: SeedOptions): EmulatorState {
  const entraKey = new JwtSigningKey();
  const devopsKey = new JwtSigningKey();
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
  const planId = newGuid();
  const jobId = newGuid();
  const bootstrap = {
    connectionId: newGuid(),
    connectionName: 'platform-bootstrap',
    clientId: newGuid(),
    objectId: newGuid(),
    applicationObjectId: newGuid(),
    clientSecret: newClientSecret(),
  };
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
    jobAccessToken,
    planId,
    jobId,
  };

  const state = new EmulatorState(world, urls, settings, entraKey, devopsKey, { id: subscriptionId, displayName: 'Platform Dev' }, resourceGroups);
  state.devopsIdentities.set(buildService.id, buildService);
  state.devopsIdentities.set(platformAdmin.id, platformAdmin);
  const seededAt = new Date().toISOString();
  state.projects.push(
    { id: project.id, name: project.name, description: 'Platform team', revision: 11, lastUpdateTime: seededAt, state: 'wellFormed' },
    { id: secondProject.id, name: secondProject.name, description: 'Application 1', revision: 12, lastUpdateTime: seededAt, state: 'wellFormed' },
  );
  state.pipelineDefinitions.push(...pipelines.map((p) => ({ ...p })));

  const bootstrapIssuer = state.entraIssuer(tenantId);
  const bootstrapSubject = workloadIdentitySubject(tenantId, organization.id, bootstrap.connectionId);
  // The bootstrap connection's identity: an app registration made by an administrator a month ago, with
  // a secret and a federated credential for the bootstrap connection, and admin-consented Graph permissions.
  const monthAgo = Date.now() - 30 * 24 * 3600_000;
  const bootstrapApplication: StoredApplication = {
    resource: graphApplication({
      id: bootstrap.applicationObjectId,
      appId: bootstrap.clientId,
      displayName: 'contoso-platform-bootstrap',
      signInAudience: 'AzureADMyOrg',
      uniqueName: null,
      createdAt: monthAgo,
    }),
    owners: [platformAdmin.id],
    createdAt: monthAgo,
    federatedCredentials: new Map([
      [
        'platform-bootstrap',
        {
          resource: { id: newGuid(), name: 'platform-bootstrap', issuer: bootstrapIssuer, subject: bootstrapSubject, description: null, audiences: [TOKEN_EXCHANGE_AUDIENCE] },
          createdAt: monthAgo,
        },
      ],
    ]),
  };
  state.applications.set(bootstrap.applicationObjectId.toLowerCase(), bootstrapApplication);
  state.addServicePrincipal(graphServicePrincipal(bootstrap.objectId, bootstrapApplication.resource, tenantId), bootstrapApplication, [], monthAgo);
  const bootstrapPrincipal = state.principals.get(bootstrap.objectId)!;
  bootstrapPrincipal.secrets.push(bootstrap.clientSecret);
  bootstrapPrincipal.graphPermissions = [...options.graphPermissions];

  const subscriptionScope = `/subscriptions/${subscriptionId}`;
  for (const roleName of options.bootstrapRoles) {
    const builtIn = findRoleByName(roleName);
    if (!builtIn) throw new Error(`Emulator: unknown bootstrap role '${roleName}'`);
    const assignment = roleAssignmentResource({
      scope: subscriptionScope,
      name: newGuid(),
      roleDefinitionId: `${subscriptionScope}/providers/Microsoft.Authorization/roleDefinitions/${builtIn.id}`,
      principalId: bootstrap.objectId,
      principalType: 'ServicePrincipal',
      createdBy: null,
    });
    state.roleAssignments.set(assignment.id.toLowerCase(), assignment);
  }

  const parameters: Record<string, string | null> = { tenantid: tenantId, serviceprincipalid: bootstrap.clientId };
  const secrets: Record<string, string> = {};
  if (settings.bootstrapScheme === 'WorkloadIdentityFederation') {
    Object.assign(parameters, workloadIdentityParameters(bootstrapIssuer, bootstrapSubject));
  } else {
    parameters.authenticationType = 'spnKey';
    parameters.serviceprincipalkey = null;
    secrets.serviceprincipalkey = bootstrap.clientSecret;
  }
  state.serviceEndpoints.set(bootstrap.connectionId, {
    endpoint: {
      id: bootstrap.connectionId,
      name: bootstrap.connectionName,
      type: 'AzureRM',
      url: urls.arm,
      description: '',
      data: {
        environment: 'AzureCloud',
        scopeLevel: 'Subscription',
        subscriptionId,
        subscriptionName: world.subscriptionName,
        creationMode: 'Manual',
      },
      authorization: { scheme: settings.bootstrapScheme, parameters },
      createdBy: identityReference(platformAdmin, organization.url),
      isShared: false,
      isReady: true,
      isOutdated: false,
      owner: 'library',
      operationStatus: { state: 'Ready', statusMessage: '' },
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

/** A new application as Graph answers it (contracts/graph-v1.0/NOTES.md §1-2). */
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

/** A new service principal for an application, as Graph answers it (contracts/graph-v1.0/NOTES.md §3-4). */
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

export function workloadIdentityParameters(issuer: string, subject: string): Record<string, string> {
  return { workloadIdentityFederationIssuer: issuer, workloadIdentityFederationIssuerType: 'EntraID', workloadIdentityFederationSubject: subject };
}

/** IdentityRef as Azure DevOps embeds it in createdBy (contracts/.../CreateAzureRMEndpoint.json). */
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

/** A role assignment as 2022-04-01 answers (contracts/.../RoleAssignments_CreateForSubscription.json). */
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
