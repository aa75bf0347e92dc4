/**
 * The Azure Instance Metadata Service of the self-hosted agent's VM, as far as managed identities need
 * it: GET /metadata/identity/oauth2/token (plain HTTP, link-local on a real VM). The VM has a
 * system-assigned identity and one user-assigned identity (world.agentVm).
 *
 * Shapes from https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
 * ("Get a token using HTTP", "Error handling"): the Metadata header is required; a user-assigned identity is
 * chosen by client_id, object_id or msi_res_id; numbers in the answer are strings; errors are
 * {"error","error_description"}. MSAL (msal-node Imds source) sends api-version 2018-02-01 and resource.
 */
import { header, jsonResponse, type EmulatorRequest, type EmulatorResponse } from './http';
import { issueAccessToken, isKnownResource } from './entra';
import { epochSeconds } from './jwt';
import type { DirectoryPrincipal } from './entra-directory';
import type { EmulatorState } from './state';

const TOKEN_PATH = '/metadata/identity/oauth2/token';

export class InstanceMetadataService {
  constructor(private readonly state: EmulatorState) {}

  handle = (request: EmulatorRequest): EmulatorResponse => {
    // MSAL sends the path with a trailing slash (its URL canonicalisation); IMDS serves both.
    if (request.pathname.replace(/\/$/, '') !== TOKEN_PATH)
      return jsonResponse(404, { error: 'not_found', error_description: `No route for '${request.pathname}'.` });
    if (request.method !== 'GET') return jsonResponse(405, { error: 'invalid_request', error_description: `Method ${request.method} is not allowed.` });
    if (header(request, 'metadata')?.toLowerCase() !== 'true') {
      return jsonResponse(400, { error: 'invalid_request', error_description: 'Required metadata header not specified' });
    }
    const query = request.query;
    if (!query.get('api-version')) {
      return jsonResponse(400, { error: 'invalid_request', error_description: 'Required queryparameter api-version not specified' });
    }
    const resource = query.get('resource');
    if (!resource) return jsonResponse(400, { error: 'invalid_request', error_description: "Required query variable 'resource' is missing" });

    const identity = this.select(query);
    if (typeof identity === 'string') return jsonResponse(400, { error: 'invalid_request', error_description: identity });
    request.callerId = identity.objectId;
    if (!isKnownResource(this.state, resource)) {
      return jsonResponse(400, {
        error: 'invalid_resource',
        error_description: `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.state.world.tenantId}.`,
      });
    }
    const now = epochSeconds(this.state.now());
    const lifetime = this.state.settings.accessTokenLifetimeSeconds;
    return jsonResponse(200, {
      access_token: issueAccessToken(this.state, identity, resource, '2'),
      client_id: identity.appId,
      expires_in: String(lifetime),
      expires_on: String(now + lifetime),
      ext_expires_in: String(lifetime),
      not_before: String(now),
      resource,
      token_type: 'Bearer',
    });
  };

  /** The identity a request names, or the VM's only usable one; an error description otherwise. */
  private select(query: URLSearchParams): DirectoryPrincipal | string {
    const { systemAssigned, userAssigned } = this.state.world.agentVm;
    const system = this.state.principals.get(systemAssigned.objectId);
    const user = this.state.principals.get(userAssigned.objectId);
    const clientId = query.get('client_id');
    const objectId = query.get('object_id');
    const resourceId = query.get('msi_res_id');
    if (clientId || objectId || resourceId) {
      const match =
        user &&
        ((clientId && clientId.toLowerCase() === user.appId) ||
          (objectId && objectId.toLowerCase() === user.objectId) ||
          (resourceId && resourceId.toLowerCase() === user.managedIdentityResourceId?.toLowerCase()));
      return match ? user : 'Identity not found';
    }
    return system ?? 'Identity not found';
  }
}
