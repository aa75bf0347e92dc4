/**
 * Graph's service principals: list with $filter, create (POST {appId}), get and update by id, and the
 * upsert by appId (PATCH with Prefer: create-if-missing), with what each answers while the application
 * behind it replicates (RecordedBehaviour.servicePrincipalLagAnswer).
 */
import type { GraphAccess, GraphCaller } from './graph-access';
import { preferCreateIfMissing, Refusal, type GraphAnswers, type Segment } from './graph-answers';
import { graphServicePrincipal, type GraphServicePrincipal } from './graph-objects';
import type { EmulatorRequest, EmulatorResponse } from './http';
import type { EmulatorState } from './state';
import { newGuid } from './world';

export class ServicePrincipals {
  constructor(
    private readonly state: EmulatorState,
    private readonly answers: GraphAnswers,
    private readonly access: GraphAccess,
  ) {}

  route(request: EmulatorRequest, caller: GraphCaller, collection: Segment, more: Segment[]): EmulatorResponse {
    let key = collection.key;
    if (!key && more.length > 0 && !more[0].key) key = { value: more.shift()!.name };
    if (more.length > 0) return this.answers.noRoute(request);
    if (!key) {
      if (request.method === 'GET') return this.listServicePrincipals(request, caller);
      if (request.method === 'POST') return this.createServicePrincipal(request, caller, undefined);
      return this.answers.methodNotAllowed(request);
    }
    const byAppId = key.property?.toLowerCase() === 'appid';
    const stored = byAppId ? this.state.findServicePrincipalByAppId(key.value) : this.state.servicePrincipals.get(key.value.toLowerCase());
    if (byAppId && request.method === 'PATCH' && !stored) {
      if (!preferCreateIfMissing(request)) throw this.answers.notFound(request, key.value);
      return this.createServicePrincipal(request, caller, key.value);
    }
    switch (request.method) {
      case 'GET': {
        this.access.mayRead(request, caller);
        const managed = byAppId && !stored ? this.managedIdentity(key.value) : undefined;
        if (managed) return this.answers.ok(managed, 'servicePrincipals/$entity');
        return this.answers.ok(this.access.visibleOr404(request, stored, key.value).resource, 'servicePrincipals/$entity');
      }
      case 'PATCH': {
        // An upsert by appId reaches the copy that was written; a PATCH by id needs a replica that has it.
        const target = byAppId && stored ? stored : this.access.visibleOr404(request, stored, key.value);
        this.access.mayWrite(request, caller, target.owners, this.state.findApplicationByAppId(target.resource.appId)?.owners);
        const body = this.answers.objectBody(request);
        const patch = this.servicePrincipalProperties(request, body);
        Object.assign(target.resource, patch);
        return { status: 204 };
      }
      default:
        return this.answers.methodNotAllowed(request);
    }
  }

  /**
   * The service principal of a managed identity, as Graph shows it: servicePrincipalType ManagedIdentity,
   * its ARM id in alternativeNames beside "isExplicit=True" for a user-assigned one (docs/wire.md).
   */
  private managedIdentity(appId: string): GraphServicePrincipal | undefined {
    const principal = this.state.findPrincipalByAppId(appId);
    if (principal?.kind !== 'ManagedIdentity') return undefined;
    const resourceId = principal.managedIdentityResourceId ?? '';
    const userAssigned = /\/userAssignedIdentities\//i.test(resourceId);
    return {
      id: principal.objectId,
      deletedDateTime: null,
      accountEnabled: true,
      alternativeNames: userAssigned ? ['isExplicit=True', resourceId] : ['isExplicit=False', resourceId],
      appDisplayName: null,
      appId: principal.appId,
      appOwnerOrganizationId: null,
      appRoleAssignmentRequired: false,
      displayName: principal.displayName,
      servicePrincipalNames: [principal.appId, `https://identity.azure.net/${principal.objectId}`],
      servicePrincipalType: 'ManagedIdentity',
      signInAudience: 'AzureADMyOrg',
      tags: [],
    };
  }

  private listServicePrincipals(request: EmulatorRequest, caller: GraphCaller): EmulatorResponse {
    this.access.mayRead(request, caller);
    const filter = this.answers.equalityFilter(request, ['appId', 'displayName', 'id']);
    const value = [...this.state.servicePrincipals.values()]
      .filter((p) => this.access.visible(p))
      .map((p) => p.resource)
      .filter((p) => !filter || String(p[filter.property as keyof typeof p] ?? '').toLowerCase() === filter.value.toLowerCase());
    return this.answers.ok({ value }, 'servicePrincipals');
  }

  /** POST /servicePrincipals {appId}, or the create half of PATCH /servicePrincipals(appId='…'). */
  private createServicePrincipal(request: EmulatorRequest, caller: GraphCaller, appIdFromKey: string | undefined): EmulatorResponse {
    this.access.mayCreate(request, caller);
    const body = this.answers.objectBody(request);
    const appId = appIdFromKey ?? (typeof body.appId === 'string' ? body.appId : '');
    if (!appId) return this.answers.error(request, 400, 'Request_BadRequest', "Property 'appId' is required.");
    const properties = this.servicePrincipalProperties(request, body);
    const application = this.state.findApplicationByAppId(appId);
    const seen = application && this.access.visible(application) ? application : undefined;
    const lagAnswer = this.state.settings.recorded.servicePrincipalLagAnswer;
    if (application && !seen && appIdFromKey !== undefined && lagAnswer !== 'recorded') {
      // What the upsert by appId answers during the lag is undocumented (graph-upsert-docs-notes.json):
      // play each candidate, POST's two recorded answers and Graph's not-found.
      if (lagAnswer === 'Request_ResourceNotFound') {
        return this.answers.error(
          request,
          404,
          'Request_ResourceNotFound',
          `Resource '${appId}' does not exist or one of its queried reference-property objects are not present.`,
        );
      }
      if (lagAnswer === 'Authorization_RequestDenied') {
        return this.answers.error(
          request,
          403,
          'Authorization_RequestDenied',
          'When using this permission, the backing application of the service principal being created must in the local tenant.',
        );
      }
    }
    if (
      !this.access.has(caller, 'Application.ReadWrite.All') &&
      !seen?.owners.includes(caller.objectId) &&
      !(application && !seen && appIdFromKey !== undefined && lagAnswer === 'NoBackingApplicationObject')
    ) {
      // What an OwnedBy caller gets for an application it does not own, or that its replica lacks
      // (reported with Azure CLI, Terraform and Pulumi; Azure CLI retries it right after creating an app).
      return this.answers.error(
        request,
        403,
        'Authorization_RequestDenied',
        'When using this permission, the backing application of the service principal being created must in the local tenant.',
      );
    }
    if (!seen) {
      return this.answers.error(
        request,
        400,
        'Request_BadRequest',
        `The appId '${appId}' of the service principal does not reference a valid application object.`,
        {
          details: [
            {
              code: 'NoBackingApplicationObject',
              message: `The appId '${appId}' of the service principal does not reference a valid application object.`,
              target: 'appId',
            },
          ],
        },
      );
    }
    if (this.state.findServicePrincipalByAppId(appId)) {
      return this.answers.error(
        request,
        409,
        'Request_MultipleObjectsWithSameKeyValue',
        `The service principal cannot be created, updated, or restored because the service principal name ${appId} is already in use.`,
      );
    }
    const resource = graphServicePrincipal(newGuid(), seen.resource, this.state.world.tenantId);
    Object.assign(resource, properties);
    this.state.addServicePrincipal(resource, seen, this.access.has(caller, 'Application.ReadWrite.All') ? [] : [caller.objectId]);
    return this.answers.created(resource, 'servicePrincipals/$entity');
  }

  private servicePrincipalProperties(request: EmulatorRequest, body: Record<string, unknown>): Record<string, unknown> {
    const known = ['appId', 'accountEnabled', 'displayName', 'appRoleAssignmentRequired', 'tags'];
    const properties: Record<string, unknown> = {};
    for (const [property, value] of Object.entries(body)) {
      if (property.startsWith('@odata.')) continue;
      if (!known.includes(property)) {
        throw new Refusal(
          this.answers.error(request, 400, 'Request_BadRequest', `Property '${property}' does not exist as a declared property or extension property.`),
        );
      }
      if (property !== 'appId') properties[property] = value;
    }
    return properties;
  }
}
