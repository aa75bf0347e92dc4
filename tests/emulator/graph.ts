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
 */
import { randomUUID } from 'node:crypto';
import { graphResources } from './entra';
import { header, jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { decodeJwt, epochSeconds, timeProblem } from './jwt';
import {
  graphApplication,
  graphServicePrincipal,
  newGuid,
  type EmulatorState,
  type GraphFederatedIdentityCredential,
  type GraphPermission,
  type StoredApplication,
  type StoredServicePrincipal,
} from './world';

const JSON_ODATA = 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8';
const READERS: readonly GraphPermission[] = ['Application.Read.All', 'Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy', 'Directory.Read.All'];
const SIGN_IN_AUDIENCES = ['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount'];
/** Graph's default for an application created without signInAudience (the create sample in NOTES.md §1). */
const DEFAULT_SIGN_IN_AUDIENCE = 'AzureADandPersonalMicrosoftAccount';
const MAX_CREDENTIALS_PER_APPLICATION = 20;
/** "Up to 120 characters, must be URL-friendly" (NOTES.md §5). */
const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,119}$/;
const CREDENTIAL_FIELD_MAX = 600;

interface GraphCaller {
  objectId: string;
  appId: string;
  roles: string[];
}

/** One path segment: a name, optionally with a key: `applications`, `applications(appId='…')`, `credentials(name='…')`. */
interface Segment {
  name: string;
  key?: { property?: string; value: string };
}

class Refusal extends Error {
  constructor(readonly response: EmulatorResponse) {
    super(`refused with HTTP ${response.status}`);
  }
}

export class GraphService {
  /** The request-id Graph gives each request, shared by its headers and error body. */
  private readonly requestIds = new WeakMap<EmulatorRequest, string>();

  constructor(private readonly state: EmulatorState) {}

  handle = async (request: EmulatorRequest): Promise<EmulatorResponse> => {
    this.requestIds.set(request, header(request, 'client-request-id') ?? randomUUID());
    let response: EmulatorResponse;
    try {
      response = this.route(request);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      response = error.response;
    }
    response.headers = { ...this.standardHeaders(request), ...(response.headers ?? {}) };
    return response;
  };

  // ---- routing ------------------------------------------------------------------------------------

  private route(request: EmulatorRequest): EmulatorResponse {
    const caller = this.authenticate(request);
    request.callerId = caller.objectId;
    let path: string;
    try {
      path = decodeURIComponent(request.pathname);
    } catch {
      return this.error(request, 400, 'BadRequest', `Invalid request URI '${request.rawPath}'.`);
    }
    const [version, ...rest] = splitPath(path);
    if (version !== 'v1.0') return this.error(request, 400, 'BadRequest', `Invalid version: ${version ?? ''}`);
    const segments = rest.map(parseSegment);
    if (segments.some((s) => s === undefined)) return this.noRoute(request);
    const [collection, ...more] = segments as Segment[];
    switch (collection?.name.toLowerCase()) {
      case 'applications':
        return this.applications(request, caller, collection, more);
      case 'serviceprincipals':
        return this.servicePrincipals(request, caller, collection, more);
      default:
        return this.noRoute(request);
    }
  }

  private applications(request: EmulatorRequest, caller: GraphCaller, collection: Segment, more: Segment[]): EmulatorResponse {
    // /applications/{id} and /applications({key}) address one application.
    let key = collection.key;
    if (!key && more.length > 0 && !more[0].key) key = { value: more.shift()!.name };
    if (!key) {
      if (more.length > 0) return this.noRoute(request);
      if (request.method === 'GET') return this.listApplications(request, caller);
      if (request.method === 'POST') return this.createApplication(request, caller, undefined);
      return this.methodNotAllowed(request);
    }
    const [child, grandchild, ...extra] = more;
    if (!child) {
      if (key.property?.toLowerCase() === 'uniquename' && request.method === 'PATCH') return this.upsertApplication(request, caller, key.value);
      const application = this.findApplication(request, key);
      switch (request.method) {
        case 'GET':
          this.mayRead(request, caller);
          return this.ok(this.visibleOr404(request, application, key.value).resource, 'applications/$entity');
        case 'PATCH':
          return this.updateApplication(request, caller, this.visibleOr404(request, application, key.value));
        case 'DELETE':
          return this.deleteApplication(request, caller, this.visibleOr404(request, application, key.value));
        default:
          return this.methodNotAllowed(request);
      }
    }
    if (child.name.toLowerCase() !== 'federatedidentitycredentials' || extra.length > 0) return this.noRoute(request);
    const application = this.visibleOr404(request, this.findApplication(request, key), key.value);
    let credentialKey = child.key;
    if (!credentialKey && grandchild && !grandchild.key) credentialKey = { value: grandchild.name };
    else if (grandchild) return this.noRoute(request);
    if (!credentialKey) {
      if (request.method === 'GET') return this.listCredentials(request, caller, application);
      if (request.method === 'POST') return this.createCredential(request, caller, application);
      return this.methodNotAllowed(request);
    }
    switch (request.method) {
      case 'GET':
        this.mayRead(request, caller);
        return this.ok(this.credentialOr404(request, application, credentialKey).resource, 'federatedIdentityCredentials/$entity');
      case 'PATCH':
        return this.upsertCredential(request, caller, application, credentialKey);
      case 'DELETE': {
        this.mayWrite(request, caller, application.owners);
        const credential = this.credentialOr404(request, application, credentialKey);
        application.federatedCredentials.delete(credential.resource.name.toLowerCase());
        return { status: 204 };
      }
      default:
        return this.methodNotAllowed(request);
    }
  }

  private servicePrincipals(request: EmulatorRequest, caller: GraphCaller, collection: Segment, more: Segment[]): EmulatorResponse {
    let key = collection.key;
    if (!key && more.length > 0 && !more[0].key) key = { value: more.shift()!.name };
    if (more.length > 0) return this.noRoute(request);
    if (!key) {
      if (request.method === 'GET') return this.listServicePrincipals(request, caller);
      if (request.method === 'POST') return this.createServicePrincipal(request, caller, undefined);
      return this.methodNotAllowed(request);
    }
    const byAppId = key.property?.toLowerCase() === 'appid';
    const stored = byAppId ? this.findServicePrincipalByAppId(key.value) : this.state.servicePrincipals.get(key.value.toLowerCase());
    if (byAppId && request.method === 'PATCH' && !stored) {
      if (!preferCreateIfMissing(request)) throw this.notFound(request, key.value);
      return this.createServicePrincipal(request, caller, key.value);
    }
    switch (request.method) {
      case 'GET':
        this.mayRead(request, caller);
        return this.ok(this.visibleOr404(request, stored, key.value).resource, 'servicePrincipals/$entity');
      case 'PATCH': {
        // An upsert by appId reaches the copy that was written; a PATCH by id needs a replica that has it.
        const target = byAppId && stored ? stored : this.visibleOr404(request, stored, key.value);
        this.mayWrite(request, caller, target.owners, this.state.findApplicationByAppId(target.resource.appId)?.owners);
        const body = this.objectBody(request);
        const patch = this.servicePrincipalProperties(request, body);
        Object.assign(target.resource, patch);
        return { status: 204 };
      }
      default:
        return this.methodNotAllowed(request);
    }
  }

  // ---- applications -------------------------------------------------------------------------------

  private listApplications(request: EmulatorRequest, caller: GraphCaller): EmulatorResponse {
    this.mayRead(request, caller);
    const filter = this.equalityFilter(request, ['displayName', 'appId', 'uniqueName', 'id']);
    const value = [...this.state.applications.values()]
      .filter((a) => this.visible(a))
      .map((a) => a.resource)
      .filter((a) => !filter || String(a[filter.property as keyof typeof a] ?? '').toLowerCase() === filter.value.toLowerCase());
    return this.ok({ value }, 'applications');
  }

  private createApplication(request: EmulatorRequest, caller: GraphCaller, uniqueName: string | undefined): EmulatorResponse {
    this.mayCreate(request, caller);
    const body = this.objectBody(request);
    const properties = this.applicationProperties(request, body, uniqueName === undefined);
    if (typeof properties.displayName !== 'string' || properties.displayName.trim() === '') {
      return this.error(request, 400, 'Request_BadRequest', "Property 'displayName' is required and must not be empty.");
    }
    const name = uniqueName ?? (typeof properties.uniqueName === 'string' ? properties.uniqueName : null);
    if (name !== null && this.findApplicationByUniqueName(name)) {
      return this.error(request, 409, 'Request_MultipleObjectsWithSameKeyValue', `Another object with the same value for property uniqueName already exists.`);
    }
    const createdAt = this.state.now();
    const stored: StoredApplication = {
      resource: graphApplication({
        id: newGuid(),
        appId: newGuid(),
        displayName: properties.displayName,
        signInAudience: typeof properties.signInAudience === 'string' ? properties.signInAudience : DEFAULT_SIGN_IN_AUDIENCE,
        uniqueName: name,
        createdAt,
      }),
      // The permission reference: OwnedBy "allows the calling app to create other applications" and
      // manage them, which makes it their owner. (Whether a ReadWrite.All caller is added too is not
      // documented; the emulator adds only the OwnedBy caller.)
      owners: this.has(caller, 'Application.ReadWrite.All') ? [] : [caller.objectId],
      createdAt,
      federatedCredentials: new Map(),
    };
    for (const field of ['description', 'notes', 'tags'] as const) {
      if (properties[field] !== undefined) Object.assign(stored.resource, { [field]: properties[field] });
    }
    this.state.applications.set(stored.resource.id, stored);
    return this.created(stored.resource, 'applications/$entity');
  }

  /** PATCH /applications(uniqueName='…'): 201 when created (Prefer: create-if-missing), 204 when it existed. */
  private upsertApplication(request: EmulatorRequest, caller: GraphCaller, uniqueName: string): EmulatorResponse {
    const existing = this.findApplicationByUniqueName(uniqueName);
    if (!existing) {
      if (!preferCreateIfMissing(request)) throw this.notFound(request, uniqueName);
      return this.createApplication(request, caller, uniqueName);
    }
    return this.updateApplication(request, caller, existing);
  }

  private updateApplication(request: EmulatorRequest, caller: GraphCaller, stored: StoredApplication): EmulatorResponse {
    this.mayWrite(request, caller, stored.owners);
    const body = this.objectBody(request);
    const properties = this.applicationProperties(request, body, false);
    if (properties.displayName !== undefined && (typeof properties.displayName !== 'string' || properties.displayName.trim() === '')) {
      return this.error(request, 400, 'Request_BadRequest', "Property 'displayName' must not be empty.");
    }
    Object.assign(stored.resource, properties);
    return { status: 204 };
  }

  private deleteApplication(request: EmulatorRequest, caller: GraphCaller, stored: StoredApplication): EmulatorResponse {
    this.mayWrite(request, caller, stored.owners);
    this.state.applications.delete(stored.resource.id.toLowerCase());
    // Deleting an application removes its service principal in its home tenant.
    const principal = this.findServicePrincipalByAppId(stored.resource.appId);
    if (principal) {
      this.state.servicePrincipals.delete(principal.resource.id.toLowerCase());
      this.state.principals.delete(principal.resource.id);
    }
    return { status: 204 };
  }

  /** The writable application properties this emulator knows; anything else is refused as Graph does. */
  private applicationProperties(request: EmulatorRequest, body: Record<string, unknown>, uniqueNameAllowed: boolean): Record<string, unknown> {
    const known = ['displayName', 'signInAudience', 'description', 'notes', 'tags', 'uniqueName'];
    for (const property of Object.keys(body)) {
      if (property.startsWith('@odata.')) continue;
      if (!known.includes(property)) {
        throw new Refusal(
          this.error(request, 400, 'Request_BadRequest', `Property '${property}' does not exist as a declared property or extension property.`),
        );
      }
    }
    if (body.uniqueName !== undefined && !uniqueNameAllowed) {
      throw new Refusal(this.error(request, 400, 'Request_BadRequest', "Property 'uniqueName' is read-only and cannot be set."));
    }
    if (body.signInAudience !== undefined && (typeof body.signInAudience !== 'string' || !SIGN_IN_AUDIENCES.includes(body.signInAudience))) {
      throw new Refusal(this.error(request, 400, 'Request_BadRequest', `Invalid value specified for property 'signInAudience' of resource 'Application'.`));
    }
    const { uniqueName: _unique, ...rest } = body;
    return uniqueNameAllowed ? body : rest;
  }

  private findApplication(request: EmulatorRequest, key: { property?: string; value: string }): StoredApplication | undefined {
    switch (key.property?.toLowerCase()) {
      case undefined:
        return this.state.applications.get(key.value.toLowerCase());
      case 'appid':
        return this.state.findApplicationByAppId(key.value);
      case 'uniquename':
        return this.findApplicationByUniqueName(key.value);
      default:
        throw new Refusal(this.error(request, 400, 'BadRequest', `'${key.property}' is not an alternate key of applications.`));
    }
  }

  private findApplicationByUniqueName(uniqueName: string): StoredApplication | undefined {
    const wanted = uniqueName.toLowerCase();
    return [...this.state.applications.values()].find((a) => a.resource.uniqueName?.toLowerCase() === wanted);
  }

  // ---- federated identity credentials ---------------------------------------------------------------

  private listCredentials(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication): EmulatorResponse {
    this.mayRead(request, caller);
    const filter = this.equalityFilter(request, ['name', 'subject', 'issuer']);
    const value = [...application.federatedCredentials.values()]
      .map((c) => c.resource)
      .filter((c) => !filter || c[filter.property as 'name' | 'subject' | 'issuer'] === filter.value);
    // Pages with @odata.nextLink under the page-size knob (Graph pages every collection: https://learn.microsoft.com/graph/paging).
    const pageSize = this.state.settings.recorded.pageSize;
    const start = Number(request.query.get('$skiptoken') ?? '0') || 0;
    const context = `applications('${application.resource.id}')/federatedIdentityCredentials`;
    if (!pageSize || value.length - start <= pageSize) return this.ok({ value: value.slice(start) }, context);
    const query = new URLSearchParams(request.query);
    query.set('$skiptoken', String(start + pageSize));
    const nextLink = `${this.state.urls.graph.replace(/\/$/, '')}${request.pathname}?${query.toString()}`;
    return this.ok({ value: value.slice(start, start + pageSize), '@odata.nextLink': nextLink }, context);
  }

  private createCredential(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication): EmulatorResponse {
    this.mayWrite(request, caller, application.owners);
    const body = this.objectBody(request);
    const name = typeof body.name === 'string' ? body.name : '';
    if (application.federatedCredentials.has(name.toLowerCase())) {
      return this.error(request, 409, 'Request_MultipleObjectsWithSameKeyValue', `FederatedIdentityCredential with name ${name} already exists.`);
    }
    return this.writeCredential(request, application, name, body, undefined);
  }

  /** PATCH …/federatedIdentityCredentials(name='…'): 201 when created (Prefer: create-if-missing), 204 when it existed. */
  private upsertCredential(
    request: EmulatorRequest,
    caller: GraphCaller,
    application: StoredApplication,
    key: { property?: string; value: string },
  ): EmulatorResponse {
    this.mayWrite(request, caller, application.owners);
    const body = this.objectBody(request);
    const existing = this.findCredential(application, key);
    if (existing) return this.writeCredential(request, application, existing.resource.name, { ...existing.resource, ...body }, existing.resource);
    if (key.property?.toLowerCase() !== 'name' || !preferCreateIfMissing(request)) throw this.notFound(request, key.value);
    return this.writeCredential(request, application, key.value, body, undefined);
  }

  private writeCredential(
    request: EmulatorRequest,
    application: StoredApplication,
    name: string,
    body: Record<string, unknown>,
    existing: GraphFederatedIdentityCredential | undefined,
  ): EmulatorResponse {
    const invalid = (message: string): EmulatorResponse => this.error(request, 400, 'Request_BadRequest', message);
    if (!CREDENTIAL_NAME.test(name)) return invalid(`Invalid value specified for property 'name' of resource 'FederatedIdentityCredential'.`);
    for (const field of ['issuer', 'subject'] as const) {
      const value = body[field];
      if (typeof value !== 'string' || value === '' || value.length > CREDENTIAL_FIELD_MAX) {
        return invalid(`Invalid value specified for property '${field}' of resource 'FederatedIdentityCredential'.`);
      }
    }
    const audiences = body.audiences;
    if (!Array.isArray(audiences) || audiences.length !== 1 || typeof audiences[0] !== 'string' || audiences[0].length > CREDENTIAL_FIELD_MAX) {
      return invalid("Invalid value specified for property 'audiences' of resource 'FederatedIdentityCredential'. Exactly one audience is allowed.");
    }
    const issuer = String(body.issuer);
    const subject = String(body.subject);
    const clash = [...application.federatedCredentials.values()].find(
      (c) => c.resource.name.toLowerCase() !== name.toLowerCase() && c.resource.issuer === issuer && c.resource.subject === subject,
    );
    if (clash) {
      // Reported verbatim in Azure/azure-workload-identity#434.
      return this.error(
        request,
        400,
        'InvalidFederatedIdentityCredentialValue',
        `The combination of issuer and subject must be unique for the application. Issuer ${issuer} and Subject: ${subject} already exist. paramName: FederatedIdentityCredential.Subject, paramValue: ${subject}, objectType: Microsoft.Online.DirectoryServices.Application`,
      );
    }
    if (!existing && application.federatedCredentials.size >= MAX_CREDENTIALS_PER_APPLICATION) {
      // Graph allows 20 per application (NOTES.md §5); the wording of its refusal is not published.
      return invalid(`The application already has the maximum number (${MAX_CREDENTIALS_PER_APPLICATION}) of federated identity credentials.`);
    }
    const resource: GraphFederatedIdentityCredential = {
      id: existing?.id ?? newGuid(),
      name: existing?.name ?? name,
      issuer,
      subject,
      description: typeof body.description === 'string' ? body.description : (existing?.description ?? null),
      audiences: [String(audiences[0])],
    };
    application.federatedCredentials.set(resource.name.toLowerCase(), { resource, createdAt: this.state.now() });
    if (existing) return { status: 204 };
    return this.created(resource, `applications('${application.resource.id}')/federatedIdentityCredentials/$entity`);
  }

  private findCredential(
    application: StoredApplication,
    key: { property?: string; value: string },
  ): { resource: GraphFederatedIdentityCredential } | undefined {
    if (key.property?.toLowerCase() === 'name') return application.federatedCredentials.get(key.value.toLowerCase());
    return [...application.federatedCredentials.values()].find((c) => c.resource.id.toLowerCase() === key.value.toLowerCase());
  }

  private credentialOr404(
    request: EmulatorRequest,
    application: StoredApplication,
    key: { property?: string; value: string },
  ): { resource: GraphFederatedIdentityCredential } {
    const found = this.findCredential(application, key);
    if (!found) throw this.notFound(request, key.value);
    return found;
  }

  // ---- service principals ---------------------------------------------------------------------------

  private listServicePrincipals(request: EmulatorRequest, caller: GraphCaller): EmulatorResponse {
    this.mayRead(request, caller);
    const filter = this.equalityFilter(request, ['appId', 'displayName', 'id']);
    const value = [...this.state.servicePrincipals.values()]
      .filter((p) => this.visible(p))
      .map((p) => p.resource)
      .filter((p) => !filter || String(p[filter.property as keyof typeof p] ?? '').toLowerCase() === filter.value.toLowerCase());
    return this.ok({ value }, 'servicePrincipals');
  }

  /** POST /servicePrincipals {appId}, or the create half of PATCH /servicePrincipals(appId='…'). */
  private createServicePrincipal(request: EmulatorRequest, caller: GraphCaller, appIdFromKey: string | undefined): EmulatorResponse {
    this.mayCreate(request, caller);
    const body = this.objectBody(request);
    const appId = appIdFromKey ?? (typeof body.appId === 'string' ? body.appId : '');
    if (!appId) return this.error(request, 400, 'Request_BadRequest', "Property 'appId' is required.");
    const properties = this.servicePrincipalProperties(request, body);
    const application = this.state.findApplicationByAppId(appId);
    const seen = application && this.visible(application) ? application : undefined;
    const lagAnswer = this.state.settings.recorded.servicePrincipalLagAnswer;
    if (application && !seen && appIdFromKey !== undefined && lagAnswer !== 'recorded') {
      // What the upsert by appId answers during the lag is undocumented (graph-upsert-docs-notes.json):
      // play each candidate, POST's two recorded answers and Graph's not-found.
      if (lagAnswer === 'Request_ResourceNotFound') {
        return this.error(
          request,
          404,
          'Request_ResourceNotFound',
          `Resource '${appId}' does not exist or one of its queried reference-property objects are not present.`,
        );
      }
      if (lagAnswer === 'Authorization_RequestDenied') {
        return this.error(
          request,
          403,
          'Authorization_RequestDenied',
          'When using this permission, the backing application of the service principal being created must in the local tenant.',
        );
      }
    }
    if (
      !this.has(caller, 'Application.ReadWrite.All') &&
      !seen?.owners.includes(caller.objectId) &&
      !(application && !seen && appIdFromKey !== undefined && lagAnswer === 'NoBackingApplicationObject')
    ) {
      // What an OwnedBy caller gets for an application it does not own, or that its replica lacks
      // (reported with Azure CLI, Terraform and Pulumi; Azure CLI retries it right after creating an app).
      return this.error(
        request,
        403,
        'Authorization_RequestDenied',
        'When using this permission, the backing application of the service principal being created must in the local tenant.',
      );
    }
    if (!seen) {
      return this.error(request, 400, 'Request_BadRequest', `The appId '${appId}' of the service principal does not reference a valid application object.`, {
        details: [
          {
            code: 'NoBackingApplicationObject',
            message: `The appId '${appId}' of the service principal does not reference a valid application object.`,
            target: 'appId',
          },
        ],
      });
    }
    if (this.findServicePrincipalByAppId(appId)) {
      return this.error(
        request,
        409,
        'Request_MultipleObjectsWithSameKeyValue',
        `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
      );
    }
    const resource = graphServicePrincipal(newGuid(), seen.resource, this.state.world.tenantId);
    Object.assign(resource, properties);
    this.state.addServicePrincipal(resource, seen, this.has(caller, 'Application.ReadWrite.All') ? [] : [caller.objectId]);
    return this.created(resource, 'servicePrincipals/$entity');
  }

  private servicePrincipalProperties(request: EmulatorRequest, body: Record<string, unknown>): Record<string, unknown> {
    const known = ['appId', 'accountEnabled', 'displayName', 'appRoleAssignmentRequired', 'tags'];
    const properties: Record<string, unknown> = {};
    for (const [property, value] of Object.entries(body)) {
      if (property.startsWith('@odata.')) continue;
      if (!known.includes(property)) {
        throw new Refusal(
          this.error(request, 400, 'Request_BadRequest', `Property '${property}' does not exist as a declared property or extension property.`),
        );
      }
      if (property !== 'appId') properties[property] = value;
    }
    return properties;
  }

  private findServicePrincipalByAppId(appId: string): StoredServicePrincipal | undefined {
    const wanted = appId.toLowerCase();
    return [...this.state.servicePrincipals.values()].find((p) => p.resource.appId.toLowerCase() === wanted);
  }

  // ---- authentication and permissions ----------------------------------------------------------------

  /** Graph's token checks and their answers: 401 InvalidAuthenticationToken with a WWW-Authenticate challenge. */
  private authenticate(request: EmulatorRequest): GraphCaller {
    const refuse = (message: string): Refusal =>
      new Refusal(
        this.error(request, 401, 'InvalidAuthenticationToken', message, undefined, {
          'WWW-Authenticate': `Bearer realm="", authorization_uri="${this.state.urls.login}common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"`,
        }),
      );
    const authorization = header(request, 'authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!match) throw refuse('Access token is empty.');
    this.state.noteSecret(match[1]);
    const token = decodeJwt(match[1]);
    if (!token || !this.state.entraKey.verifies(token)) throw refuse('Access token validation failure.');
    const audience = typeof token.payload.aud === 'string' ? token.payload.aud : '';
    if (!graphResources(this.state).includes(audience)) throw refuse('Access token validation failure. Invalid audience.');
    if (token.payload.iss !== `https://sts.windows.net/${this.state.world.tenantId}/`) throw refuse('Access token validation failure. Invalid issuer.');
    if (timeProblem(token.payload, epochSeconds(), 300) === 'expired') throw refuse('Lifetime validation failed, the token is expired.');
    const roles = Array.isArray(token.payload.roles) ? token.payload.roles.map(String) : [];
    const text = (value: unknown): string => (typeof value === 'string' ? value : '');
    return { objectId: text(token.payload.oid), appId: text(token.payload.appid), roles };
  }

  private has(caller: GraphCaller, permission: GraphPermission): boolean {
    return caller.roles.includes(permission);
  }

  private denied(request: EmulatorRequest): Refusal {
    return new Refusal(this.error(request, 403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.'));
  }

  private mayRead(request: EmulatorRequest, caller: GraphCaller): void {
    if (!READERS.some((p) => this.has(caller, p))) throw this.denied(request);
  }

  private mayCreate(request: EmulatorRequest, caller: GraphCaller): void {
    if (!this.has(caller, 'Application.ReadWrite.All') && !this.has(caller, 'Application.ReadWrite.OwnedBy')) throw this.denied(request);
  }

  /** ReadWrite.All writes anything; OwnedBy only what it owns (directly, or the application behind a principal). */
  private mayWrite(request: EmulatorRequest, caller: GraphCaller, owners: string[], applicationOwners: string[] = []): void {
    if (this.has(caller, 'Application.ReadWrite.All')) return;
    const owns = owners.includes(caller.objectId) || applicationOwners.includes(caller.objectId);
    if (!this.has(caller, 'Application.ReadWrite.OwnedBy') || !owns) throw this.denied(request);
  }

  // ---- replication ---------------------------------------------------------------------------------

  private visible(stored: { createdAt: number }): boolean {
    return this.state.now() >= stored.createdAt + this.state.settings.graphReplicationMs;
  }

  private visibleOr404<T extends { createdAt: number }>(request: EmulatorRequest, stored: T | undefined, key: string): T {
    if (!stored || !this.visible(stored)) throw this.notFound(request, key);
    return stored;
  }

  // ---- answers ---------------------------------------------------------------------------------------

  /** `$filter=<property> eq '<value>'`, the one form these collections need; others answer 400. */
  private equalityFilter(request: EmulatorRequest, properties: string[]): { property: string; value: string } | undefined {
    const filter = request.query.get('$filter');
    if (filter === null) return undefined;
    const match = /^\s*(\w+)\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
    const property = match && properties.find((p) => p.toLowerCase() === match[1].toLowerCase());
    if (!match || !property) throw new Refusal(this.error(request, 400, 'Request_UnsupportedQuery', 'Unsupported Query.'));
    return { property, value: match[2].replace(/''/g, "'") };
  }

  private objectBody(request: EmulatorRequest): Record<string, unknown> {
    let body: unknown;
    try {
      body = parseJsonBody(request);
    } catch {
      throw new Refusal(
        this.error(
          request,
          400,
          'BadRequest',
          'Unable to read JSON request payload. Please ensure Content-Type header is set and payload is of valid JSON format.',
        ),
      );
    }
    if (body === undefined) return {};
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Refusal(this.error(request, 400, 'BadRequest', 'Unable to read JSON request payload.'));
    }
    return body as Record<string, unknown>;
  }

  private ok(body: object, context: string): EmulatorResponse {
    return jsonResponse(
      200,
      { '@odata.context': `${this.state.urls.graph}v1.0/$metadata#${context}`, ...body },
      { 'Content-Type': JSON_ODATA, 'OData-Version': '4.0' },
    );
  }

  private created(body: object, context: string): EmulatorResponse {
    const response = this.ok(body, context);
    return { ...response, status: 201 };
  }

  private notFound(request: EmulatorRequest, key: string): Refusal {
    return new Refusal(
      this.error(
        request,
        404,
        'Request_ResourceNotFound',
        `Resource '${key}' does not exist or one of its queried reference-property objects are not present.`,
      ),
    );
  }

  private noRoute(request: EmulatorRequest): EmulatorResponse {
    return this.error(request, 400, 'BadRequest', `Resource not found for the segment '${request.pathname.split('/').pop() ?? ''}'.`);
  }

  private methodNotAllowed(request: EmulatorRequest): EmulatorResponse {
    return this.error(request, 405, 'Request_BadRequest', `Specified HTTP method is not allowed for the request uri.`);
  }

  /** Graph's error envelope (NOTES.md §8) with the innerError Graph adds. */
  private error(
    request: EmulatorRequest,
    status: number,
    code: string,
    message: string,
    extra: Record<string, unknown> = {},
    headers: Record<string, string> = {},
  ): EmulatorResponse {
    const requestId = this.requestId(request);
    return jsonResponse(
      status,
      {
        error: {
          code,
          message,
          ...extra,
          innerError: { date: new Date().toISOString().replace(/\.\d+Z$/, ''), 'request-id': requestId, 'client-request-id': requestId },
        },
      },
      { 'Content-Type': JSON_ODATA, ...headers },
    );
  }

  private requestId(request: EmulatorRequest): string {
    return this.requestIds.get(request) ?? randomUUID();
  }

  private standardHeaders(request: EmulatorRequest): Record<string, string> {
    const requestId = this.requestId(request);
    return {
      'request-id': requestId,
      'client-request-id': header(request, 'client-request-id') ?? requestId,
      'x-ms-ags-diagnostic': JSON.stringify({ ServerInfo: { DataCenter: 'West Europe', Slice: 'E', Ring: '5', ScaleUnit: '000', RoleInstance: 'emulator' } }),
      'Strict-Transport-Security': 'max-age=31536000',
      'Cache-Control': 'no-cache',
    };
  }
}

function preferCreateIfMissing(request: EmulatorRequest): boolean {
  return (header(request, 'prefer') ?? '').split(',').some((p) => p.trim().toLowerCase() === 'create-if-missing');
}

/** Splits a path on '/' outside quoted keys ('…' with '' for a quote). */
function splitPath(path: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (const ch of path.replace(/^\/+/, '')) {
    if (ch === "'") quoted = !quoted;
    if (ch === '/' && !quoted) {
      parts.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  parts.push(current);
  return parts.filter((p, i) => p !== '' || i < parts.length - 1);
}

/** `name`, `name('key')`, `name(property='key')`; undefined for anything else. */
function parseSegment(segment: string): Segment | undefined {
  const match = /^([A-Za-z][\w.]*)(?:\((?:(\w+)=)?'((?:[^']|'')*)'\))?$/.exec(segment) ?? /^([\w.-]+)$/.exec(segment);
  if (!match) return undefined;
  if (match[3] === undefined) return { name: match[1] };
  return { name: match[1], key: { property: match[2], value: match[3].replace(/''/g, "'") } };
}
