/**
 * Microsoft Graph's objects as the emulator stores them: applications with their owners and federated
 * identity credentials, and service principals, in the wire shapes of tests/fixtures/contracts/graph-v1.0/NOTES.md.
 */

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
  /** A managed identity's: "isExplicit=True" and its ARM id (docs/wire.md). */
  alternativeNames?: string[];
  appDisplayName: string | null;
  appId: string;
  appOwnerOrganizationId: string | null;
  appRoleAssignmentRequired: boolean;
  displayName: string;
  servicePrincipalNames: string[];
  servicePrincipalType: 'Application' | 'ManagedIdentity';
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
