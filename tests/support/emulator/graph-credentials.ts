/**
 * The federated identity credentials of a Graph application: list (paged under the page-size knob),
 * create, get, the upsert by name (PATCH with Prefer: create-if-missing) and delete, with Graph's
 * validation of names, issuers, subjects and audiences and its limit of 20 per application.
 */
import type { GraphAccess, GraphCaller } from './graph-access';
import { preferCreateIfMissing, type GraphAnswers, type Segment, type SegmentKey } from './graph-answers';
import type { GraphFederatedIdentityCredential, StoredApplication } from './graph-objects';
import type { EmulatorRequest, EmulatorResponse } from './http';
import type { EmulatorState } from './state';
import { newGuid } from './world';

const MAX_CREDENTIALS_PER_APPLICATION = 20;
/** "Up to 120 characters, must be URL-friendly" (NOTES.md §5). */
const CREDENTIAL_NAME = /^[A-Za-z0-9][A-Za-z0-9._~-]{0,119}$/;
const CREDENTIAL_FIELD_MAX = 600;

export class FederatedCredentials {
  constructor(
    private readonly state: EmulatorState,
    private readonly answers: GraphAnswers,
    private readonly access: GraphAccess,
  ) {}

  /** …/federatedIdentityCredentials and …/federatedIdentityCredentials/{id} or (name='…') of one application. */
  route(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication, child: Segment, grandchild: Segment | undefined): EmulatorResponse {
    let credentialKey = child.key;
    if (!credentialKey && grandchild && !grandchild.key) credentialKey = { value: grandchild.name };
    else if (grandchild) return this.answers.noRoute(request);
    if (!credentialKey) {
      if (request.method === 'GET') return this.listCredentials(request, caller, application);
      if (request.method === 'POST') return this.createCredential(request, caller, application);
      return this.answers.methodNotAllowed(request);
    }
    switch (request.method) {
      case 'GET':
        this.access.mayRead(request, caller);
        return this.answers.ok(this.credentialOr404(request, application, credentialKey).resource, 'federatedIdentityCredentials/$entity');
      case 'PATCH':
        return this.upsertCredential(request, caller, application, credentialKey);
      case 'DELETE': {
        this.access.mayWrite(request, caller, application.owners);
        const credential = this.credentialOr404(request, application, credentialKey);
        application.federatedCredentials.delete(credential.resource.name.toLowerCase());
        return { status: 204 };
      }
      default:
        return this.answers.methodNotAllowed(request);
    }
  }

  private listCredentials(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication): EmulatorResponse {
    this.access.mayRead(request, caller);
    const filter = this.answers.equalityFilter(request, ['name', 'subject', 'issuer']);
    const value = [...application.federatedCredentials.values()]
      .map((c) => c.resource)
      .filter((c) => !filter || c[filter.property as 'name' | 'subject' | 'issuer'] === filter.value);
    // Pages with @odata.nextLink under the page-size knob (Graph pages every collection: https://learn.microsoft.com/graph/paging).
    const pageSize = this.state.settings.recorded.pageSize;
    const start = Number(request.query.get('$skiptoken') ?? '0') || 0;
    const context = `applications('${application.resource.id}')/federatedIdentityCredentials`;
    if (!pageSize || value.length - start <= pageSize) return this.answers.ok({ value: value.slice(start) }, context);
    const query = new URLSearchParams(request.query);
    query.set('$skiptoken', String(start + pageSize));
    const nextLink = `${this.state.urls.graph.replace(/\/$/, '')}${request.pathname}?${query.toString()}`;
    return this.answers.ok({ value: value.slice(start, start + pageSize), '@odata.nextLink': nextLink }, context);
  }

  private createCredential(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication): EmulatorResponse {
    this.access.mayWrite(request, caller, application.owners);
    const body = this.answers.objectBody(request);
    const name = typeof body.name === 'string' ? body.name : '';
    if (application.federatedCredentials.has(name.toLowerCase())) {
      return this.answers.error(request, 409, 'Request_MultipleObjectsWithSameKeyValue', `FederatedIdentityCredential with name ${name} already exists.`);
    }
    return this.writeCredential(request, application, name, body, undefined);
  }

  /** PATCH …/federatedIdentityCredentials(name='…'): 201 when created (Prefer: create-if-missing), 204 when it existed. */
  private upsertCredential(request: EmulatorRequest, caller: GraphCaller, application: StoredApplication, key: SegmentKey): EmulatorResponse {
    this.access.mayWrite(request, caller, application.owners);
    const body = this.answers.objectBody(request);
    const existing = this.findCredential(application, key);
    if (existing) return this.writeCredential(request, application, existing.resource.name, { ...existing.resource, ...body }, existing.resource);
    if (key.property?.toLowerCase() !== 'name' || !preferCreateIfMissing(request)) throw this.answers.notFound(request, key.value);
    return this.writeCredential(request, application, key.value, body, undefined);
  }

  private writeCredential(
    request: EmulatorRequest,
    application: StoredApplication,
    name: string,
    body: Record<string, unknown>,
    existing: GraphFederatedIdentityCredential | undefined,
  ): EmulatorResponse {
    const invalid = (message: string): EmulatorResponse => this.answers.error(request, 400, 'Request_BadRequest', message);
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
      return this.answers.error(
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
    return this.answers.created(resource, `applications('${application.resource.id}')/federatedIdentityCredentials/$entity`);
  }

  private findCredential(application: StoredApplication, key: SegmentKey): { resource: GraphFederatedIdentityCredential } | undefined {
    if (key.property?.toLowerCase() === 'name') return application.federatedCredentials.get(key.value.toLowerCase());
    return [...application.federatedCredentials.values()].find((c) => c.resource.id.toLowerCase() === key.value.toLowerCase());
  }

  private credentialOr404(request: EmulatorRequest, application: StoredApplication, key: SegmentKey): { resource: GraphFederatedIdentityCredential } {
    const found = this.findCredential(application, key);
    if (!found) throw this.answers.notFound(request, key.value);
    return found;
  }
}
