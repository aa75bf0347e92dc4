/**
 * Microsoft Entra ID's directory as the services see it: one principal per service principal or managed
 * identity, signed in by Entra, assigned roles by ARM, and (for app registrations) backed by a Graph
 * application.
 */
import type { ClientCertificate } from './pki';

/** Microsoft Graph application permissions (app roles) the emulator's Graph knows. */
export type GraphPermission = 'Application.Read.All' | 'Application.ReadWrite.OwnedBy' | 'Application.ReadWrite.All' | 'Directory.Read.All';

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

export const TOKEN_EXCHANGE_AUDIENCE = 'api://AzureADTokenExchange';
