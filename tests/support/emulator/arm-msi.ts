/**
 * Microsoft.ManagedIdentity: user-assigned identities and their federated identity credentials
 * (tests/fixtures/contracts/arm-msi-2024-11-30). Creating an identity creates its service principal in the
 * directory, which Entra knows at once and role assignments see only after the replication window.
 *
 * Errors follow Microsoft's list for federated identity credentials
 * (azure-docs articles/active-directory/develop/workload-identity-federation-considerations.md, "Errors")
 * and the 409 ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity message reported in
 * Azure/bicep-registry-modules#1447.
 */
import { armError, armPage, checkApiVersion, resourceGroupNotFound, type ArmCaller, type ArmGate } from './arm-common';
import { Rejection, jsonResponse, matchPath, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { newGuid } from './world';
import { type EmulatorState } from './state';
import { type FederatedIdentityCredentialResource, type UserAssignedIdentityResource } from './arm-resources';

export const IDENTITY_API_VERSIONS = [
  '2015-08-31-preview',
  '2018-11-30',
  '2021-09-30-preview',
  '2022-01-31-preview',
  '2023-01-31',
  '2023-07-31-preview',
  '2024-11-30',
  '2025-01-31-preview',
];
/** Federated identity credentials exist from 2022-01-31-preview on. */
const CREDENTIAL_API_VERSIONS = IDENTITY_API_VERSIONS.slice(IDENTITY_API_VERSIONS.indexOf('2022-01-31-preview'));

/** Azure naming rules for userAssignedIdentities: 3-128, alphanumerics, hyphens, underscores, start alphanumeric. */
const IDENTITY_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{2,127}$/;
/** Pattern from the 2024-11-30 spec (federatedIdentityCredentialResourceName). */
const CREDENTIAL_NAME = /^[a-zA-Z0-9]{1}[a-zA-Z0-9-_]{2,119}$/;
const MAX_CREDENTIALS_PER_IDENTITY = 20;

/** Regions with user-assigned identities, by display name as the providers API lists them. */
export const REGION_DISPLAY_NAMES = [
  'West Europe',
  'North Europe',
  'UK South',
  'UK West',
  'France Central',
  'Germany West Central',
  'Sweden Central',
  'Norway East',
  'Switzerland North',
  'East US',
  'East US 2',
  'West US',
  'West US 2',
  'West US 3',
  'Central US',
  'North Central US',
  'South Central US',
  'Canada Central',
  'Brazil South',
  'Australia East',
  'Southeast Asia',
  'East Asia',
  'Japan East',
  'Korea Central',
  'Central India',
  'South Africa North',
  'UAE North',
];
/** The same regions by name ('West Europe' is westeurope), the form resources carry. */
const REGIONS = REGION_DISPLAY_NAMES.map((display) => display.replace(/\s+/g, '').toLowerCase());

const IDENTITY_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities';
const CREDENTIAL_TYPE = 'Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials';

export class ManagedIdentityProvider {
  /** Identity ids (lower-cased) with a federated credential write in flight. */
  private readonly credentialWritesInFlight = new Set<string>();

  constructor(
    private readonly state: EmulatorState,
    private readonly arm: ArmGate,
  ) {}

  /**
   * The cloud's api-versions for the type (the recorded behaviour's managedIdentityApiVersions, else the
   * public cloud's). A version the cloud lacks answers 400 NoRegisteredProviderFound listing what it supports,
   * as AzureUSGovernment and AzureChinaCloud did (tests/fixtures/recordings/arm-msi-identity-put-sovereign-apiversion.json).
   */
  private checkVersion(request: EmulatorRequest, known: readonly string[], type: string): EmulatorResponse | undefined {
    const cloudVersions = this.state.settings.recorded.managedIdentityApiVersions;
    const supported = cloudVersions ? known.filter((v) => cloudVersions.includes(v)) : known;
    const version = request.query.get('api-version');
    if (!cloudVersions || !version || supported.includes(version)) return checkApiVersion(request, supported, REGIONS.join(','));
    return armError(
      400,
      'NoRegisteredProviderFound',
      `No registered resource provider found for location '${REGIONS[0]}' and API version '${version}' for type '${type}'. The supported api-versions are '${supported.join(', ')}'. The supported locations are '${REGIONS.join(', ')}'.`,
    );
  }

  async handle(request: EmulatorRequest, caller: ArmCaller, path: string): Promise<EmulatorResponse> {
    const base = '/subscriptions/:s/resourcegroups/:rg/providers/microsoft.managedidentity/userassignedidentities';
    let p: Record<string, string> | undefined;
    if ((p = matchPath(`${base}/:name/federatedidentitycredentials/:fic`, path))) return this.credential(request, caller, path, p.rg, p.name, p.fic);
    if ((p = matchPath(`${base}/:name/federatedidentitycredentials`, path)) && request.method === 'GET')
      return this.listCredentials(request, caller, path, p.rg, p.name);
    if ((p = matchPath(`${base}/:name`, path))) return this.identity(request, caller, path, p.rg, p.name);
    if ((p = matchPath(base, path)) && request.method === 'GET') return this.listIdentities(request, caller, path, p.rg);
    if (matchPath('/subscriptions/:s/providers/microsoft.managedidentity/userassignedidentities', path) && request.method === 'GET') {
      return this.listIdentities(request, caller, path, undefined);
    }
    return this.arm.noRoute(request);
  }

  private identityId(resourceGroup: string, name: string): string {
    // ARM answers with a lower-case 'resourcegroups' segment here
    // (tests/fixtures/contracts/arm-msi-2024-11-30/examples/IdentityCreate.json).
    return `/subscriptions/${this.state.subscription.id}/resourcegroups/${resourceGroup}/providers/${IDENTITY_TYPE}/${name}`;
  }

  private findIdentity(resourceGroup: string, name: string): UserAssignedIdentityResource | undefined {
    return this.state.identities.get(this.identityId(resourceGroup, name).toLowerCase());
  }

  private async identity(request: EmulatorRequest, caller: ArmCaller, path: string, rgName: string, name: string): Promise<EmulatorResponse> {
    const action = { GET: 'read', PUT: 'write', PATCH: 'write', DELETE: 'delete' }[request.method];
    if (!action) return this.arm.noRoute(request);
    const denied = this.arm.authorize(caller, `${IDENTITY_TYPE}/${action}`, path);
    if (denied) return denied;
    const badVersion = this.checkVersion(request, IDENTITY_API_VERSIONS, 'userAssignedIdentities');
    if (badVersion) return badVersion;
    const rg = this.state.findResourceGroup(rgName);
    if (!rg) return resourceGroupNotFound(rgName);
    const existing = this.findIdentity(rg.name, name);

    switch (request.method) {
      case 'GET':
        return existing ? jsonResponse(200, existing) : notFound(IDENTITY_TYPE, name, rg.name);
      case 'DELETE':
        if (!existing) return { status: 204 };
        this.deleteIdentity(existing);
        return { status: 200 };
      case 'PATCH':
        return existing ? this.patchIdentity(request, existing) : notFound(IDENTITY_TYPE, name, rg.name);
      default:
        return this.putIdentity(request, rg.name, name, existing);
    }
  }

  private putIdentity(request: EmulatorRequest, rgName: string, name: string, existing: UserAssignedIdentityResource | undefined): EmulatorResponse {
    if (!IDENTITY_NAME.test(name)) {
      return armError(
        400,
        'InvalidResourceName',
        `Resource name '${name}' is invalid. The name can be between 3 and 128 characters long, must start with a letter or number, and can contain only letters, numbers, underscores and hyphens.`,
      );
    }
    const body = readObject(request);
    if (body instanceof Rejection) return body.response;
    if (typeof body.location !== 'string' || body.location.trim() === '') {
      return armError(400, 'LocationRequired', 'The location property is required for this definition.');
    }
    const location = body.location.replace(/\s+/g, '').toLowerCase();
    if (!REGIONS.includes(location)) {
      return armError(
        400,
        'LocationNotAvailableForResourceType',
        `The provided location '${body.location}' is not available for resource type '${IDENTITY_TYPE}'. List of available regions for the resource type is '${REGIONS.join(',')}'.`,
      );
    }
    const tags = readTags(body.tags);
    if (existing) {
      if (existing.location !== location) {
        return armError(
          400,
          'InvalidResourceLocation',
          `The resource '${existing.name}' already exists in location '${existing.location}' in resource group '${rgName}'. A resource with the same name cannot be created in location '${location}'. Please select a new resource name.`,
        );
      }
      existing.tags = tags ?? existing.tags;
      return jsonResponse(200, existing);
    }

    const id = this.identityId(rgName, name);
    const principalId = newGuid();
    const clientId = newGuid();
    const properties = isObject(body.properties) ? body.properties : {};
    const identity: UserAssignedIdentityResource = {
      id,
      name,
      type: IDENTITY_TYPE,
      location,
      tags: tags ?? {},
      properties: {
        tenantId: this.state.world.tenantId,
        principalId,
        clientId,
        isolationScope: properties.isolationScope === 'Regional' ? 'Regional' : 'None',
      },
    };
    this.state.identities.set(id.toLowerCase(), identity);
    this.state.principals.set(principalId, {
      objectId: principalId,
      appId: clientId,
      displayName: name,
      kind: 'ManagedIdentity',
      createdAt: this.state.now(),
      secrets: [],
      managedIdentityResourceId: id,
    });
    return jsonResponse(201, identity);
  }

  private patchIdentity(request: EmulatorRequest, existing: UserAssignedIdentityResource): EmulatorResponse {
    const body = readObject(request);
    if (body instanceof Rejection) return body.response;
    const tags = readTags(body.tags);
    if (tags) existing.tags = tags;
    return jsonResponse(200, existing);
  }

  private deleteIdentity(identity: UserAssignedIdentityResource): void {
    this.state.identities.delete(identity.id.toLowerCase());
    this.state.federatedCredentials.delete(identity.id.toLowerCase());
    // Role assignments stay behind, orphaned ("Identity not found"), as in Azure.
    this.state.principals.delete(identity.properties.principalId);
  }

  private listIdentities(request: EmulatorRequest, caller: ArmCaller, path: string, rgName: string | undefined): EmulatorResponse {
    const denied = this.arm.authorize(caller, `${IDENTITY_TYPE}/read`, path);
    if (denied) return denied;
    const badVersion = this.checkVersion(request, IDENTITY_API_VERSIONS, 'userAssignedIdentities');
    if (badVersion) return badVersion;
    if (rgName && !this.state.findResourceGroup(rgName)) return resourceGroupNotFound(rgName);
    const prefix = rgName ? this.identityId(rgName, '').toLowerCase() : '';
    const value = [...this.state.identities.values()].filter((i) => i.id.toLowerCase().startsWith(prefix));
    return jsonResponse(200, { value });
  }

  private listCredentials(request: EmulatorRequest, caller: ArmCaller, path: string, rgName: string, name: string): EmulatorResponse {
    const denied = this.arm.authorize(caller, `${CREDENTIAL_TYPE}/read`, path);
    if (denied) return denied;
    const badVersion = this.checkVersion(request, CREDENTIAL_API_VERSIONS, 'userAssignedIdentities/federatedIdentityCredentials');
    if (badVersion) return badVersion;
    if (!this.state.findResourceGroup(rgName)) return resourceGroupNotFound(rgName);
    const identity = this.findIdentity(rgName, name);
    if (!identity) return parentNotFound(name);
    const byName = this.state.federatedCredentials.get(identity.id.toLowerCase());
    return armPage(request, this.state.urls.arm, this.state.settings.recorded.pageSize, byName ? [...byName.values()].map((c) => c.resource) : []);
  }

  private async credential(
    request: EmulatorRequest,
    caller: ArmCaller,
    path: string,
    rgName: string,
    name: string,
    ficName: string,
  ): Promise<EmulatorResponse> {
    const action = { GET: 'read', PUT: 'write', DELETE: 'delete' }[request.method];
    if (!action) return this.arm.noRoute(request);
    const denied = this.arm.authorize(caller, `${CREDENTIAL_TYPE}/${action}`, path);
    if (denied) return denied;
    const badVersion = this.checkVersion(request, CREDENTIAL_API_VERSIONS, 'userAssignedIdentities/federatedIdentityCredentials');
    if (badVersion) return badVersion;
    const rg = this.state.findResourceGroup(rgName);
    if (!rg) return resourceGroupNotFound(rgName);
    const identity = this.findIdentity(rg.name, name);
    if (!identity) return parentNotFound(name);
    const key = identity.id.toLowerCase();
    const existing = this.state.federatedCredentials.get(key)?.get(ficName.toLowerCase());

    if (request.method === 'GET') {
      return existing ? jsonResponse(200, existing.resource) : notFound(`${IDENTITY_TYPE}/${identity.name}/federatedIdentityCredentials`, ficName, rg.name);
    }
    if (request.method === 'PUT') {
      if (!CREDENTIAL_NAME.test(ficName)) return armError(400, 'BadRequest', `Federated Identity Credential name '${ficName}' is invalid.`);
      const properties = validateCredentialBody(request);
      if (properties instanceof Rejection) return properties.response;
      return this.writeCredential(identity, key, () => this.putCredential(identity, key, ficName, properties));
    }
    if (!existing) return { status: 204 };
    return this.writeCredential(identity, key, () => {
      this.state.federatedCredentials.get(key)?.delete(ficName.toLowerCase());
      return { status: 200 };
    });
  }

  /**
   * Azure refuses concurrent credential writes under one identity. Each write holds the identity for
   * ficWriteWindowMs, so writes that overlap in time really collide, as they do in Azure.
   */
  private async writeCredential(identity: UserAssignedIdentityResource, key: string, write: () => EmulatorResponse): Promise<EmulatorResponse> {
    if (this.credentialWritesInFlight.has(key)) {
      return armError(
        409,
        'ConcurrentFederatedIdentityCredentialsWritesForSingleManagedIdentity',
        `Too many Federated Identity Credentials are written concurrently for the managed identity '${concurrencyId(identity.id)}'. Concurrent Federated Identity Credentials writes under the same managed identity are not supported.`,
      );
    }
    this.credentialWritesInFlight.add(key);
    try {
      await this.state.settings.clock.sleep(this.state.settings.ficWriteWindowMs);
      return write();
    } finally {
      this.credentialWritesInFlight.delete(key);
    }
  }

  private putCredential(identity: UserAssignedIdentityResource, key: string, ficName: string, properties: CredentialProperties): EmulatorResponse {
    let byName = this.state.federatedCredentials.get(key);
    if (!byName) this.state.federatedCredentials.set(key, (byName = new Map<string, { resource: FederatedIdentityCredentialResource; createdAt: number }>()));
    const existing = byName.get(ficName.toLowerCase());
    const clash = [...byName.values()].find(
      (c) => c !== existing && c.resource.properties.issuer === properties.issuer && c.resource.properties.subject === properties.subject,
    );
    if (clash) {
      // Status 400 per Microsoft's error table; the code is "Conflict" in observed responses
      // ("Conflict: Issuer and subject combination already exists for this Managed Identity.").
      return armError(400, 'Conflict', 'Issuer and subject combination already exists for this Managed Identity.');
    }
    if (!existing && byName.size >= MAX_CREDENTIALS_PER_IDENTITY) {
      return armError(
        400,
        'BadRequest',
        `Too many Federated Identity Credentials. A maximum of ${MAX_CREDENTIALS_PER_IDENTITY} federated identity credentials can be added to a user-assigned managed identity.`,
      );
    }
    const resource: FederatedIdentityCredentialResource = {
      id: `${identity.id}/federatedIdentityCredentials/${existing?.resource.name ?? ficName}`,
      name: existing?.resource.name ?? ficName,
      type: CREDENTIAL_TYPE,
      properties,
    };
    // Changing issuer or subject re-creates the trust; it then propagates like a new credential.
    const unchanged = existing && existing.resource.properties.issuer === properties.issuer && existing.resource.properties.subject === properties.subject;
    byName.set(ficName.toLowerCase(), { resource, createdAt: unchanged ? existing.createdAt : this.state.now() });
    return jsonResponse(existing ? 200 : 201, resource);
  }
}

interface CredentialProperties {
  issuer: string;
  subject: string;
  audiences: string[];
}

function validateCredentialBody(request: EmulatorRequest): CredentialProperties | Rejection {
  const body = readObject(request);
  if (body instanceof Rejection) return body;
  const properties = body.properties;
  if (!isObject(properties) || Object.keys(properties).length === 0) {
    return new Rejection(armError(400, 'BadRequest', 'Federated Identity Credential from HTTP body has empty properties'));
  }
  const { issuer, subject, audiences } = properties;
  if (typeof issuer !== 'string' || !issuer || typeof subject !== 'string' || !subject || !Array.isArray(audiences)) {
    return new Rejection(
      armError(400, 'BadRequest', "The request format was unexpected. Federated Identity Credential must specify 'issuer', 'subject' and 'audience'."),
    );
  }
  if (audiences.length !== 1 || typeof audiences[0] !== 'string') {
    return new Rejection(armError(400, 'BadRequest', 'Federated identity credentials must have exactly 1 audience.'));
  }
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    issuerUrl = undefined;
  }
  if (!issuerUrl || issuerUrl.protocol !== 'https:') {
    return new Rejection(armError(400, 'BadRequest', `The issuer '${issuer}' of a Federated Identity Credential must be a valid https URL.`));
  }
  return { issuer, subject, audiences: [audiences[0]] };
}

function readObject(request: EmulatorRequest): Record<string, unknown> | Rejection {
  let body: unknown;
  try {
    body = parseJsonBody(request);
  } catch (error) {
    return new Rejection(
      armError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`,
      ),
    );
  }
  if (!isObject(body))
    return new Rejection(
      armError(400, 'InvalidRequestContent', "The request content was invalid and could not be deserialized: 'The request body must be a JSON object.'."),
    );
  return body;
}

function readTags(tags: unknown): Record<string, string> | undefined {
  if (!isObject(tags)) return undefined;
  return Object.fromEntries(Object.entries(tags).map(([k, v]) => [k, String(v)]));
}

function notFound(type: string, name: string, resourceGroup: string): EmulatorResponse {
  return armError(
    404,
    'ResourceNotFound',
    `The Resource '${type}/${name}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
  );
}

function parentNotFound(identityName: string): EmulatorResponse {
  return armError(404, 'ParentResourceNotFound', `Can not perform requested operation on nested resource. Parent resource '${identityName}' not found.`);
}

/** The id as the 409 message prints it: provider segments lower-cased, names as given. */
function concurrencyId(identityId: string): string {
  return identityId.replace(
    /\/providers\/Microsoft\.ManagedIdentity\/userAssignedIdentities\//,
    '/providers/microsoft.managedidentity/userassignedidentities/',
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
