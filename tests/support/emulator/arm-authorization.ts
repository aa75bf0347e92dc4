/**
 * Microsoft.Authorization 2022-04-01: built-in and custom role definitions and role assignments at any
 * scope, management groups included (tests/fixtures/contracts/arm-authorization-2022-04-01). A custom role is
 * visible, and assignable, at and below its assignableScopes. Role assignment rules as Azure enforces them:
 * - the name is a GUID (InvalidRoleAssignmentId);
 * - the principal must exist; without principalType ARM looks it up in a replica that lags behind the
 *   directory, so a principal created moments ago is PrincipalNotFound until it replicates
 *   (https://aka.ms/docs-principaltype); some tenants do so even with principalType (the
 *   principalTypeSkipsReplication knob, docs/wire.md);
 * - one assignment per (principal, role, scope): another name answers 409 RoleAssignmentExists;
 * - a name cannot be re-pointed at another principal, role or scope (RoleAssignmentUpdateNotPermitted);
 *   re-sending the identical assignment under its own name is idempotent, which is what makes
 *   deterministic names (Bicep's guid(scope, principal, role)) safe to redeploy.
 */
import { armError, armPage, checkApiVersion, isWithinScope, resourceGroupNotFound, type ArmCaller, type ArmGate } from './arm-common';
import { jsonResponse, parseJsonBody, type EmulatorRequest, type EmulatorResponse } from './http';
import { roleDefinitionResource } from './roles';
import { roleAssignmentResource, type RoleAssignmentResource } from './arm-resources';
import { type EmulatorState } from './state';

const ROLE_ASSIGNMENT_API_VERSIONS = [
  '2015-07-01',
  '2017-10-01-preview',
  '2018-01-01-preview',
  '2018-09-01-preview',
  '2020-03-01-preview',
  '2020-04-01-preview',
  '2020-08-01-preview',
  '2020-10-01-preview',
  '2022-01-01-preview',
  '2022-04-01',
];
const ROLE_DEFINITION_API_VERSIONS = ['2015-07-01', '2018-01-01-preview', '2022-04-01', '2022-05-01-preview'];
const PERMISSIONS_API_VERSIONS = ['2015-07-01', '2018-01-01-preview', '2022-04-01'];
const PRINCIPAL_TYPES = ['User', 'Group', 'ServicePrincipal', 'ForeignGroup', 'Device'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PROVIDER = '/providers/microsoft.authorization/';

export class AuthorizationProvider {
  constructor(
    private readonly state: EmulatorState,
    private readonly arm: ArmGate,
  ) {}

  handle(request: EmulatorRequest, caller: ArmCaller, path: string): EmulatorResponse {
    const at = path.toLowerCase().lastIndexOf(PROVIDER);
    const scope = path.slice(0, at);
    const [collection, name, ...extra] = path.slice(at + PROVIDER.length).split('/');
    if (extra.length > 0) return this.arm.noRoute(request);
    const scopeProblem = this.checkScope(scope, collection.toLowerCase() === 'roledefinitions');
    if (scopeProblem) return scopeProblem;

    if (collection.toLowerCase() === 'roledefinitions' && request.method === 'GET') {
      const badVersion = checkApiVersion(request, ROLE_DEFINITION_API_VERSIONS);
      if (badVersion) return badVersion;
      if (scope !== '') {
        const denied = this.arm.authorize(caller, 'Microsoft.Authorization/roleDefinitions/read', path);
        if (denied) return denied;
      }
      return name === undefined ? this.listRoleDefinitions(request, scope) : this.getRoleDefinition(scope, name);
    }
    if (collection.toLowerCase() === 'permissions' && name === undefined && request.method === 'GET' && scope !== '') {
      const badVersion = checkApiVersion(request, PERMISSIONS_API_VERSIONS);
      return badVersion ?? this.listPermissions(request, caller, scope);
    }
    if (collection.toLowerCase() !== 'roleassignments' || scope === '') return this.arm.noRoute(request);

    const badVersion = checkApiVersion(request, ROLE_ASSIGNMENT_API_VERSIONS);
    if (badVersion) return badVersion;
    if (name === undefined) {
      if (request.method !== 'GET') return this.arm.noRoute(request);
      return this.arm.authorize(caller, 'Microsoft.Authorization/roleAssignments/read', path) ?? this.listRoleAssignments(request, scope);
    }
    switch (request.method) {
      case 'GET':
        return this.arm.authorize(caller, 'Microsoft.Authorization/roleAssignments/read', path) ?? this.getRoleAssignment(scope, name);
      case 'PUT':
        return this.putRoleAssignment(request, caller, path, scope, name);
      case 'DELETE':
        return this.arm.authorize(caller, 'Microsoft.Authorization/roleAssignments/delete', path) ?? this.deleteRoleAssignment(scope, name);
      default:
        return this.arm.noRoute(request);
    }
  }

  /**
   * The scope must exist: the tenant root (role definitions only), a management group (an unknown one is
   * left to the authorization check, which refuses it as ARM does), the subscription, a group, a resource.
   */
  private checkScope(scope: string, tenantRootAllowed: boolean): EmulatorResponse | undefined {
    if (scope === '') return tenantRootAllowed ? undefined : armError(400, 'InvalidScope', "The scope '/' is not valid for this request.");
    if (/^\/providers\/microsoft\.management\/managementgroups\/[^/]+$/i.test(scope)) return undefined;
    const segments = scope.split('/');
    if (segments[0] !== '' || segments[1]?.toLowerCase() !== 'subscriptions' || !segments[2]) {
      return armError(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
    }
    if (segments[2].toLowerCase() !== this.state.subscription.id) {
      return armError(404, 'SubscriptionNotFound', `The subscription '${segments[2]}' could not be found.`);
    }
    if (segments.length >= 4) {
      if (segments[3].toLowerCase() !== 'resourcegroups' || !segments[4]) return armError(400, 'InvalidScope', `The scope '${scope}' is not valid.`);
      if (!this.state.findResourceGroup(segments[4])) return resourceGroupNotFound(segments[4]);
    }
    if (/\/providers\/microsoft\.managedidentity\/userassignedidentities\/[^/]+$/i.test(scope) && !this.state.identities.has(scope.toLowerCase())) {
      const name = segments[segments.length - 1];
      return armError(
        404,
        'ResourceNotFound',
        `The Resource 'Microsoft.ManagedIdentity/userAssignedIdentities/${name}' under resource group '${segments[4]}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`,
      );
    }
    return undefined;
  }

  private subscriptionOf(scope: string): string | undefined {
    return /^\/subscriptions\//i.test(scope) ? this.state.subscription.id : undefined;
  }

  private listRoleDefinitions(request: EmulatorRequest, scope: string): EmulatorResponse {
    const filter = request.query.get('$filter');
    let roles = this.state.rolesAssignableAt(scope || '/');
    if (filter) {
      const byName = /^\s*roleName\s+eq\s+'((?:[^']|'')*)'\s*$/i.exec(filter);
      const byType = /^\s*type\s+eq\s+'([^']*)'\s*$/i.exec(filter);
      if (byName) {
        const wanted = byName[1].replace(/''/g, "'").toLowerCase();
        roles = roles.filter((r) => r.roleName.toLowerCase() === wanted);
      } else if (byType) {
        roles = roles.filter((r) => (r.type ?? 'BuiltInRole').toLowerCase() === byType[1].toLowerCase());
      } else {
        return armError(
          400,
          'BadRequest',
          `The filter '${filter}' is not supported. Supported filters are roleName eq '{value}' and type eq 'BuiltInRole' | 'CustomRole'.`,
        );
      }
    }
    return armPage(
      request,
      this.state.urls.arm,
      this.state.settings.recorded.pageSize,
      roles.map((r) => roleDefinitionResource(r, this.subscriptionOf(scope))),
    );
  }

  private getRoleDefinition(scope: string, id: string): EmulatorResponse {
    const role = this.state.roleById(id);
    if (!role || !this.state.rolesAssignableAt(scope || '/').includes(role)) {
      return armError(404, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${id}' does not exist.`);
    }
    return jsonResponse(200, roleDefinitionResource(role, this.subscriptionOf(scope)));
  }

  /**
   * GET {scope}/providers/Microsoft.Authorization/permissions: what the caller may do at the scope, one
   * entry per role it holds there or above (Permissions_ListForResourceGroup and _ListForResource in the
   * 2022-04-01 spec; the emulator serves the same at subscription and management group scope, which the
   * spec does not list; the task reads a refusal there as "unknown"). Anyone may read their own permissions.
   */
  private listPermissions(request: EmulatorRequest, caller: ArmCaller, scope: string): EmulatorResponse {
    const value: Record<string, unknown>[] = [];
    for (const assignment of this.state.roleAssignments.values()) {
      if (assignment.properties.principalId.toLowerCase() !== caller.objectId.toLowerCase()) continue;
      // An assignment at the scope or above it: a resource group, the subscription or a management group over it.
      if (!this.state.scopeCovers(assignment.properties.scope, scope)) continue;
      const role = this.state.roleById(assignment.properties.roleDefinitionId);
      for (const permission of role?.permissions ?? []) value.push({ ...structuredClone(permission), condition: null, conditionVersion: null });
    }
    return armPage(request, this.state.urls.arm, this.state.settings.recorded.pageSize, value);
  }

  private assignmentId(scope: string, name: string): string {
    return `${scope}/providers/Microsoft.Authorization/roleAssignments/${name}`.toLowerCase();
  }

  private getRoleAssignment(scope: string, name: string): EmulatorResponse {
    const assignment = this.state.roleAssignments.get(this.assignmentId(scope, name));
    return assignment ? jsonResponse(200, assignment) : armError(404, 'RoleAssignmentNotFound', `The role assignment '${name}' is not found.`);
  }

  private deleteRoleAssignment(scope: string, name: string): EmulatorResponse {
    const key = this.assignmentId(scope, name);
    const assignment = this.state.roleAssignments.get(key);
    if (!assignment) return { status: 204 };
    this.state.roleAssignments.delete(key);
    return jsonResponse(200, assignment);
  }

  /**
   * Supported filters (2022-04-01): atScope(), principalId eq '{id}', assignedTo('{id}'), joined by 'and'.
   * Without atScope() the list covers the scope, its ancestors and its descendants.
   */
  private listRoleAssignments(request: EmulatorRequest, scope: string): EmulatorResponse {
    const filter = request.query.get('$filter') ?? '';
    let atScopeOnly = false;
    let principalId: string | undefined;
    for (const clause of filter
      .split(/\s+and\s+/i)
      .map((c) => c.trim())
      .filter(Boolean)) {
      let m: RegExpExecArray | null;
      if (/^atScope\(\)$/i.test(clause)) atScopeOnly = true;
      else if ((m = /^principalId\s+eq\s+'([^']*)'$/i.exec(clause)) || (m = /^assignedTo\('([^']*)'\)$/i.exec(clause))) principalId = m[1].toLowerCase();
      else return armError(400, 'UnsupportedQuery', `The filter '${filter}' is not supported.`);
    }
    const value = [...this.state.roleAssignments.values()].filter((a) => {
      const above = this.state.scopeCovers(a.properties.scope, scope);
      const below = isWithinScope(a.properties.scope, scope);
      if (atScopeOnly ? !above : !above && !below) return false;
      return principalId === undefined || a.properties.principalId.toLowerCase() === principalId;
    });
    return jsonResponse(200, { value });
  }

  private putRoleAssignment(request: EmulatorRequest, caller: ArmCaller, path: string, scope: string, name: string): EmulatorResponse {
    if (!GUID.test(name)) {
      return armError(400, 'InvalidRoleAssignmentId', `The role assignment ID '${name}' is not valid. The role assignment ID must be a GUID.`);
    }
    const denied = this.arm.authorize(caller, 'Microsoft.Authorization/roleAssignments/write', path);
    if (denied) return denied;

    let body: unknown;
    try {
      body = parseJsonBody(request);
    } catch (error) {
      return armError(
        400,
        'InvalidRequestContent',
        `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`,
      );
    }
    const properties = isObject(body) && isObject(body.properties) ? body.properties : undefined;
    for (const required of ['roleDefinitionId', 'principalId']) {
      if (!properties || typeof properties[required] !== 'string' || properties[required] === '') {
        return armError(
          400,
          'InvalidRequestContent',
          `The request content was invalid and could not be deserialized: 'Required property '${required}' not found in JSON. Path 'properties'.'.`,
        );
      }
    }
    const roleDefinitionId = String(properties?.roleDefinitionId);
    const principalId = String(properties?.principalId).toLowerCase();
    const principalType = typeof properties?.principalType === 'string' ? properties.principalType : undefined;

    // The role definition id: tenant form, or prefixed with the subscription or a management group.
    const roleMatch =
      /^(?:\/subscriptions\/([^/]+)|\/providers\/Microsoft\.Management\/managementGroups\/[^/]+)?\/providers\/Microsoft\.Authorization\/roleDefinitions\/([^/]+)$/i.exec(
        roleDefinitionId,
      );
    const builtIn = roleMatch ? this.state.roleById(roleMatch[2]) : undefined;
    // A role is assignable only at and below its assignableScopes ("If AssignableScopes is set to a
    // subscription, … available for assignment at subscription scope …, resource group scope for any
    // resource group in the subscription, or resource scope", https://learn.microsoft.com/azure/role-based-access-control/role-definitions#assignablescopes);
    // ARM answers another scope as if the role did not exist there.
    const assignable = builtIn !== undefined && this.state.rolesAssignableAt(scope).includes(builtIn);
    if (!roleMatch || !builtIn || !assignable || (roleMatch[1] !== undefined && roleMatch[1].toLowerCase() !== this.state.subscription.id)) {
      return armError(400, 'RoleDefinitionDoesNotExist', `The specified role definition with ID '${roleDefinitionId.split('/').pop()}' does not exist.`);
    }

    const principal = this.state.principals.get(principalId);
    const replicated = principal !== undefined && this.state.now() >= principal.createdAt + this.state.settings.principalReplicationMs;
    const spared = principalType !== undefined && this.state.settings.principalTypeSkipsReplication;
    if (!principal || (!replicated && !spared)) {
      return armError(
        400,
        'PrincipalNotFound',
        `Principal ${principalId.replace(/-/g, '')} does not exist in the directory ${this.state.world.tenantId}. Check that you have the correct principal ID. If you are creating this principal and then immediately assigning a role, this error might be related to a replication delay. In this case, set the role assignment principalType property to a value, such as ServicePrincipal, User, or Group.  See https://aka.ms/docs-principaltype`,
      );
    }
    // Every principal in this directory is a service principal (apps and managed identities).
    if (principalType !== undefined && principalType !== 'ServicePrincipal') {
      if (!PRINCIPAL_TYPES.includes(principalType)) {
        return armError(400, 'InvalidPrincipalType', `The principal type '${principalType}' is not valid. Valid values are ${PRINCIPAL_TYPES.join(', ')}.`);
      }
      return armError(
        400,
        'UnmatchedPrincipalType',
        `The PrincipalId '${principalId.replace(/-/g, '')}' has type 'ServicePrincipal' , which is different from specified PrincipalType '${principalType}'.`,
      );
    }

    const canonicalRoleId = `${this.subscriptionOf(scope) ? `/subscriptions/${this.state.subscription.id}` : ''}/providers/Microsoft.Authorization/roleDefinitions/${builtIn.id}`;
    const key = this.assignmentId(scope, name);
    const sameName = this.state.roleAssignments.get(key);
    if (sameName) {
      const identical =
        sameName.properties.principalId.toLowerCase() === principalId && this.state.roleById(sameName.properties.roleDefinitionId)?.id === builtIn.id;
      if (!identical)
        return armError(400, 'RoleAssignmentUpdateNotPermitted', 'Tenant ID, application ID, principal ID, and scope are not allowed to be updated.');
      return jsonResponse(200, sameName);
    }
    const duplicate = [...this.state.roleAssignments.values()].find(
      (a: RoleAssignmentResource) =>
        a.properties.principalId.toLowerCase() === principalId &&
        this.state.roleById(a.properties.roleDefinitionId)?.id === builtIn.id &&
        a.properties.scope.toLowerCase() === scope.toLowerCase(),
    );
    if (duplicate) return armError(409, 'RoleAssignmentExists', 'The role assignment already exists.');

    const assignment = roleAssignmentResource({
      scope,
      name,
      roleDefinitionId: canonicalRoleId,
      principalId,
      principalType: 'ServicePrincipal',
      createdBy: caller.objectId,
      description: typeof properties?.description === 'string' ? properties.description : null,
      condition: typeof properties?.condition === 'string' ? properties.condition : null,
      conditionVersion: typeof properties?.conditionVersion === 'string' ? properties.conditionVersion : null,
    });
    this.state.roleAssignments.set(key, assignment);
    this.state.roleAssignmentCreatedAt.set(key, this.state.now());
    return jsonResponse(201, assignment);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
