/**
 * Graph's applications: list with $filter, create, get, update and delete by id or alternate key, and the
 * upsert by uniqueName (PATCH with Prefer: create-if-missing). Their federated identity credentials are
 * graph-credentials.ts's.
 */
import { GraphAccess, type GraphCaller } from './graph-access';
import { GraphAnswers, preferCreateIfMissing, Refusal, type Segment, type SegmentKey } from './graph-answers';
import { FederatedCredentials } from './graph-credentials';
import { graphApplication, type StoredApplication } from './graph-objects';
import type { EmulatorRequest, EmulatorResponse } from './http';
import type { EmulatorState } from './state';
import { newGuid } from './world';

const SIGN_IN_AUDIENCES = ['AzureADMyOrg', 'AzureADMultipleOrgs', 'AzureADandPersonalMicrosoftAccount', 'PersonalMicrosoftAccount'];
/** Graph's default for an application created without signInAudience (the create sample in NOTES.md §1). */
const DEFAULT_SIGN_IN_AUDIENCE = 'AzureADandPersonalMicrosoftAccount';

export class Applications {
  private readonly credentials: FederatedCredentials;

  constructor(
    private readonly state: EmulatorState,
    private readonly answers: GraphAnswers,
    private readonly access: GraphAccess,
  ) {
    this.credentials = new FederatedCredentials(state, answers, access);
  }

  route(request: EmulatorRequest, caller: GraphCaller, collection: Segment, more: Segment[]): EmulatorResponse {
    // /applications/{id} and /applications({key}) address one application.
    let key = collection.key;
    if (!key && more.length > 0 && !more[0].key) key = { value: more.shift()!.name };
    if (!key) {
      if (more.length > 0) return this.answers.noRoute(request);
      if (request.method === 'GET') return this.listApplications(request, caller);
      if (request.method === 'POST') return this.createApplication(request, caller, undefined);
      return this.answers.methodNotAllowed(request);
    }
    const [child, grandchild, ...extra] = more;
    if (!child) {
      if (key.property?.toLowerCase() === 'uniquename' && request.method === 'PATCH') return this.upsertApplication(request, caller, key.value);
      const application = this.findApplication(request, key);
      switch (request.method) {
        case 'GET': {
          this.access.mayRead(request, caller);
          const found = this.access.visibleOr404(request, application, key.value);
          // $expand=federatedIdentityCredentials (the application resource: "Supports $expand"); $select is not applied.
          const expand = /federatedIdentityCredentials/i.test(request.query.get('$expand') ?? '');
          const body = expand
            ? { ...found.resource, federatedIdentityCredentials: [...found.federatedCredentials.values()].map((c) => c.resource) }
            : found.resource;
          return this.answers.ok(body, 'applications/$entity');
        }
        case 'PATCH':
          return this.updateApplication(request, caller, this.access.visibleOr404(request, application, key.value));
        case 'DELETE':
          return this.deleteApplication(request, caller, this.access.visibleOr404(request, application, key.value));
        default:
          return this.answers.methodNotAllowed(request);
      }
    }
    if (child.name.toLowerCase() !== 'federatedidentitycredentials' || extra.length > 0) return this.answers.noRoute(request);
    const application = this.access.visibleOr404(request, this.findApplication(request, key), key.value);
    return this.credentials.route(request, caller, application, child, grandchild);
  }

  private listApplications(request: EmulatorRequest, caller: GraphCaller): EmulatorResponse {
    this.access.mayRead(request, caller);
    const filter = this.answers.equalityFilter(request, ['displayName', 'appId', 'uniqueName', 'id']);
    const value = [...this.state.applications.values()]
      .filter((a) => this.access.visible(a))
      .map((a) => a.resource)
      .filter((a) => !filter || String(a[filter.property as keyof typeof a] ?? '').toLowerCase() === filter.value.toLowerCase());
    return this.answers.ok({ value }, 'applications');
  }

  private createApplication(request: EmulatorRequest, caller: GraphCaller, uniqueName: string | undefined): EmulatorResponse {
    this.access.mayCreate(request, caller);
    const body = this.answers.objectBody(request);
    const properties = this.applicationProperties(request, body, uniqueName === undefined);
    if (typeof properties.displayName !== 'string' || properties.displayName.trim() === '') {
      return this.answers.error(request, 400, 'Request_BadRequest', "Property 'displayName' is required and must not be empty.");
    }
    const name = uniqueName ?? (typeof properties.uniqueName === 'string' ? properties.uniqueName : null);
    if (name !== null && (this.findApplicationByUniqueName(name) || this.deletedWithUniqueName(name))) {
      return this.answers.error(
        request,
        409,
        'Request_MultipleObjectsWithSameKeyValue',
        `Another object with the same value for property uniqueName already exists.`,
      );
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
      owners: this.access.has(caller, 'Application.ReadWrite.All') ? [] : [caller.objectId],
      createdAt,
      federatedCredentials: new Map(),
    };
    for (const field of ['description', 'notes', 'tags'] as const) {
      if (properties[field] !== undefined) Object.assign(stored.resource, { [field]: properties[field] });
    }
    this.state.applications.set(stored.resource.id, stored);
    return this.answers.created(stored.resource, 'applications/$entity');
  }

  /** PATCH /applications(uniqueName='…'): 201 when created (Prefer: create-if-missing), 204 when it existed. */
  private upsertApplication(request: EmulatorRequest, caller: GraphCaller, uniqueName: string): EmulatorResponse {
    const existing = this.findApplicationByUniqueName(uniqueName);
    if (!existing) {
      if (!preferCreateIfMissing(request)) throw this.answers.notFound(request, uniqueName);
      return this.createApplication(request, caller, uniqueName);
    }
    return this.updateApplication(request, caller, existing);
  }

  private updateApplication(request: EmulatorRequest, caller: GraphCaller, stored: StoredApplication): EmulatorResponse {
    this.access.mayWrite(request, caller, stored.owners);
    const body = this.answers.objectBody(request);
    const properties = this.applicationProperties(request, body, false);
    if (properties.displayName !== undefined && (typeof properties.displayName !== 'string' || properties.displayName.trim() === '')) {
      return this.answers.error(request, 400, 'Request_BadRequest', "Property 'displayName' must not be empty.");
    }
    Object.assign(stored.resource, properties);
    return { status: 204 };
  }

  private deleteApplication(request: EmulatorRequest, caller: GraphCaller, stored: StoredApplication): EmulatorResponse {
    this.access.mayWrite(request, caller, stored.owners);
    this.state.applications.delete(stored.resource.id.toLowerCase());
    // "When deleted, apps are moved to a temporary container and can be restored within 30 days" (Microsoft
    // Graph, Delete application); the deleted object keeps its unique values taken (docs/wire.md, "Removal").
    stored.resource.deletedDateTime = new Date(this.state.now()).toISOString() as never;
    this.state.deletedApplications.set(stored.resource.id.toLowerCase(), stored);
    // Deleting an application removes its service principal in its home tenant.
    const principal = this.state.findServicePrincipalByAppId(stored.resource.appId);
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
          this.answers.error(request, 400, 'Request_BadRequest', `Property '${property}' does not exist as a declared property or extension property.`),
        );
      }
    }
    if (body.uniqueName !== undefined && !uniqueNameAllowed) {
      throw new Refusal(this.answers.error(request, 400, 'Request_BadRequest', "Property 'uniqueName' is read-only and cannot be set."));
    }
    if (body.signInAudience !== undefined && (typeof body.signInAudience !== 'string' || !SIGN_IN_AUDIENCES.includes(body.signInAudience))) {
      throw new Refusal(
        this.answers.error(request, 400, 'Request_BadRequest', `Invalid value specified for property 'signInAudience' of resource 'Application'.`),
      );
    }
    const { uniqueName: _unique, ...rest } = body;
    return uniqueNameAllowed ? body : rest;
  }

  private findApplication(request: EmulatorRequest, key: SegmentKey): StoredApplication | undefined {
    switch (key.property?.toLowerCase()) {
      case undefined:
        return this.state.applications.get(key.value.toLowerCase());
      case 'appid':
        return this.state.findApplicationByAppId(key.value);
      case 'uniquename':
        return this.findApplicationByUniqueName(key.value);
      default:
        throw new Refusal(this.answers.error(request, 400, 'BadRequest', `'${key.property}' is not an alternate key of applications.`));
    }
  }

  private findApplicationByUniqueName(uniqueName: string): StoredApplication | undefined {
    const wanted = uniqueName.toLowerCase();
    return [...this.state.applications.values()].find((a) => a.resource.uniqueName?.toLowerCase() === wanted);
  }

  /** A deleted application still holds its uniqueName until it is deleted for good (30 days). */
  private deletedWithUniqueName(uniqueName: string): StoredApplication | undefined {
    const wanted = uniqueName.toLowerCase();
    return [...this.state.deletedApplications.values()].find((a) => a.resource.uniqueName?.toLowerCase() === wanted);
  }
}
