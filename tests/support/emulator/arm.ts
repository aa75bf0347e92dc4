/**
 * Azure Resource Manager front door: bearer-token authentication, subscription, resource-group and
 * management-group routes, api-version checks, Azure RBAC authorization (inherited down the management
 * group hierarchy) and the ARM error envelope. Resource providers live in arm-msi.ts
 * (Microsoft.ManagedIdentity) and arm-authorization.ts (Microsoft.Authorization).
 */
import { randomUUID } from 'node:crypto';
import { header, jsonResponse, matchPath, type EmulatorRequest, type EmulatorResponse } from './http';
import { decodeJwt, epochSeconds, timeProblem } from './jwt';
import { rolesAllow, type BuiltInRole } from './roles';
import { IDENTITY_API_VERSIONS, ManagedIdentityProvider, REGION_DISPLAY_NAMES } from './arm-msi';
import { AuthorizationProvider } from './arm-authorization';
import { armError, checkApiVersion, resourceGroupNotFound, type ArmCaller, type ArmGate } from './arm-common';
import type { EmulatorState } from './state';

/** Microsoft.Resources api-versions accepted for subscriptions and resource groups. */
const RESOURCES_API_VERSIONS = [
  '2014-04-01',
  '2015-01-01',
  '2016-06-01',
  '2018-05-01',
  '2019-05-01',
  '2019-06-01',
  '2019-10-01',
  '2019-11-01',
  '2020-01-01',
  '2020-06-01',
  '2020-10-01',
  '2021-01-01',
  '2021-04-01',
  '2022-01-01',
  '2022-09-01',
  '2022-12-01',
  '2023-07-01',
  '2024-03-01',
  '2024-07-01',
  '2024-11-01',
  '2025-04-01',
];
/** Microsoft.Management api-versions for managementGroups (its provider registration lists them). */
const MANAGEMENT_API_VERSIONS = [
  '2017-11-01-preview',
  '2018-03-01-preview',
  '2019-11-01',
  '2020-02-01',
  '2020-05-01',
  '2020-10-01',
  '2021-04-01',
  '2023-04-01',
];

export class ArmService implements ArmGate {
  private readonly msi: ManagedIdentityProvider;
  private readonly authorization: AuthorizationProvider;

  constructor(private readonly state: EmulatorState) {
    this.msi = new ManagedIdentityProvider(state, this);
    this.authorization = new AuthorizationProvider(state, this);
  }

  handle = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    const response = await this.route(request);
    response.headers = { ...this.standardHeaders(request), ...(response.headers ?? {}) };
    return response;
  };

  /**
   * Answers 403 AuthorizationFailed unless one of the caller's role assignments at the scope or an
   * ancestor (management groups > subscription > resource group > resource) allows the action.
   */
  authorize(caller: ArmCaller, action: string, resourceId: string): EmulatorResponse | undefined {
    const roles: BuiltInRole[] = [];
    // A new role assignment takes a while to be honoured ("If access was recently granted, please refresh
    // your credentials", ARM's AuthorizationFailed text; https://learn.microsoft.com/azure/role-based-access-control/troubleshooting
    // "role assignment changes can take up to 10 minutes"): roleAssignmentPropagationMs plays that.
    const honouredBefore = this.state.now() - this.state.settings.roleAssignmentPropagationMs;
    for (const assignment of this.state.roleAssignments.values()) {
      if (assignment.properties.principalId.toLowerCase() !== caller.objectId.toLowerCase()) continue;
      if ((this.state.roleAssignmentCreatedAt.get(assignment.id.toLowerCase()) ?? Number.NEGATIVE_INFINITY) > honouredBefore) continue;
      if (!this.state.scopeCovers(assignment.properties.scope, resourceId)) continue;
      const role = this.state.roleById(assignment.properties.roleDefinitionId);
      if (role) roles.push(role);
    }
    return rolesAllow(roles, action) ? undefined : this.authorizationFailed(caller, action, resourceId);
  }

  private authorizationFailed(caller: ArmCaller, action: string, resourceId: string): EmulatorResponse {
    return armError(
      403,
      'AuthorizationFailed',
      `The client '${caller.appId}' with object id '${caller.objectId}' does not have authorization to perform action '${action}' over scope '${resourceId}' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
    );
  }

  private async route(request: EmulatorRequest): Promise<EmulatorResponse> {
    if (request.method === 'GET' && /^\/metadata\/endpoints\/?$/i.test(request.pathname)) return this.cloudMetadata(request);
    const authentication = this.authenticate(request);
    if ('status' in authentication) return authentication;
    const caller = authentication;
    request.callerId = caller.objectId;

    // The SDKs' own documented calls can produce '//' (arm-authorization getById('/subscriptions/...')
    // builds https://host//subscriptions/...), and ARM serves them; collapse repeated slashes.
    const pathname = request.pathname.replace(/\/{2,}/g, '/');
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return armError(400, 'InvalidRequestUri', `The request URI '${request.rawPath}' is not valid.`);
    }

    if (/\/providers\/microsoft\.authorization\//i.test(decoded)) return this.authorization.handle(request, caller, decoded);
    const managementGroup = matchPath('/providers/microsoft.management/managementgroups/:id', decoded);
    if (managementGroup && request.method === 'GET') return this.getManagementGroup(request, caller, decoded, managementGroup.id);

    const subscription = matchPath('/subscriptions/:subscriptionId', decoded.split('/').slice(0, 3).join('/'));
    if (!subscription) return this.noRoute(request);
    if (subscription.subscriptionId.toLowerCase() !== this.state.subscription.id) {
      return armError(404, 'SubscriptionNotFound', `The subscription '${subscription.subscriptionId}' could not be found.`);
    }

    if (/\/providers\/microsoft\.managedidentity\//i.test(decoded)) return this.msi.handle(request, caller, decoded);

    if (matchPath('/subscriptions/:s', decoded) && request.method === 'GET') return this.getSubscription(request, caller, decoded);
    const provider = matchPath('/subscriptions/:s/providers/:namespace', decoded);
    if (provider && request.method === 'GET') return this.getProvider(request, caller, decoded, provider.namespace);
    if (matchPath('/subscriptions/:s/resourcegroups', decoded) && request.method === 'GET') return this.listResourceGroups(request, caller, decoded);
    const rg = matchPath('/subscriptions/:s/resourcegroups/:rg', decoded);
    if (rg && (request.method === 'GET' || request.method === 'HEAD')) return this.getResourceGroup(request, caller, decoded, rg.rg);
    return this.noRoute(request);
  }

  /**
   * ARM's description of its cloud, anonymous (the Azure CLI sends no token for it). api-version 2022-09-01
   * (and later) answers one object for this cloud; 2019-05-01 answered a list of every cloud and is not
   * served. The shape follows the public cloud's answer as the Azure CLI reads it (azure-cli-core cloud.py
   * _arm_to_cli_mapper): name, resourceManager, authentication.loginEndpoint (no trailing slash) and
   * audiences, microsoftGraphResourceId, graphAudience; the endpoints are this emulator's.
   */
  private cloudMetadata(request: EmulatorRequest): EmulatorResponse {
    const version = request.query.get('api-version');
    if (!version || version < '2022-09-01') {
      return armError(400, 'InvalidApiVersionParameter', `The api-version '${version ?? ''}' is invalid. The supported versions are '2022-09-01,2023-11-01'.`);
    }
    const { cloud, urls } = this.state;
    const graph = cloud.hosts ? cloud.graphUrl : urls.graph;
    return jsonResponse(200, {
      portal: 'https://portal.azure.com',
      authentication: {
        loginEndpoint: urls.login.replace(/\/$/, ''),
        audiences: [
          cloud.armAudience,
          cloud.armAudiences.find((a) => a !== cloud.armAudience && a.endsWith('/') && !a.includes('.core.')) ?? cloud.armAudience,
        ],
        tenant: 'common',
        identityProvider: 'AAD',
      },
      graphAudience: 'https://graph.windows.net/',
      graph: 'https://graph.windows.net/',
      name: cloud.environment,
      resourceManager: urls.arm,
      microsoftGraphResourceId: graph,
    });
  }

  /**
   * Bearer token checks in ARM's order, with its codes and messages: missing header (AuthenticationFailed),
   * unreadable or badly signed token (InvalidAuthenticationToken), wrong audience
   * (InvalidAuthenticationTokenAudience), other tenant (InvalidAuthenticationTokenTenant), expired
   * (ExpiredAuthenticationToken). The WWW-Authenticate challenge points at the login server.
   */
  private authenticate(request: EmulatorRequest): ArmCaller | EmulatorResponse {
    const authorization = header(request, 'authorization');
    if (!authorization) {
      return this.unauthorized(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is missing.",
        "The authentication failed because of missing 'Authorization' header.",
      );
    }
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) {
      return this.unauthorized(
        'AuthenticationFailed',
        "Authentication failed. The 'Authorization' header is provided in an invalid format.",
        "The authentication failed because of invalid 'Authorization' header.",
      );
    }
    this.state.noteSecret(match[1]);
    const token = decodeJwt(match[1]);
    if (!token || !this.state.entraKey.verifies(token)) {
      return this.unauthorized('InvalidAuthenticationToken', 'The access token is invalid.', 'The access token is invalid.');
    }
    // Audiences as ARM lists them in InvalidAuthenticationTokenAudience ("It should exactly match with one of
    // the allowed audiences 'https://management.core.windows.net/','https://management.core.windows.net',…").
    const audience = typeof token.payload.aud === 'string' ? token.payload.aud : '';
    const audiences = this.state.cloud.armAudiences;
    if (!audiences.includes(audience)) {
      const message = `The access token has been obtained for wrong audience or resource '${audience}'. It should exactly match with one of the allowed audiences ${audiences.map((a) => `'${a}'`).join(',')}.`;
      return this.unauthorized('InvalidAuthenticationTokenAudience', message, message);
    }
    const expectedIssuer = this.state.accessTokenIssuer();
    if (token.payload.iss !== expectedIssuer) {
      const message = `The access token is from the wrong issuer '${String(token.payload.iss)}'. It must match the tenant '${expectedIssuer}' associated with this subscription. Please use the authority (URL) '${this.state.urls.login}${this.state.world.tenantId}' to get the token.`;
      return this.unauthorized('InvalidAuthenticationTokenTenant', message, message);
    }
    if (timeProblem(token.payload, epochSeconds(this.state.now()), 300) === 'expired') {
      const message = `The access token expiry UTC time '${dotNetUtc(Number(token.payload.exp) * 1000)}' is earlier than current UTC time '${dotNetUtc(this.state.now())}'.`;
      return this.unauthorized('ExpiredAuthenticationToken', message, message);
    }
    const objectId = typeof token.payload.oid === 'string' ? token.payload.oid : '';
    const appId = typeof token.payload.appid === 'string' ? token.payload.appid : '';
    if (!objectId) {
      const message = "The received access token is not valid: at least one of the claims 'puid' or 'altsecid' or 'oid' should be present.";
      return this.unauthorized('InvalidAuthenticationToken', message, message);
    }
    return { objectId, appId };
  }

  private unauthorized(code: string, message: string, challengeDescription: string): EmulatorResponse {
    return armError(401, code, message, {
      'WWW-Authenticate': `Bearer authorization_uri="${this.state.urls.login}", error="invalid_token", error_description="${challengeDescription}"`,
    });
  }

  private getSubscription(request: EmulatorRequest, caller: ArmCaller, resourceId: string): EmulatorResponse {
    const denied = this.authorize(caller, 'Microsoft.Resources/subscriptions/read', resourceId);
    if (denied) return denied;
    const badVersion = checkApiVersion(request, RESOURCES_API_VERSIONS);
    if (badVersion) return badVersion;
    const { id, displayName } = this.state.subscription;
    return jsonResponse(200, {
      id: `/subscriptions/${id}`,
      authorizationSource: 'RoleBased',
      managedByTenants: [],
      subscriptionId: id,
      tenantId: this.state.world.tenantId,
      displayName,
      state: 'Enabled',
      subscriptionPolicies: { locationPlacementId: 'Public_2014-09-01', quotaId: 'PayAsYouGo_2014-09-01', spendingLimit: 'Off' },
    });
  }

  /**
   * GET /subscriptions/{id}/providers/{namespace} (Microsoft.Resources providers, 2021-04-01): the
   * provider's registration state and, per resource type, the regions that offer it (display names).
   */
  private getProvider(request: EmulatorRequest, caller: ArmCaller, resourceId: string, namespace: string): EmulatorResponse {
    const denied = this.authorize(caller, 'Microsoft.Resources/subscriptions/providers/read', resourceId);
    if (denied) return denied;
    const badVersion = checkApiVersion(request, RESOURCES_API_VERSIONS);
    if (badVersion) return badVersion;
    if (namespace.toLowerCase() !== 'microsoft.managedidentity') {
      return armError(404, 'InvalidResourceNamespace', `The resource namespace '${namespace}' is invalid.`);
    }
    const type = (resourceType: string, locations: string[]): Record<string, unknown> => ({
      resourceType,
      locations,
      apiVersions: [...(this.state.settings.recorded.managedIdentityApiVersions ?? IDENTITY_API_VERSIONS)].reverse(),
      capabilities: locations.length > 0 ? 'SupportsTags, SupportsLocation' : 'None',
    });
    return jsonResponse(200, {
      id: `/subscriptions/${this.state.subscription.id}/providers/Microsoft.ManagedIdentity`,
      namespace: 'Microsoft.ManagedIdentity',
      registrationState: 'Registered',
      registrationPolicy: 'RegistrationRequired',
      resourceTypes: [
        type('userAssignedIdentities', REGION_DISPLAY_NAMES),
        type('userAssignedIdentities/federatedIdentityCredentials', REGION_DISPLAY_NAMES),
        type('operations', []),
      ],
    });
  }

  /**
   * GET /providers/Microsoft.Management/managementGroups/{id}. A group that does not exist answers 403
   * AuthorizationFailed like one the caller may not read, as ARM does (Azure/azure-rest-api-specs#9549).
   */
  private getManagementGroup(request: EmulatorRequest, caller: ArmCaller, resourceId: string, id: string): EmulatorResponse {
    const action = 'Microsoft.Management/managementGroups/read';
    const group = this.state.findManagementGroup(id);
    const denied = this.authorize(caller, action, resourceId);
    if (denied || !group) return denied ?? this.authorizationFailed(caller, action, resourceId);
    const badVersion = checkApiVersion(request, MANAGEMENT_API_VERSIONS);
    if (badVersion) return badVersion;
    const parent = group.parentId ? this.state.findManagementGroup(group.parentId) : undefined;
    return jsonResponse(200, {
      id: `/providers/Microsoft.Management/managementGroups/${group.id}`,
      type: 'Microsoft.Management/managementGroups',
      name: group.id,
      properties: {
        tenantId: this.state.world.tenantId,
        displayName: group.displayName,
        details: {
          version: 1,
          updatedTime: '2024-01-15T09:12:44.7462312Z',
          updatedBy: this.state.world.bootstrap.objectId,
          parent: parent ? { id: `/providers/Microsoft.Management/managementGroups/${parent.id}`, name: parent.id, displayName: parent.displayName } : null,
        },
      },
    });
  }

  private listResourceGroups(request: EmulatorRequest, caller: ArmCaller, resourceId: string): EmulatorResponse {
    const badVersion = checkApiVersion(request, RESOURCES_API_VERSIONS);
    if (badVersion) return badVersion;
    const visible = this.state.resourceGroups.filter(
      (rg) => !this.authorize(caller, 'Microsoft.Resources/subscriptions/resourceGroups/read', `${resourceId}/resourceGroups/${rg.name}`),
    );
    return jsonResponse(200, { value: visible.map((rg) => this.resourceGroupBody(rg)) });
  }

  private getResourceGroup(request: EmulatorRequest, caller: ArmCaller, resourceId: string, name: string): EmulatorResponse {
    const denied = this.authorize(caller, 'Microsoft.Resources/subscriptions/resourceGroups/read', resourceId);
    if (denied) return denied;
    const badVersion = checkApiVersion(request, RESOURCES_API_VERSIONS);
    if (badVersion) return badVersion;
    const rg = this.state.findResourceGroup(name);
    if (!rg) return request.method === 'HEAD' ? { status: 404 } : resourceGroupNotFound(name);
    return request.method === 'HEAD' ? { status: 204 } : jsonResponse(200, this.resourceGroupBody(rg));
  }

  private resourceGroupBody(rg: { name: string; location: string }): Record<string, unknown> {
    return {
      id: `/subscriptions/${this.state.subscription.id}/resourceGroups/${rg.name}`,
      name: rg.name,
      type: 'Microsoft.Resources/resourceGroups',
      location: rg.location,
      properties: { provisioningState: 'Succeeded' },
    };
  }

  noRoute(request: EmulatorRequest): EmulatorResponse {
    return armError(404, 'NotFound', `The emulator has no route for '${request.method} ${request.pathname}'.`);
  }

  /** Headers every ARM answer carries; the client request id is echoed, as ARM does. */
  private standardHeaders(request: EmulatorRequest): Record<string, string> {
    const requestId = randomUUID();
    const headers: Record<string, string> = {
      'Cache-Control': 'no-cache',
      Pragma: 'no-cache',
      Expires: '-1',
      'x-ms-request-id': requestId,
      'x-ms-correlation-request-id': header(request, 'x-ms-correlation-request-id') ?? requestId,
      'x-ms-routing-request-id': `WESTEUROPE:${new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15)}Z:${requestId}`,
      'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
    };
    const clientRequestId = header(request, 'x-ms-client-request-id');
    if (clientRequestId) headers['x-ms-client-request-id'] = clientRequestId;
    const kind = request.method === 'GET' || request.method === 'HEAD' ? 'reads' : request.method === 'DELETE' ? 'deletes' : 'writes';
    headers[`x-ms-ratelimit-remaining-subscription-${kind}`] = kind === 'reads' ? '11999' : '1199';
    return headers;
  }
}

/** DateTime.ToString() in the invariant culture, as ARM prints token times ('5/14/2023 3:04:05 PM'). */
function dotNetUtc(ms: number): string {
  const d = new Date(ms);
  const hours = d.getUTCHours() % 12 === 0 ? 12 : d.getUTCHours() % 12;
  const pad = (n: number): string => String(n).padStart(2, '0');
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${d.getUTCFullYear()} ${hours}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCHours() < 12 ? 'AM' : 'PM'}`;
}
