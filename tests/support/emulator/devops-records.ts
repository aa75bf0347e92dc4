/**
 * Azure DevOps' records as the emulator stores them: identities of the organization, projects (with their
 * creation states), pipeline permissions and service connections in the wire shape of
 * tests/fixtures/contracts/ado-serviceendpoint-7.2, and the builders of their parts.
 */
import { randomBytes } from 'node:crypto';
import { guidToDotNetBase64Url } from './world';

export type BuildServiceRole = 'Reader' | 'User' | 'Creator' | 'Administrator';

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

/** Azure DevOps' own first-party app id; it appears, encoded, in the subjects of Entra-issued OIDC tokens. */
export const AZURE_DEVOPS_APP_ID = '499b84ac-1321-427f-aa17-267ca6975798';

/**
 * A personal access token in the current format: 84 characters with the AZDO signature at position 76
 * (azure-devops-node-api WebApi personalAccessTokenRegex `^.{76}AZDO.{4}$`).
 */
export function newPersonalAccessToken(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const random = (n: number): string => [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
  return `${random(76)}AZDO${random(4)}`;
}

/** The opaque subject Azure DevOps gives a new workload identity connection (docs/wire.md: ends /sc/{orgId}/{endpointId}). */
export function workloadIdentitySubject(tenantId: string, organizationId: string, endpointId: string): string {
  return `/eid1/c/pub/t/${guidToDotNetBase64Url(tenantId)}/a/${guidToDotNetBase64Url(AZURE_DEVOPS_APP_ID)}/sc/${organizationId}/${endpointId}`;
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
