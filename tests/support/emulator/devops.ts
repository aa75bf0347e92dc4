/**
 * Azure DevOps Services for organization "contoso": resource-location discovery, projects, service
 * endpoints (devops-endpoints.ts) and the pipeline OIDC token. Callers authenticate with the job's access
 * token (Bearer, or as the password of Basic auth), with a Microsoft Entra token for Azure DevOps
 * (resource 499b84ac-1321-427f-aa17-267ca6975798) of a principal that is a user of the organization, or
 * with a personal access token as the password of Basic auth
 * (https://learn.microsoft.com/azure/devops/integrate/get-started/authentication/service-principal-managed-identity).
 */
import { randomUUID } from 'node:crypto';
import { header, jsonResponse, matchPath, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { decodeJwt, epochSeconds, timeProblem } from './jwt';
import { ADO_TYPES, SERVICE_ENDPOINTS_NAMESPACE, adoError, endpointPermissions, projectNotFound, type DevOpsCaller } from './devops-common';
import { ServiceEndpointsResource } from './devops-endpoints';
import { SchemeConversion } from './devops-conversion';
import { EndpointProxy, type ProxyPeers } from './devops-endpointproxy';
import { PIPELINE_PERMISSIONS_VERSIONS, PipelinesResource } from './devops-pipelines';
import { CHECK_CONFIGURATIONS_VERSIONS, ChecksResource, IDENTITIES_VERSIONS } from './devops-checks';
import { LOCATIONS, checkApiVersion, locationsOfArea, type ApiResourceLocation } from './devops-locations';
import { AZURE_DEVOPS_APP_ID, type DevOpsIdentity, type ProjectRecord } from './devops-records';
import { TOKEN_EXCHANGE_AUDIENCE } from './entra-directory';
import { type EmulatorState } from './state';

const OIDC_TOKEN_LIFETIME_SECONDS = 600;
const HUBS = ['build', 'release', 'rm', 'checks'];

export class DevOpsService {
  readonly endpoints: ServiceEndpointsResource;
  readonly conversion: SchemeConversion;
  private readonly pipelines: PipelinesResource;
  private readonly proxy: EndpointProxy;
  readonly checks: ChecksResource;

  constructor(
    private readonly state: EmulatorState,
    peers: ProxyPeers,
  ) {
    this.endpoints = new ServiceEndpointsResource(state);
    this.conversion = new SchemeConversion(state, this.endpoints);
    this.pipelines = new PipelinesResource(state, this.endpoints);
    this.proxy = new EndpointProxy(state, peers);
    this.checks = new ChecksResource(state, this.endpoints);
  }

  handle = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    const delay = this.state.settings.devopsRateLimitDelaySeconds;
    // A caller near its limit has its requests delayed, and told so (docs/wire.md, "Rate limits").
    if (delay > 0) await this.state.settings.clock.sleep(delay * 1000);
    const response = await this.route(request);
    response.headers = { ...this.standardHeaders(request), ...(delay > 0 ? rateLimitHeaders(delay) : {}), ...(response.headers ?? {}) };
    return response;
  };

  private route(request: EmulatorRequest): EmulatorResponse | Promise<EmulatorResponse> {
    const org = `/${this.state.world.organization.name}`;
    const { pathname, method } = request;
    // The identities host (devops-checks.ts): Read Identities for signed-in callers.
    if (pathname.toLowerCase().startsWith(`/_vssps${org}/`.toLowerCase())) {
      const caller = this.authenticate(request);
      if ('status' in caller) return caller;
      request.callerId = caller.identity.id;
      if (method === 'GET' && matchPath('/_apis/identities', pathname.slice(`/_vssps${org}`.length))) {
        return this.versioned(request, IDENTITIES_VERSIONS, () => this.checks.searchIdentities(request));
      }
      return adoError(
        404,
        'Microsoft.VisualStudio.Services.WebApi.VssResourceNotFoundException, Microsoft.VisualStudio.Services.WebApi',
        `The emulator has no route for '${method} ${pathname}'.`,
      );
    }
    if (!pathname.toLowerCase().startsWith(`${org}/`)) {
      return adoError(
        404,
        'Microsoft.VisualStudio.Services.Organization.OrganizationNotFoundException, Microsoft.VisualStudio.Services.WebApi',
        `VS800075: The organization of '${pathname.split('/')[1] ?? ''}' could not be found.`,
      );
    }
    const path = pathname.slice(org.length);

    // Resource location discovery is served to anonymous callers.
    const area = matchPath('/_apis/:area', path);
    if (method === 'OPTIONS' && area) return this.options(area.area);

    const caller = this.authenticate(request);
    if ('status' in caller) return caller;
    request.callerId = caller.identity.id;

    let p: Record<string, string> | undefined;
    if (method === 'GET' && matchPath('/_apis/ResourceAreas', path)) {
      // What an organization without separate resource-area hosts answers; azure-devops-node-api's
      // WebApi._getResourceAreaUrl then keeps the organization URL.
      return this.versioned(request, LOCATIONS.resourceAreas, () => jsonResponse(200, { count: 0, value: null }));
    }
    if (method === 'GET' && (p = matchPath('/_apis/ResourceAreas/:area', path))) {
      const area = p.area;
      const origin = new URL(this.state.world.organization.url).origin;
      return this.versioned(request, LOCATIONS.resourceAreas, () => this.checks.resourceArea(area, origin));
    }
    if (method === 'GET' && matchPath('/_apis/projects', path)) return this.versioned(request, LOCATIONS.projects, () => this.listProjects(request));
    if (method === 'GET' && (p = matchPath('/_apis/projects/:project', path)))
      return this.versioned(request, LOCATIONS.projects, () => this.getProject(p!.project));

    if (method === 'GET' && (p = matchPath('/_apis/permissions/:namespace/:bits', path))) {
      const params = p;
      return this.versioned(request, LOCATIONS.permissions, () => this.hasPermissions(request, caller, params.namespace, params.bits));
    }

    const collection = LOCATIONS.serviceEndpointsCollection;
    if (method === 'POST' && matchPath('/_apis/serviceendpoint/endpoints', path))
      return this.versioned(request, collection, () => this.endpoints.create(request, caller));
    if ((p = matchPath('/_apis/serviceendpoint/endpoints/:id', path))) {
      const id = p.id;
      if (method === 'PUT') return this.versioned(request, collection, () => this.putEndpoint(request, caller, id));
      if (method === 'PATCH') return this.versioned(request, collection, () => this.endpoints.share(request, caller, id));
      if (method === 'DELETE') return this.versioned(request, collection, () => this.endpoints.delete(request, caller, id));
    }

    const projectScoped = LOCATIONS.serviceEndpointsProject;
    // Scripts send the conversion to the project-level route (Microsoft's convert_azurerm_service_connection_to_oidc_simple.ps1).
    if (method === 'PUT' && (p = matchPath('/:project/_apis/serviceendpoint/endpoints/:id', path))) {
      const project = this.state.findWellFormedProject(p.project);
      const id = p.id;
      return project ? this.versioned(request, collection, () => this.putEndpoint(request, caller, id)) : projectNotFound(p.project);
    }
    if (method === 'GET' && (p = matchPath('/:project/_apis/serviceendpoint/endpoints', path))) {
      const project = this.state.findWellFormedProject(p.project);
      if (project && this.state.settings.unreadableProjects.some((name) => name.toLowerCase() === project.name.toLowerCase())) {
        return adoError(403, ADO_TYPES.accessCheck, `You do not have permission to view the service connections of the project '${project.name}'.`);
      }
      return project ? this.versioned(request, projectScoped, () => this.endpoints.list(request, caller, project)) : projectNotFound(p.project);
    }
    if (method === 'GET' && (p = matchPath('/:project/_apis/serviceendpoint/endpoints/:id', path))) {
      const project = this.state.findWellFormedProject(p.project);
      const id = p.id;
      return project ? this.versioned(request, projectScoped, () => this.endpoints.get(caller, project, id)) : projectNotFound(p.project);
    }
    if (method === 'GET' && (p = matchPath('/:project/_apis/serviceendpoint/:id/executionhistory', path))) {
      const project = this.state.findWellFormedProject(p.project);
      const id = p.id;
      return project
        ? this.versioned(request, LOCATIONS.executionHistory, () => this.endpoints.executionHistory(request, caller, project, id))
        : projectNotFound(p.project);
    }
    if (method === 'POST' && (p = matchPath('/:project/_apis/serviceendpoint/endpointproxy', path))) {
      const project = this.state.findWellFormedProject(p.project);
      if (!project) return projectNotFound(p.project);
      const problem = checkApiVersion(request, LOCATIONS.endpointProxy);
      return problem ? adoError(400, problem.typeName, problem.message) : this.proxy.execute(request, caller, project);
    }
    if (method === 'GET' && (p = matchPath('/:project/_apis/build/definitions', path))) {
      const project = this.state.findWellFormedProject(p.project);
      return project
        ? this.versioned(request, LOCATIONS.buildDefinitions, () => this.pipelines.listDefinitions(request, caller, project))
        : projectNotFound(p.project);
    }
    if ((p = matchPath('/:project/_apis/pipelines/pipelinePermissions/:type/:id', path))) {
      const project = this.state.findWellFormedProject(p.project);
      if (!project) return projectNotFound(p.project);
      const { type, id } = p;
      if (method === 'GET') return this.versioned(request, PIPELINE_PERMISSIONS_VERSIONS, () => this.pipelines.getPermissions(caller, project, type, id));
      if (method === 'PATCH')
        return this.versioned(request, PIPELINE_PERMISSIONS_VERSIONS, () => this.pipelines.updatePermissions(request, caller, project, type, id));
      return this.methodNotAllowed(request);
    }
    if ((p = matchPath('/:project/_apis/pipelines/checks/configurations', path))) {
      const project = this.state.findWellFormedProject(p.project);
      if (!project) return projectNotFound(p.project);
      if (method === 'GET') return this.versioned(request, CHECK_CONFIGURATIONS_VERSIONS, () => this.checks.list(request, caller, project));
      if (method === 'POST') return this.versioned(request, CHECK_CONFIGURATIONS_VERSIONS, () => this.checks.add(request, caller, project));
      return this.methodNotAllowed(request);
    }
    if ((p = matchPath('/:project/_apis/pipelines/checks/configurations/:id', path))) {
      const project = this.state.findWellFormedProject(p.project);
      if (!project) return projectNotFound(p.project);
      const id = p.id;
      if (method === 'PATCH') return this.versioned(request, CHECK_CONFIGURATIONS_VERSIONS, () => this.checks.update(request, caller, project, id));
      return this.methodNotAllowed(request);
    }
    if ((p = matchPath('/:scope/_apis/distributedtask/hubs/:hub/plans/:plan/jobs/:job/oidctoken', path))) {
      if (method !== 'POST') return this.methodNotAllowed(request);
      const params = p;
      return this.versioned(request, LOCATIONS.oidcToken, () => this.oidcToken(request, caller, params));
    }
    return adoError(
      404,
      'Microsoft.VisualStudio.Services.WebApi.VssResourceNotFoundException, Microsoft.VisualStudio.Services.WebApi',
      `The emulator has no route for '${method} ${pathname}'.`,
    );
  }

  /** An update, or with ?operation=ConvertAuthenticationScheme a conversion of its scheme (devops-conversion.ts). */
  private putEndpoint(request: EmulatorRequest, caller: DevOpsCaller, id: string): EmulatorResponse {
    const operation = request.query.get('operation') ?? '';
    if (operation.toLowerCase() === 'convertauthenticationscheme') return this.conversion.convert(request, caller, id);
    return this.endpoints.update(request, caller, id);
  }

  private options(area: string): EmulatorResponse {
    const value: ApiResourceLocation[] = locationsOfArea(area);
    return jsonResponse(200, { count: value.length, value });
  }

  private versioned(request: EmulatorRequest, location: ApiResourceLocation, answer: () => EmulatorResponse): EmulatorResponse {
    const problem = checkApiVersion(request, location);
    return problem ? adoError(400, problem.typeName, problem.message) : answer();
  }

  /**
   * Accepts the job token as Bearer or as the password of Basic auth, an Entra token for Azure DevOps as
   * Bearer, and a personal access token as the password of Basic auth. A missing or unusable token answers
   * 401 with the challenges Azure DevOps sends (Bearer via Entra, Basic, TFS-Federated).
   */
  private authenticate(request: EmulatorRequest): DevOpsCaller | EmulatorResponse {
    const authorization = header(request, 'authorization');
    if (!authorization) {
      return this.unauthorized(request, 'TF400813: Resource not available for anonymous access. Client authentication required.');
    }
    let token: string | undefined;
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    const basic = /^Basic\s+(\S+)$/i.exec(authorization);
    if (bearer) token = bearer[1];
    else if (basic) token = Buffer.from(basic[1], 'base64').toString('utf8').split(':').slice(1).join(':');
    this.state.noteSecret(token);
    if (basic && token) {
      const owner = this.state.personalAccessTokens.get(token);
      if (owner) return { identity: this.state.devopsIdentities.get(owner)! };
    }
    const decoded = token ? decodeJwt(token) : undefined;
    if (bearer && decoded && this.state.entraKey.verifies(decoded)) return this.entraCaller(request, decoded.payload);
    const organizationId = this.state.world.organization.id;
    const valid =
      decoded !== undefined &&
      this.state.devopsKey.verifies(decoded) &&
      typeof decoded.payload.aud === 'string' &&
      decoded.payload.aud.split('|').includes(`vso:${organizationId}`) &&
      timeProblem(decoded.payload, epochSeconds(), 0) === undefined;
    const identity = valid ? this.state.devopsIdentities.get(String(decoded.payload.nameid)) : undefined;
    if (!decoded || !identity) {
      return this.unauthorized(request, `VS30063: You are not authorized to access ${this.state.world.organization.url.replace(/\/$/, '')}.`);
    }
    const orchid = decoded.payload.orchid;
    const [planId, jobId] = (typeof orchid === 'string' ? orchid : '').split('.');
    return { identity, planId, jobId };
  }

  /**
   * An Entra access token: for Azure DevOps, from this tenant, in its time window, of a principal that is a
   * user of the organization. Anything else is refused as Azure DevOps refuses it (TF400813).
   */
  private entraCaller(request: EmulatorRequest, claims: Record<string, unknown>): DevOpsCaller | EmulatorResponse {
    // An expired token names nobody: 401 "TF400813: The user '' is not authorized to access this resource."
    // (microsoft/azure-devops-auth-samples#52; GET and POST without X-TFS-FedAuthRedirect get the 203 sign-in page).
    if (timeProblem(claims, epochSeconds(this.state.now()), 300) !== undefined) {
      return this.unauthorized(request, "TF400813: The user '' is not authorized to access this resource.");
    }
    const objectId = typeof claims.oid === 'string' ? claims.oid : '';
    const usable = claims.aud === AZURE_DEVOPS_APP_ID && claims.iss === this.state.accessTokenIssuer();
    const member: DevOpsIdentity | undefined = usable ? this.state.devopsMember(objectId) : undefined;
    if (!member) return this.unauthorized(request, `TF400813: The user '${objectId}' is not authorized to access this resource.`);
    return { identity: member };
  }

  /**
   * A refused credential: 401 with X-TFS-FedAuthRedirect: Suppress; without it, 203 (or 302) and an HTML
   * sign-in page (tests/fixtures/recordings/ado-oidctoken-invalid-token.json).
   */
  private unauthorized(request: EmulatorRequest, message: string): EmulatorResponse {
    if ((header(request, 'x-tfs-fedauthredirect') ?? '').toLowerCase() !== 'suppress') {
      const signIn = `https://spsprodweu5.vssps.visualstudio.com/_signin?realm=dev.azure.com&amp;reply_to=${encodeURIComponent(request.rawPath)}`;
      const status = this.state.settings.recorded.signInRedirectStatus;
      return {
        status,
        headers: { 'Content-Type': 'text/html; charset=utf-8', ...(status === 302 ? { Location: signIn.replace('&amp;', '&') } : {}) },
        body: `<html><head><title>Object moved</title></head><body>\r\n<h2>Object moved to <a href="${signIn}">here</a>.</h2>\r\n</body></html>`,
      };
    }
    const response = adoError(401, ADO_TYPES.unauthorized, message);
    response.headers = {
      'WWW-Authenticate': [
        `Bearer authorization_uri=${this.state.urls.login}${this.state.world.tenantId}`,
        `Basic realm="${this.state.urls.devops}"`,
        'TFS-Federated',
      ],
      'X-TFS-FedAuthRealm': this.state.urls.devops,
      'X-VSS-ResourceTenant': this.state.world.tenantId,
    };
    return response;
  }

  private methodNotAllowed(request: EmulatorRequest): EmulatorResponse {
    return adoError(405, 'System.Web.Http.HttpResponseException, System.Web.Http', `The requested resource does not support http method '${request.method}'.`);
  }

  // ---- core: projects -------------------------------------------------------------------------------

  private projectBody(project: ProjectRecord): Record<string, unknown> {
    const org = this.state.world.organization.url;
    return {
      id: project.id,
      name: project.name,
      description: project.description,
      url: `${org}_apis/projects/${project.id}`,
      state: project.state,
      revision: project.revision,
      _links: {
        self: { href: `${org}_apis/projects/${project.id}` },
        collection: { href: `${org}_apis/projectCollections/${this.state.world.organization.id}` },
        web: { href: `${org}${encodeURIComponent(project.name)}` },
      },
      visibility: 'private',
      defaultTeam: { id: project.id.replace(/^.{8}/, 'a0000000'), name: `${project.name} Team`, url: `${org}_apis/projects/${project.id}/teams` },
      lastUpdateTime: project.lastUpdateTime,
    };
  }

  /**
   * stateFilter defaults to wellFormed, as the service's does (tests/fixtures/contracts/ado-core-7.2/core.json,
   * Projects_List); pages of `$top` (at most the page size, 100 unless the pageSize knob says otherwise: users
   * report both 100 and more per page), the next page behind continuationToken, "how many projects already
   * been fetched", sent back in x-ms-continuationtoken (azure-devops-node-api CoreApi.getProjects).
   */
  private listProjects(request: EmulatorRequest): EmulatorResponse {
    const filter = (request.query.get('stateFilter') ?? 'wellFormed').toLowerCase();
    const listed = this.state.projects.filter((p) => filter === 'all' || this.state.findProject(p.id)?.state.toLowerCase() === filter);
    const pageSize = Math.min(Number(request.query.get('$top')) || Infinity, this.state.settings.recorded.pageSize ?? 100);
    const start = Number(request.query.get('continuationToken') ?? '0') || 0;
    const value = listed.slice(start, start + pageSize).map((p) => {
      const { id, name, description, url, state, revision, visibility, lastUpdateTime } = this.projectBody(p);
      return { id, name, description, url, state, revision, visibility, lastUpdateTime };
    });
    const more = start + pageSize < listed.length;
    return jsonResponse(200, { count: value.length, value }, more ? { 'x-ms-continuationtoken': String(start + pageSize) } : {});
  }

  /** A project being created answers with its state; each such read counts for the emulator's pending knob. */
  private getProject(idOrName: string): EmulatorResponse {
    const project = this.state.findProject(idOrName);
    if (!project) return projectNotFound(idOrName);
    const answer = jsonResponse(200, this.projectBody(project));
    this.state.countProjectRead(project);
    return answer;
  }

  // ---- security: the caller's own permissions -------------------------------------------------------

  /**
   * GET {org}/_apis/permissions/{securityNamespaceId}/{permissions}?tokens=a,b&delimiter=, ("Permissions -
   * Has Permissions"): for each token, whether the caller holds every requested bit. Only the ServiceEndpoints
   * namespace is modelled; another namespace answers as an unknown one does.
   */
  private hasPermissions(request: EmulatorRequest, caller: DevOpsCaller, namespace: string, bits: string): EmulatorResponse {
    if (namespace.toLowerCase() !== SERVICE_ENDPOINTS_NAMESPACE) {
      return adoError(
        404,
        'Microsoft.VisualStudio.Services.Security.InvalidSecurityNamespaceException, Microsoft.VisualStudio.Services.WebApi',
        `The security namespace ${namespace} is not valid.`,
      );
    }
    const requested = Number(bits);
    const tokensParam = request.query.get('tokens');
    if (!Number.isInteger(requested) || requested <= 0 || !tokensParam) {
      return adoError(400, ADO_TYPES.argument, 'The permissions and tokens parameters are required.');
    }
    const delimiter = request.query.get('delimiter') || ',';
    const value = tokensParam.split(delimiter).map((token) => (endpointPermissions(this.state, caller, token) & requested) === requested);
    return jsonResponse(200, { count: value.length, value });
  }

  // ---- distributedtask: pipeline OIDC token ---------------------------------------------------------

  /**
   * POST {org}/{projectId}/_apis/distributedtask/hubs/{hub}/plans/{planId}/jobs/{jobId}/oidctoken
   * (tests/fixtures/contracts/ado-distributedtask-7.2/task.json, Oidctoken_Create). The body is optional:
   * AzurePipelinesCredential sends none, TaskApi.createOidcToken sends {}. The token carries the
   * connection's issuer and subject, audience api://AzureADTokenExchange, and lives ten minutes.
   */
  private oidcToken(request: EmulatorRequest, caller: DevOpsCaller, params: Record<string, string>): EmulatorResponse {
    const project = this.state.findProject(params.scope);
    if (!project || project.id !== params.scope.toLowerCase()) return projectNotFound(params.scope);
    if (!HUBS.includes(params.hub.toLowerCase())) return adoError(404, ADO_TYPES.planNotFound, `Hub '${params.hub}' does not exist.`);
    if (params.plan.toLowerCase() !== caller.planId || params.job.toLowerCase() !== caller.jobId) {
      return adoError(404, ADO_TYPES.planNotFound, `Could not find a job ${params.job} in plan ${params.plan} for the access token presented.`);
    }
    try {
      const body = parseJsonBody(request);
      if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) throw new TypeError('claims');
    } catch {
      return adoError(400, ADO_TYPES.argument, 'The request body must be a JSON object of string claims.');
    }

    const issuedAt = epochSeconds();
    const connectionId = request.query.get('serviceConnectionId');
    let issuer: string;
    let subject: string;
    if (!connectionId) {
      // Without a connection Azure DevOps issues the pipeline's own ID token.
      issuer = `https://vstoken.dev.azure.com/${this.state.world.organization.id}`;
      subject = `p://${this.state.world.organization.name}/${project.name}/pipeline`;
    } else {
      const stored = this.state.serviceEndpoints.get(connectionId.toLowerCase());
      if (!stored || !stored.endpoint.serviceEndpointProjectReferences.some((r) => r.projectReference.id === project.id)) {
        return adoError(404, ADO_TYPES.endpointNotFound, `Service connection with id ${connectionId} not found in project ${project.name}.`);
      }
      const parameters = stored.endpoint.authorization.parameters;
      if (stored.endpoint.authorization.scheme !== 'WorkloadIdentityFederation' || !parameters.workloadIdentityFederationSubject) {
        return adoError(
          400,
          ADO_TYPES.invalidOperation,
          `Service connection '${stored.endpoint.name}' does not use scheme WorkloadIdentityFederation; an OIDC token is issued only for workload identity federation connections.`,
        );
      }
      issuer = String(parameters.workloadIdentityFederationIssuer);
      subject = parameters.workloadIdentityFederationSubject;
    }
    const oidcToken = this.state.devopsKey.sign({
      iss: issuer,
      sub: subject,
      aud: TOKEN_EXCHANGE_AUDIENCE,
      iat: issuedAt,
      nbf: issuedAt,
      exp: issuedAt + OIDC_TOKEN_LIFETIME_SECONDS,
      jti: randomUUID(),
    });
    this.state.noteSecret(oidcToken);
    return jsonResponse(200, { oidcToken });
  }

  private standardHeaders(request: EmulatorRequest): Record<string, string> {
    const activityId = randomUUID();
    const headers: Record<string, string> = {
      'Cache-Control': 'no-cache',
      'x-vss-e2eid': activityId,
      ActivityId: activityId,
      'x-msedge-ref': `Ref A: ${activityId.replace(/-/g, '').toUpperCase()} Ref B: AMS Ref C: ${new Date().toISOString()}`,
      'X-TFS-ProcessId': randomUUID(),
      'X-Content-Type-Options': 'nosniff',
    };
    const identity = request.callerId ? this.state.devopsIdentities.get(request.callerId) : undefined;
    if (identity) headers['X-VSS-UserData'] = `${identity.id}:${identity.uniqueName}`;
    return headers;
  }
}

/**
 * The headers of a delayed request ("Rate and usage limits", learn.microsoft.com/azure/devops/integrate/concepts/rate-limits;
 * azure-devops-node-api 17 RateLimitUtils reads the same five): the resource, the delay in seconds, the limit,
 * what is left and when it resets (epoch seconds).
 */
function rateLimitHeaders(delaySeconds: number): Record<string, string> {
  return {
    'X-RateLimit-Resource': 'ATCPU',
    'X-RateLimit-Delay': delaySeconds.toFixed(3),
    'X-RateLimit-Limit': '200',
    'X-RateLimit-Remaining': '20',
    'X-RateLimit-Reset': String(Math.floor(Date.now() / 1000) + 300),
  };
}
