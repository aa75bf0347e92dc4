/**
 * Microsoft Entra ID (login.microsoftonline.com) as far as a confidential client needs it: OpenID
 * discovery, instance discovery, signing keys and the v2.0 token endpoint with client_credentials
 * (client secret, certificate assertion or federated client assertion).
 *
 * MSAL (msal-common Authority.ts) with @azure/identity's disableInstanceDiscovery: true puts the authority
 * host in knownAuthorities, so it skips /common/discovery/instance and only GETs
 * {authority}/{tenant}/v2.0/.well-known/openid-configuration. It then requires authorization_endpoint,
 * token_endpoint, issuer and jwks_uri, and validateIssuer() requires the issuer's scheme, host and port to
 * equal the authority's; the issuer below is therefore on this server.
 */
import { constants, createPublicKey, randomUUID, verify } from 'node:crypto';
import { header, jsonResponse, matchPath, type EmulatorRequest, type EmulatorResponse } from './http';
import { decodeJwt, epochSeconds, timeProblem, type DecodedJwt } from './jwt';
import { AZURE_DEVOPS_APP_ID } from './devops-records';
import { type DirectoryPrincipal } from './entra-directory';
import { type EmulatorState } from './state';

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ACCESS_TOKEN_LIFETIME_SECONDS = 3599;

/**
 * Resources this tenant can issue tokens for: the cloud's ARM app id URIs, with or without the trailing
 * slash (see the allowed audiences in ARM's InvalidAuthenticationTokenAudience message), its Microsoft
 * Graph, and Azure DevOps (by app id).
 */
export function isKnownResource(state: EmulatorState, resource: string): boolean {
  return [...state.cloud.armAudiences, ...graphResources(state), AZURE_DEVOPS_APP_ID].includes(resource);
}

export const MICROSOFT_GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/**
 * The resource names of Microsoft Graph here: its app id, the cloud's Graph URI, and the URL the emulated
 * Graph server listens on (the endpoint data's microsoftGraphUrl), each with and without the slash.
 */
export function graphResources(state: EmulatorState): string[] {
  const names = [state.cloud.graphUrl, state.urls.graph].map((url) => url.replace(/\/+$/, ''));
  return [MICROSOFT_GRAPH_APP_ID, ...names.flatMap((name) => [name, `${name}/`])];
}

/** A v1 access token for a principal, as Entra ID (or the instance metadata endpoint) issues it. */
export function issueAccessToken(state: EmulatorState, principal: DirectoryPrincipal, resource: string, appidacr: '0' | '1' | '2'): string {
  const tenantId = state.world.tenantId;
  const issuedAt = epochSeconds(state.now());
  const claims: Record<string, unknown> = {
    aud: resource,
    iss: state.accessTokenIssuer(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: issuedAt + state.settings.accessTokenLifetimeSeconds,
    aio: Buffer.from(randomUUID()).toString('base64url'),
    appid: principal.appId,
    azp: principal.appId,
    appidacr,
    idp: state.accessTokenIssuer(),
    idtyp: 'app',
    oid: principal.objectId,
    rh: '0.AAAA.',
    sub: principal.objectId,
    tid: tenantId,
    uti: Buffer.from(randomUUID()).toString('base64url').slice(0, 22),
    ver: '1.0',
  };
  if (principal.managedIdentityResourceId) claims.xms_mirid = principal.managedIdentityResourceId;
  // App-only Graph tokens carry the admin-consented Graph application permissions as roles.
  if (graphResources(state).includes(resource) && principal.graphPermissions?.length) claims.roles = [...principal.graphPermissions];
  // Every token issued (ARM-, Graph- or Azure DevOps-scoped, by Entra ID or the instance metadata endpoint)
  // goes into the ledger the secrets tests scan the task's output against.
  const token = state.entraKey.sign(claims);
  state.noteSecret(token);
  return token;
}

export class EntraService {
  constructor(private readonly state: EmulatorState) {}

  handle = (request: EmulatorRequest): EmulatorResponse => {
    const { pathname, method } = request;
    let params: Record<string, string> | undefined;
    if (method === 'GET' && (params = matchPath('/:tenant/v2.0/.well-known/openid-configuration', pathname))) {
      return this.openIdConfiguration(params.tenant);
    }
    if (method === 'GET' && (params = matchPath('/:tenant/.well-known/openid-configuration', pathname))) {
      return this.openIdConfiguration(params.tenant);
    }
    if (method === 'GET' && matchPath('/common/discovery/instance', pathname)) return this.instanceDiscovery(request);
    if (method === 'GET' && (params = matchPath('/:tenant/discovery/v2.0/keys', pathname))) return this.keys(params.tenant);
    if (method === 'GET' && (params = matchPath('/:tenant/discovery/keys', pathname))) return this.keys(params.tenant);
    if (method === 'POST' && (params = matchPath('/:tenant/oauth2/v2.0/token', pathname))) return this.token(request, params.tenant);
    return jsonResponse(404, { error: 'not_found', error_description: `The emulator has no route for '${method} ${pathname}'.` });
  };

  private knowsTenant(tenant: string): boolean {
    return tenant.toLowerCase() === this.state.world.tenantId;
  }

  private openIdConfiguration(tenant: string): EmulatorResponse {
    if (!this.knowsTenant(tenant)) return this.tenantNotFound(tenant);
    const base = `${this.state.urls.login}${this.state.world.tenantId}`;
    return jsonResponse(200, {
      token_endpoint: `${base}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${this.state.urls.login}${this.state.world.tenantId}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      issuer: this.state.entraIssuer(this.state.world.tenantId),
      request_uri_parameter_supported: false,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${base}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'tid', 'ver', 'oid'],
      tenant_region_scope: 'EU',
      cloud_instance_name: { AzureCloud: 'microsoftonline.com', AzureUSGovernment: 'microsoftonline.us', AzureChinaCloud: 'partner.microsoftonline.cn' }[
        this.state.cloud.environment
      ],
      msgraph_host: new URL(this.state.cloud.graphUrl).host,
    });
  }

  /** What MSAL would get from instance discovery (only asked when instance discovery is not disabled). */
  private instanceDiscovery(request: EmulatorRequest): EmulatorResponse {
    const host = new URL(this.state.urls.login).host;
    const authorize = request.query.get('authorization_endpoint') ?? `${this.state.urls.login}common/oauth2/v2.0/authorize`;
    return jsonResponse(200, {
      tenant_discovery_endpoint: authorize.replace(/oauth2\/v2\.0\/authorize$/, 'v2.0/.well-known/openid-configuration'),
      'api-version': '1.1',
      metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }],
    });
  }

  /**
   * Published signing keys. Entra's own key signs access tokens; the pipeline OIDC tokens carry this
   * tenant's v2.0 issuer (new Azure DevOps connections use the Entra issuer), so their key is here too.
   */
  private keys(tenant: string): EmulatorResponse {
    if (!this.knowsTenant(tenant)) return this.tenantNotFound(tenant);
    return jsonResponse(200, { keys: [this.state.entraKey.jwk(), this.state.devopsKey.jwk()] });
  }

  private token(request: EmulatorRequest, tenant: string): EmulatorResponse {
    if (!this.knowsTenant(tenant)) return this.tenantNotFound(tenant);
    const form = new URLSearchParams(request.body.toString('utf8'));
    const clientId = form.get('client_id') ?? '';
    request.callerId = clientId || undefined;

    const grantType = form.get('grant_type');
    if (!grantType) return this.missingParameter('grant_type', request);
    if (grantType !== 'client_credentials') {
      return this.error(400, 'unsupported_grant_type', 70003, `AADSTS70003: The app requested an unsupported grant type '${grantType}'.`, request);
    }
    if (!clientId) return this.missingParameter('client_id', request);

    const scope = (form.get('scope') ?? '').split(' ').filter((s) => s && !['openid', 'profile', 'offline_access'].includes(s));
    if (scope.length === 0) return this.missingParameter('scope', request);
    const resourceScope = scope.find((s) => s.endsWith('/.default'));
    if (!resourceScope || scope.length > 1) {
      return this.error(
        400,
        'invalid_scope',
        1002012,
        `AADSTS1002012: The provided value for scope ${scope.join(' ')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        request,
      );
    }
    const resource = resourceScope.slice(0, -'/.default'.length);

    const principal = this.state.findPrincipalByAppId(clientId);
    if (!principal && this.state.findApplicationByAppId(clientId)) {
      return this.error(
        400,
        'unauthorized_client',
        7000229,
        `AADSTS7000229: The client application ${clientId} is missing service principal in the tenant ${this.state.world.tenantId}. See instructions here: https://go.microsoft.com/fwlink/?linkid=2225119`,
        request,
      );
    }
    if (!principal) {
      return this.error(
        400,
        'unauthorized_client',
        700016,
        `AADSTS700016: Application with identifier '${clientId}' was not found in the directory '${this.state.world.tenantId}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
        request,
      );
    }

    const secret = form.get('client_secret');
    const assertion = form.get('client_assertion');
    this.state.noteSecret(secret);
    this.state.noteSecret(assertion);
    let authenticationMethod: '1' | '2';
    if (secret !== null) {
      if (!principal.secrets.includes(secret)) {
        return this.error(
          401,
          'invalid_client',
          7000215,
          `AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${principal.appId}'.`,
          request,
        );
      }
      authenticationMethod = '1';
    } else if (assertion !== null) {
      const assertionType = form.get('client_assertion_type');
      if (assertionType !== JWT_BEARER) {
        return this.error(
          400,
          'invalid_request',
          50027,
          `AADSTS50027: JWT token is invalid or malformed. client_assertion_type must be '${JWT_BEARER}'.`,
          request,
        );
      }
      // An assertion the client signed itself (private_key_jwt) names the client as issuer and carries the
      // certificate's thumbprint; anything else is a federated token from another issuer.
      const decoded = decodeJwt(assertion);
      const selfSigned = decoded !== undefined && decoded.payload.iss === principal.appId && ('x5t' in decoded.header || 'x5t#S256' in decoded.header);
      const failure = selfSigned
        ? this.checkCertificateAssertion(principal, decoded, tenant, request)
        : this.checkFederatedAssertion(principal, assertion, request);
      if (failure) return failure;
      authenticationMethod = '2';
    } else {
      return this.error(
        401,
        'invalid_client',
        7000218,
        "AADSTS7000218: The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
        request,
      );
    }

    if (!isKnownResource(this.state, resource)) {
      return this.error(
        400,
        'invalid_resource',
        500011,
        `AADSTS500011: The resource principal named ${resource} was not found in the tenant named ${this.state.world.tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
        request,
      );
    }

    const accessToken = issueAccessToken(this.state, principal, resource, authenticationMethod);
    return jsonResponse(
      200,
      {
        token_type: 'Bearer',
        expires_in: this.state.settings.accessTokenLifetimeSeconds,
        ext_expires_in: this.state.settings.accessTokenLifetimeSeconds,
        access_token: accessToken,
      },
      this.standardHeaders(request),
    );
  }

  /**
   * Federated credential check, in Entra's order: find the credential by issuer, then subject, then
   * audience (subjects compare case-sensitively since 2024, see
   * https://learn.microsoft.com/entra/identity-platform/reference-breaking-changes), then validate the
   * token's signature against the issuer's keys and its time window.
   */
  private checkFederatedAssertion(principal: DirectoryPrincipal, assertion: string, request: EmulatorRequest): EmulatorResponse | undefined {
    const token = decodeJwt(assertion);
    if (!token) return this.error(400, 'invalid_request', 50027, 'AADSTS50027: JWT token is invalid or malformed.', request);
    const issuer = stringClaim(token, 'iss');
    const subject = stringClaim(token, 'sub');
    const audience = Array.isArray(token.payload.aud) ? String(token.payload.aud[0]) : stringClaim(token, 'aud');

    const credentials = this.usableFederatedCredentials(principal);
    // Today's codes and messages (tests/fixtures/recordings/entra-token-fic-mismatch.json): no credential at
    // all is AADSTS70025, an issuer no credential has AADSTS700211 (the older AADSTS70021 is no longer sent),
    // a subject AADSTS700213. The recording has the codes, not the status: 401 invalid_client is kept.
    if (credentials.length === 0) {
      return this.error(
        401,
        'invalid_client',
        70025,
        `AADSTS70025: The client '${principal.appId}'(${principal.displayName}) has no configured federated identity credentials.`,
        request,
      );
    }
    const byIssuer = credentials.filter((c) => c.issuer === issuer);
    if (byIssuer.length === 0) {
      return this.error(
        401,
        'invalid_client',
        700211,
        `AADSTS700211: No matching federated identity record found for presented assertion issuer '${issuer}'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
        request,
      );
    }
    const bySubject = byIssuer.filter((c) => c.subject === subject);
    if (bySubject.length === 0) {
      return this.error(
        401,
        'invalid_client',
        700213,
        `AADSTS700213: No matching federated identity record found for presented assertion subject '${subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
        request,
      );
    }
    if (!bySubject.some((c) => c.audiences.includes(audience))) {
      return this.error(
        401,
        'invalid_client',
        700212,
        `AADSTS700212: No matching federated identity record found for presented assertion audience '${audience}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
        request,
      );
    }
    // Connection tokens come from Entra ID's issuer or, for connections Azure DevOps has not moved yet, from
    // its former issuer https://vstoken.dev.azure.com/<org id>; both are signed with Azure DevOps' key here.
    const knownIssuer = issuer === this.state.entraIssuer(this.state.world.tenantId) || issuer === this.state.devopsIssuer();
    if (!knownIssuer || !this.state.devopsKey.verifies(token)) {
      return this.error(401, 'invalid_client', 50013, 'AADSTS50013: Assertion failed signature validation. [Reason - The key was not found.]', request);
    }
    // Tokens from the Entra issuer are honoured only for single-tenant apps (Azure DevOps' troubleshooting
    // page for workload identity connections: multitenant app registrations are not supported).
    const application = principal.applicationObjectId ? this.state.applications.get(principal.applicationObjectId.toLowerCase()) : undefined;
    if (application && application.resource.signInAudience !== 'AzureADMyOrg') {
      return this.error(
        400,
        'invalid_request',
        70052,
        'AADSTS70052: The identity must be a managed identity, a single tenant app, or a service account.',
        request,
      );
    }
    const problem = timeProblem(token.payload, epochSeconds(), 0);
    if (problem) {
      const fmt = (seconds: unknown): string => (typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'unspecified');
      return this.error(
        401,
        'invalid_client',
        700024,
        `AADSTS700024: Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}, assertion valid from ${fmt(token.payload.nbf)}, expiry time of assertion ${fmt(token.payload.exp)}.`,
        request,
      );
    }
    return undefined;
  }

  /**
   * A client assertion signed with the app's certificate (RFC 7523 private_key_jwt as MSAL builds it: PS256
   * with x5t#S256, or RS256 with x5t): the thumbprint must name a registered certificate, the signature
   * must verify with its key, the audience must be this token endpoint, and the time window must hold.
   * Messages as Entra writes them for AADSTS700027 and AADSTS700024.
   */
  private checkCertificateAssertion(principal: DirectoryPrincipal, token: DecodedJwt, tenant: string, request: EmulatorRequest): EmulatorResponse | undefined {
    const sha256 = typeof token.header['x5t#S256'] === 'string' ? token.header['x5t#S256'] : undefined;
    const sha1 = typeof token.header.x5t === 'string' ? token.header.x5t : undefined;
    const certificate = (principal.certificates ?? []).find((c) => (sha256 !== undefined && c.x5tS256 === sha256) || (sha1 !== undefined && c.x5t === sha1));
    const thumbprint = Buffer.from(sha256 ?? sha1 ?? '', 'base64url')
      .toString('hex')
      .toUpperCase();
    if (!certificate) {
      return this.error(
        401,
        'invalid_client',
        700027,
        `AADSTS700027: The certificate with identifier used to sign the client assertion is not registered on application. [Reason - The key was not found., Thumbprint of key used by client: '${thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${principal.appId}'.]`,
        request,
      );
    }
    const key = createPublicKey(certificate.publicKeyPem);
    const data = Buffer.from(token.signingInput);
    const valid =
      token.header.alg === 'PS256'
        ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }, token.signature)
        : token.header.alg === 'RS256' && verify('sha256', data, key, token.signature);
    if (!valid) {
      return this.error(
        401,
        'invalid_client',
        700027,
        `AADSTS700027: Client assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${thumbprint}']`,
        request,
      );
    }
    const endpoint = `${this.state.urls.login}${tenant}/oauth2/v2.0/token`;
    const audience = stringClaim(token, 'aud');
    if (
      audience.toLowerCase() !== endpoint.toLowerCase() &&
      audience.toLowerCase() !== `${this.state.urls.login}${this.state.world.tenantId}/oauth2/v2.0/token`
    ) {
      return this.error(
        401,
        'invalid_client',
        700212,
        `AADSTS700212: The client assertion audience '${audience}' does not match the token endpoint '${endpoint}'.`,
        request,
      );
    }
    if (stringClaim(token, 'sub') !== principal.appId) {
      return this.error(401, 'invalid_client', 700023, `AADSTS700023: Client assertion subject must match the client id '${principal.appId}'.`, request);
    }
    if (timeProblem(token.payload, epochSeconds(), 300)) {
      return this.error(
        401,
        'invalid_client',
        700024,
        `AADSTS700024: Client assertion is not within its valid time range. Current time: ${new Date().toISOString()}.`,
        request,
      );
    }
    return undefined;
  }

  /**
   * An app registration's credentials live on its Graph application, a managed identity's are ARM child
   * resources; either becomes usable once it has propagated.
   */
  private usableFederatedCredentials(principal: DirectoryPrincipal): Array<{ issuer: string; subject: string; audiences: string[] }> {
    return usableFederatedCredentials(this.state, principal);
  }

  private tenantNotFound(tenant: string): EmulatorResponse {
    return this.error(
      400,
      'invalid_tenant',
      90002,
      `AADSTS90002: Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    );
  }

  private missingParameter(name: string, request: EmulatorRequest): EmulatorResponse {
    return this.error(400, 'invalid_request', 900144, `AADSTS900144: The request body must contain the following parameter: '${name}'.`, request);
  }

  /** Entra's error envelope: error, error_description (with trace footer), error_codes, ids, error_uri. */
  private error(status: number, error: string, code: number, description: string, request?: EmulatorRequest): EmulatorResponse {
    const traceId = randomUUID();
    const correlationId = (request && header(request, 'client-request-id')) || randomUUID();
    const timestamp = new Date()
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, 'Z');
    return jsonResponse(
      status,
      {
        error,
        error_description: `${description} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${this.state.urls.login}error?code=${code}`,
      },
      request ? this.standardHeaders(request) : {},
    );
  }

  private standardHeaders(request: EmulatorRequest): Record<string, string> {
    const headers: Record<string, string> = {
      'Cache-Control': 'no-store, no-cache',
      Pragma: 'no-cache',
      'x-ms-request-id': randomUUID(),
      'x-ms-ests-server': '2.1.emulator',
    };
    const clientRequestId = header(request, 'client-request-id');
    if (clientRequestId) headers['client-request-id'] = clientRequestId;
    return headers;
  }
}

function stringClaim(token: DecodedJwt, name: string): string {
  const value = token.payload[name];
  return typeof value === 'string' ? value : '';
}

/**
 * The federated credentials of a principal that Entra ID honours now: an app registration's live on its Graph
 * application, a managed identity's are ARM child resources; either becomes usable once it has propagated.
 * Azure DevOps' conversions test a connection's new pair against the same (devops-conversion.ts).
 */
export function usableFederatedCredentials(
  state: EmulatorState,
  principal: DirectoryPrincipal,
): Array<{ issuer: string; subject: string; audiences: string[] }> {
  const propagatedBefore = state.now() - state.settings.federatedCredentialPropagationMs;
  const application = principal.applicationObjectId ? state.applications.get(principal.applicationObjectId.toLowerCase()) : undefined;
  const credentials = application
    ? [...application.federatedCredentials.values()].map((c) => ({ createdAt: c.createdAt, ...c.resource }))
    : [...(state.federatedCredentials.get(principal.managedIdentityResourceId?.toLowerCase() ?? '')?.values() ?? [])].map((c) => ({
        createdAt: c.createdAt,
        ...c.resource.properties,
      }));
  return credentials.filter((c) => c.createdAt <= propagatedBefore);
}
