/**
 * Microsoft Graph v1.0, as far as app registrations need it: applications (create, get, $filter, the
 * uniqueName upsert), service principals (create, upsert by appId, $filter) and the federated identity
 * credentials of applications (create, list, upsert by name). Shapes from
 * tests/fixtures/contracts/graph-v1.0/NOTES.md; behaviour the notes leave open from Microsoft's documentation
 * and the errors people report:
 *
 * - Bearer tokens are checked for signature, audience (Graph's app id, https://graph.microsoft.com or this
 *   cloud's Graph URL), tenant and lifetime; failures answer 401 InvalidAuthenticationToken.
 * - Permissions are the token's `roles` (app-only): Application.Read.All reads; Application.ReadWrite.All
 *   reads and writes everything; Application.ReadWrite.OwnedBy reads everything ("allows an app to call
 *   GET /applications and GET /servicePrincipals to list all applications and service principals in the
 *   tenant", Graph permissions reference), creates applications it then owns and service principals of
 *   applications it owns, and writes only objects it owns. Refusals answer 403 Authorization_RequestDenied.
 * - Eventual consistency: for `graphReplicationMs` after it was written, an application or service
 *   principal is missing from the replica that serves other requests: reads answer 404 Request_ResourceNotFound,
 *   a credential added to it 404, and its service principal 400 NoBackingApplicationObject (403 for an
 *   OwnedBy caller, whose ownership check cannot see it). Only an upsert by alternate key reaches the
 *   copy that was written (204).
 *
 * This file routes; graph-access.ts checks tokens, permissions and replication, graph-applications.ts,
 * graph-credentials.ts and graph-servicePrincipals.ts serve their collections, graph-answers.ts shapes
 * every answer.
 */
import { GraphAccess } from './graph-access';
import { batch } from './graph-batch';
import { GraphAnswers, parseSegment, Refusal, splitPath, type Segment } from './graph-answers';
import { Applications } from './graph-applications';
import { ServicePrincipals } from './graph-servicePrincipals';
import type { EmulatorRequest, EmulatorResponse } from './http';
import type { EmulatorState } from './state';

export class GraphService {
  private readonly answers: GraphAnswers;
  private readonly access: GraphAccess;
  private readonly applications: Applications;
  private readonly servicePrincipals: ServicePrincipals;

  constructor(state: EmulatorState) {
    this.answers = new GraphAnswers(state.urls.graph);
    this.access = new GraphAccess(state, this.answers);
    this.applications = new Applications(state, this.answers, this.access);
    this.servicePrincipals = new ServicePrincipals(state, this.answers, this.access);
  }

  handle = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    this.answers.begin(request);
    let response: EmulatorResponse;
    try {
      response = this.route(request);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      response = error.response;
    }
    response.headers = { ...this.answers.standardHeaders(request), ...(response.headers ?? {}) };
    return response;
  };

  /** One request of a batch, answered as it would be alone (its refusals included). */
  private answer(request: EmulatorRequest): EmulatorResponse {
    try {
      return this.route(request);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      return error.response;
    }
  }

  private route(request: EmulatorRequest): EmulatorResponse {
    const caller = this.access.authenticate(request);
    request.callerId = caller.objectId;
    let path: string;
    try {
      path = decodeURIComponent(request.pathname);
    } catch {
      return this.answers.error(request, 400, 'BadRequest', `Invalid request URI '${request.rawPath}'.`);
    }
    const [version, ...rest] = splitPath(path);
    if (version !== 'v1.0') return this.answers.error(request, 400, 'BadRequest', `Invalid version: ${version ?? ''}`);
    if (rest.length === 1 && rest[0] === '$batch' && !request.batched) {
      return request.method === 'POST' ? batch(request, this.answers, (inner) => this.answer(inner)) : this.answers.methodNotAllowed(request);
    }
    const segments = rest.map(parseSegment);
    if (segments.some((s) => s === undefined)) return this.answers.noRoute(request);
    const [collection, ...more] = segments as Segment[];
    switch (collection?.name.toLowerCase()) {
      case 'applications':
        return this.applications.route(request, caller, collection, more);
      case 'serviceprincipals':
        return this.servicePrincipals.route(request, caller, collection, more);
      default:
        return this.answers.noRoute(request);
    }
  }
}
