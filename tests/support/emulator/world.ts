/**
 * The seeded facts every service knows (World: tenant, subscription, organization, projects, the bootstrap
 * connection and its principal, the agent VM), the settings the knobs turn (Settings, RecordedBehaviour),
 * what state() hands out (Snapshot), and the ids and secrets the services mint. The mutable state is
 * EmulatorState (state.ts); each service's stored shapes live beside it (entra-directory.ts,
 * graph-objects.ts, arm-resources.ts, devops-records.ts); seed.ts builds the world.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { UserAssignedIdentityResource, FederatedIdentityCredentialResource, RoleAssignmentResource } from './arm-resources';
import type { Clock } from './clock';
import type { CheckConfigurationRecord } from './devops-checks';
import type { BuildServiceRole, ProjectState, PipelinePermissionsRecord, ServiceEndpoint, ConnectionReadiness } from './devops-records';
import type { GraphServicePrincipal, ApplicationSnapshot } from './graph-objects';

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
  /** Graph's deleted items: applications deleted in the last 30 days, restorable, their uniqueName still taken. */
  deletedApplications: ApplicationSnapshot[];
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
  /** Lifetime of the access tokens Entra ID (and the instance metadata endpoint) issues, in seconds. */
  accessTokenLifetimeSeconds: number;
  /** Azure DevOps delays every request this long and says so in X-RateLimit-Delay (0: no delay, no headers). */
  devopsRateLimitDelaySeconds: number;
  /** Projects whose service connections Azure DevOps refuses to list to every caller (403). */
  unreadableProjects: string[];
  /**
   * The emulator's time: replication windows, propagation, the credential write window, project
   * readiness, latency, the request log, and the access tokens it issues and checks (their iat, nbf and
   * exp). Tokens a client signs itself (MSAL's certificate assertion) and the pipeline's OIDC and job
   * tokens stay on real time: MSAL stamps them with Date.now().
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
  /**
   * Which pair ConvertAuthenticationScheme issues (docs/wire.md, "Migration"; unpublished for Azure DevOps
   * Services): the Entra pair it tested the identity with ('tested', default) or Azure DevOps' former pair,
   * https://vstoken.dev.azure.com/{org id} and sc://{org}/{project}/{name} ('former', what Server 2022 issued).
   */
  convertIssuedPair?: 'tested' | 'former';
  /**
   * Whether a refused conversion leaves the connection Failed/converting_scheme_failed (Server 2022's
   * UpgradeAuthenticationScheme writes it back so; default true) or as it was (the web UI says "not modified").
   */
  convertFailureMarksConnection?: boolean;
  /** The status of a conversion refused for an operation in progress (an InvalidOperationException; unpublished): 400 (default) or 409. */
  convertInProgressStatus?: 400 | 409;
  /**
   * What a workload identity connection on Azure DevOps' former issuer carries as
   * workloadIdentityFederationIssuerType: 'AzureDevOps', or nothing at all (default 'AzureDevOps'; unknown,
   * docs/wire.md: new connections read EntraID, older ones are not documented).
   */
  devopsIssuerType?: 'AzureDevOps' | 'absent';
  /** Lists longer than this come in pages (ARM nextLink, Graph @odata.nextLink, Azure DevOps continuation token); default: no paging. */
  pageSize?: number;
  /**
   * Whether deleting a service connection from a project also deletes its check configurations and pipeline
   * permissions there. The REST reference of Endpoints - Delete says nothing either way (docs/wire.md,
   * "Removal"); default false: they stay, keyed by an id no later connection gets.
   */
  connectionDeleteRemovesChecks?: boolean;
}

export function newGuid(): string {
  return randomUUID();
}

/** An Entra-style client secret value: 40 characters with the "~" marker at position 4. */
export function newClientSecret(): string {
  const raw = randomBytes(30).toString('base64').replace(/[+/=]/g, 'x');
  return `${raw.slice(0, 3)}8Q~${raw.slice(3, 37)}`;
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
