/**
 * Decide: one pure function from the request and what was read to the run's change set: for each resource,
 * create, update or keep, with the values, and the permission each write needs. The dry-run printout, the
 * permission preflight, the log lines and the summary all come from this one value; apply carries it out.
 *
 * Values that exist only after a write (a new identity's client and principal ids, a new connection's
 * issuer and subject) are filled in by apply; everything else is settled here. A request that must not go
 * ahead (a connection or identity that belongs to another, a name taken in a project to share with) is
 * refused here, before any write.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import { connectionTagValue, federatedCredentialName, federatedCredentialNameForPair } from './resourceNames';
import type { Observed } from './read';
import { describePipeline, type ProvisioningRequest } from './request';
import { type Application, type DesiredApplication, decideApplication } from './resources/application';
import { type ApprovalCheck, type ApprovalSettings, type BranchControlSettings, decideApproval, decideBranchControl } from './resources/checks';
import { decideCredential, type FederatedCredential } from './resources/federatedCredential';
import type { Approver } from './resources/approvers';
import type { Project, RoleDefinition } from './resources/lookups';
import { decideIdentity, type DesiredIdentity, type ManagedIdentity } from './resources/managedIdentity';
import { ACTIONS, armRequirement, assertPermitted, type Requirement } from './preflight';
import { isEmpty, missing, type PipelinePermissions } from './resources/pipelinePermissions';
import { assertReusable, decideConnection, type DesiredConnection, fromWire as connectionFromWire } from './resources/serviceConnection';
import type { ServicePrincipal } from './resources/servicePrincipal';
import { assertShareable, missingProjects } from './resources/sharing';
import { identityScope } from './read';

export type Action = 'create' | 'update' | 'keep';

/** What every entry of the change set says: the decision, the resource in words, and what its write needs. */
export interface Change<A extends Action = Action> {
  action: A;
  /** The resource, with names and scopes, for the log: "managed identity 'id-app1' in resource group 'rg'". */
  what: string;
  /** The permissions the write needs (none for a keep). */
  needs: Requirement[];
}

/** A change to a resource that may exist: what exists is there exactly when the decision is not to create it. */
export type Existing<A extends Action, T> = (Change<Extract<A, 'create'>> & { existing: null }) | (Change<Exclude<A, 'create'>> & { existing: T });

export type ManagedIdentityChange = Existing<'create' | 'keep', ManagedIdentity> & { desired: DesiredIdentity };

export type ApplicationChange = Existing<Action, Application> & { desired: DesiredApplication };

export interface ServicePrincipalChange extends Change<'create' | 'keep'> {
  existing: ServicePrincipal | null;
}

export type IdentityChanges =
  | { kind: 'managedIdentity'; identity: ManagedIdentityChange }
  | { kind: 'appRegistration'; application: ApplicationChange; servicePrincipal: ServicePrincipalChange };

export interface AssignmentChange extends Change<'create' | 'keep'> {
  scope: string;
  role: RoleDefinition;
}

export type ConnectionChange = Existing<Action, ServiceEndpoint> & {
  /** The connection as wanted; its clientId is the identity's, filled in by apply for a new identity. */
  desired: DesiredConnection;
};

export interface CredentialChange extends Change {
  /** The credential that already trusts the connection, for a keep. */
  existing?: FederatedCredential;
  /**
   * The name to write under; undefined for a new connection, whose credential is named after the id apply
   * learns. Another name than the first one when Azure DevOps moved the connection to a new issuer and subject.
   */
  name?: string;
}

export interface PipelinePermissionsChange extends Change<'update' | 'keep'> {
  /** What is to be granted on top of what is. */
  grant: PipelinePermissions;
}

export interface SharingChange extends Change<'update' | 'keep'> {
  /** Projects the connection is to be added to. */
  add: Project[];
}

/** The approval check: created with `desired`, or the existing one gains `add` (none removed). */
export type ApprovalCheckChange = Existing<Action, ApprovalCheck> & { desired: ApprovalSettings; add: Approver[] };

/** The branch control check: created, or kept as it is (an existing one is never changed). */
export interface BranchControlCheckChange extends Change<'create' | 'keep'> {
  desired: BranchControlSettings;
}

export interface ChangeSet {
  identity: IdentityChanges;
  /** The main role first, then one per roleAssignments line. */
  assignments: AssignmentChange[];
  connection: ConnectionChange;
  credential: CredentialChange;
  pipelinePermissions?: PipelinePermissionsChange;
  sharing?: SharingChange;
  approvalCheck?: ApprovalCheckChange;
  branchControlCheck?: BranchControlCheckChange;
  /** What the run leaves as it found it although the request asks otherwise; the run then succeeds with issues. */
  warnings: string[];
}

export function decide(request: ProvisioningRequest, observed: Observed): ChangeSet {
  const { devops } = request;
  const { project, connection: existingConnection } = observed;
  const identity = decideIdentityChanges(request, observed);
  const holder = identityFacts(request, identity);

  // An existing connection of that name may be reused only by this identity; the projects to share with
  // must not hold another connection of that name.
  if (existingConnection) {
    assertReusable(
      existingConnection,
      { name: request.connectionName, projectName: project.name, tenantId: holder.tenantId, clientId: holder.clientId || undefined },
      request.existingConnection,
    );
  }
  assertShareable(observed.shareTargets, request.connectionName, existingConnection?.id ?? undefined);

  const who = devopsIdentity(request);
  const desired = desiredConnection(request, observed, holder);
  const what = `service connection '${request.connectionName}' (workload identity federation)`;
  const connection: ConnectionChange = !existingConnection
    ? {
        action: 'create',
        what,
        needs: [
          {
            granted: observed.devopsAccess.create,
            missing: `${who} lacks the Creator role on service connections in project '${project.name}' (add it as Creator under Project settings, Service connections, Security)`,
          },
        ],
        desired,
        existing: null,
      }
    : {
        action: decideConnection(desired, existingConnection, request.existingConnection) === 'keep' ? 'keep' : 'update',
        what,
        needs: [
          {
            granted: observed.devopsAccess.administer,
            missing: `${who} lacks the Administrator role on the service connection '${request.connectionName}', which this run must update (add it as Administrator on that connection's Security page)`,
          },
        ],
        desired,
        existing: existingConnection,
      };

  const grantee = identity.kind === 'managedIdentity' ? 'the identity' : 'the service principal';
  const roleFix = 'assign it Role Based Access Control Administrator, User Access Administrator or Owner on that scope';
  const assignments = observed.grants.map((grant, index): AssignmentChange => {
    const action = observed.assignments[index] ? 'keep' : 'create';
    return {
      action,
      what: `role '${roleNameAsAsked(request, index, grant.role)}' for ${grantee} at ${index === 0 ? request.azure.scope : grant.scope}`,
      needs: action === 'create' ? [armRequirement(observed.armPermissions[grant.scope.toLowerCase()], ACTIONS.writeRoleAssignment, grant.scope, roleFix)] : [],
      scope: grant.scope,
      role: grant.role,
    };
  });

  const credential = decideCredentialChange(request, observed, identity, existingConnection);

  const granted = [
    ...(devops.authorizeAllPipelines ? [`all pipelines of project '${observed.project.name}'`] : []),
    ...(devops.authorizePipelines.length > 0 ? [`pipelines ${devops.authorizePipelines.map(describePipeline).join(', ')}`] : []),
  ].join(' and ');
  const current = observed.pipelinePermissions ?? { allPipelines: false, pipelineIds: [] };
  const grant = missing(current, { allPipelines: devops.authorizeAllPipelines, pipelineIds: observed.pipelines.map((p) => p.id) });
  const pipelinePermissions: PipelinePermissionsChange | undefined = granted
    ? { action: isEmpty(grant) ? 'keep' : 'update', what: `pipeline permissions on the connection: ${granted}`, needs: [], grant }
    : undefined;

  const inProjects = existingConnection ? connectionFromWire(existingConnection).projectIds : [project.id];
  const add = missingProjects(
    inProjects,
    observed.shareTargets.map((target) => target.project),
  );
  const sharing: SharingChange | undefined =
    devops.shareWithProjects.length > 0
      ? {
          action: add.length > 0 ? 'update' : 'keep',
          what: `the connection is shared with projects ${devops.shareWithProjects.map((name) => `'${name}'`).join(', ')}`,
          needs: [],
          add,
        }
      : undefined;

  const checks = decideChecks(request, observed, who);

  return {
    identity,
    assignments,
    connection,
    credential,
    pipelinePermissions,
    sharing,
    ...checks,
    warnings: [...driftWarnings(request, observed), ...checks.warnings],
  };
}

/**
 * The approval and branch control checks. Managing a connection's checks needs the Administrator role on
 * it (ServiceEndpoints Administer), which the identity that creates a connection has on it.
 */
function decideChecks(request: ProvisioningRequest, observed: Observed, who: string): Pick<ChangeSet, 'approvalCheck' | 'branchControlCheck' | 'warnings'> {
  const { checks } = request;
  const warnings: string[] = [];
  const needs: Requirement[] = observed.connection
    ? [
        {
          granted: observed.devopsAccess.administer,
          missing: `${who} lacks the Administrator role on the service connection '${request.connectionName}', which managing its approvals and checks needs (add it as Administrator on that connection's Security page)`,
        },
      ]
    : [];
  let approvalCheck: ApprovalCheckChange | undefined;
  if (observed.approvers.length > 0) {
    const desired: ApprovalSettings = {
      approvers: observed.approvers,
      instructions: checks.approvalInstructions,
      minRequiredApprovers: checks.minimumApprovers,
      timeoutMinutes: checks.approvalTimeoutMinutes,
    };
    const names = (list: Approver[]): string => list.map((a) => `'${a.displayName}'`).join(', ');
    const minimum = checks.minimumApprovers === 0 ? 'all must approve' : `${checks.minimumApprovers} must approve`;
    const existing = observed.checks?.approval;
    if (!existing) {
      approvalCheck = {
        action: 'create',
        what: `the approval check with approvers ${names(desired.approvers)} (${minimum}, timeout ${checks.approvalTimeoutMinutes} minutes) on the connection`,
        needs,
        desired,
        add: desired.approvers,
        existing: null,
      };
    } else {
      const decision = decideApproval(desired, existing);
      warnings.push(...decision.warnings);
      approvalCheck =
        decision.add.length > 0
          ? {
              action: 'update',
              what: `the approval check on the connection: approvers ${names(decision.add)} added`,
              needs,
              desired,
              add: decision.add,
              existing,
            }
          : { action: 'keep', what: `the approval check on the connection with approvers ${names(desired.approvers)}`, needs, desired, add: [], existing };
    }
  }
  let branchControlCheck: BranchControlCheckChange | undefined;
  if (checks.allowedBranches.length > 0) {
    const desired: BranchControlSettings = { allowedBranches: checks.allowedBranches, requireBranchProtection: checks.requireBranchProtection };
    const existing = observed.checks?.branchControl;
    const what = `the branch control check on the connection allowing '${checks.allowedBranches.join(', ')}'${checks.requireBranchProtection ? ' (protected branches only)' : ''}`;
    if (existing) warnings.push(...decideBranchControl(desired, existing));
    branchControlCheck = existing
      ? { action: 'keep', what: `the branch control check on the connection allowing '${existing.allowedBranches.join(', ')}'`, needs, desired }
      : { action: 'create', what, needs, desired };
  }
  return { approvalCheck, branchControlCheck, warnings };
}

/** Every entry of the change set, in the order a run takes them. */
export function changesOf(set: ChangeSet): Change[] {
  const identity = set.identity.kind === 'managedIdentity' ? [set.identity.identity] : [set.identity.application, set.identity.servicePrincipal];
  return [
    ...identity,
    ...set.assignments,
    set.connection,
    set.credential,
    ...(set.pipelinePermissions ? [set.pipelinePermissions] : []),
    ...(set.sharing ? [set.sharing] : []),
    ...(set.approvalCheck ? [set.approvalCheck] : []),
    ...(set.branchControlCheck ? [set.branchControlCheck] : []),
  ];
}

/** The permission preflight: every write of the change set is checked before the first one is sent. */
export function preflight(set: ChangeSet): void {
  assertPermitted(
    changesOf(set).flatMap((change) => (change.action === 'keep' ? [] : change.needs)),
    'before any write',
  );
}

function decideIdentityChanges(request: ProvisioningRequest, observed: Observed): IdentityChanges {
  const owner = connectionTagValue(request.devops.organization, observed.project.id, request.connectionName);
  if (request.identityType === 'managedIdentity' && observed.identity.kind === 'managedIdentity') {
    const { identity } = request;
    const existing = observed.identity.existing;
    const desired: DesiredIdentity = {
      resourceGroup: identity.resourceGroup,
      // An identity found under the default name an earlier version gave it (read.ts) keeps that name.
      name: existing?.name || identity.name,
      location: identity.location ?? observed.identity.resourceGroup.location,
      owner,
    };
    // Refuses an identity that serves another connection.
    decideIdentity(desired, existing);
    // A managed identity and its federated credentials are written in the identity's resource group.
    const scope = identityScope(request);
    const fix = `assign it Managed Identity Contributor or Contributor on resource group '${identity.resourceGroup}'`;
    const what = `managed identity '${desired.name}' in resource group '${identity.resourceGroup}'`;
    return {
      kind: 'managedIdentity',
      identity: existing
        ? { action: 'keep', what, needs: [], desired, existing }
        : {
            action: 'create',
            what,
            needs: [armRequirement(observed.armPermissions[scope.toLowerCase()], ACTIONS.writeIdentity, scope, fix)],
            desired,
            existing: null,
          },
    };
  }
  if (request.identityType === 'appRegistration' && observed.identity.kind === 'appRegistration') {
    const { displayName } = request.application;
    const desired: DesiredApplication = { uniqueName: observed.identity.uniqueName, displayName };
    const existing = observed.identity.application;
    // Microsoft Graph's permissions cannot be read beforehand: Graph answers Authorization_RequestDenied to the write.
    return {
      kind: 'appRegistration',
      application: existing
        ? {
            action: decideApplication(desired, existing) === 'update' ? 'update' : 'keep',
            what: `application '${displayName}' (single tenant)`,
            needs: [],
            desired,
            existing,
          }
        : { action: 'create', what: `application '${displayName}' (single tenant)`, needs: [], desired, existing: null },
      servicePrincipal: {
        action: observed.identity.servicePrincipal ? 'keep' : 'create',
        what: `the service principal of application '${displayName}'`,
        needs: [],
        existing: observed.identity.servicePrincipal,
      },
    };
  }
  throw new Error('the reads do not match the request: identity types differ');
}

/** The identity the connection signs in as, as far as it exists before any write. */
function identityFacts(request: ProvisioningRequest, identity: IdentityChanges): { tenantId: string; clientId: string } {
  const tenantId = request.bootstrap.auth.tenantId;
  if (identity.kind === 'managedIdentity') {
    const existing = identity.identity.existing;
    return { tenantId: existing?.tenantId || tenantId, clientId: existing?.clientId ?? '' };
  }
  return { tenantId, clientId: identity.application.existing?.appId ?? '' };
}

function decideCredentialChange(
  request: ProvisioningRequest,
  observed: Observed,
  identity: IdentityChanges,
  existing: ServiceEndpoint | null,
): CredentialChange {
  const holder =
    identity.kind === 'managedIdentity' ? `managed identity '${identity.identity.desired.name}'` : `application '${identity.application.desired.displayName}'`;
  const what = `federated credential on ${holder} for the connection's issuer and subject`;
  const needs: Requirement[] =
    request.identityType === 'managedIdentity'
      ? [
          armRequirement(
            observed.armPermissions[identityScope(request).toLowerCase()],
            ACTIONS.writeFederatedCredential,
            identityScope(request),
            `assign it Managed Identity Contributor or Contributor on resource group '${request.identity.resourceGroup}'`,
          ),
        ]
      : [];
  const connection = existing ? connectionFromWire(existing) : undefined;
  // A new identity has no credential, nor can a connection that does not exist yet have its credential.
  if (!connection?.issuer || !connection.subject) return { action: 'create', what, needs };
  const decision = decideCredential(
    {
      name: federatedCredentialName(connection.id),
      alternative: federatedCredentialNameForPair(connection.id, connection.issuer, connection.subject),
      issuer: connection.issuer,
      subject: connection.subject,
    },
    observed.credentials,
  );
  if (decision.action === 'keep') return { action: 'keep', what, needs: [], existing: decision.credential };
  const moved = decision.name !== federatedCredentialName(connection.id);
  return {
    action: decision.action,
    what: moved ? `${what} (Azure DevOps moved the connection to issuer '${connection.issuer}'; the credential for the old one stays)` : what,
    needs,
    name: decision.name,
  };
}

/** The role's name as the request spelled it (the log names what the user asked for). */
function roleNameAsAsked(request: ProvisioningRequest, index: number, role: RoleDefinition): string {
  return index === 0 ? request.azure.roleDefinitionName : (request.azure.additionalRoles[index - 1]?.role ?? role.name);
}

/** What the Azure DevOps calls run as, for the preflight's lines (devOpsAuth). */
function devopsIdentity(request: ProvisioningRequest): string {
  switch (request.devopsAuth.kind) {
    case 'jobAccessToken':
      return "the pipeline's build service identity";
    case 'bootstrapIdentity':
      return "the bootstrap connection's identity (devOpsAuth bootstrapIdentity)";
    case 'personalAccessToken':
      return `the owner of the token in '${request.devopsAuth.variable}'`;
  }
}

/** The service connection for the identity, from the request and the reads. */
export function desiredConnection(request: ProvisioningRequest, observed: Observed, identity: { tenantId: string; clientId: string }): DesiredConnection {
  const { azure, bootstrap } = request;
  return {
    name: request.connectionName,
    description: request.connectionDescription,
    project: observed.project,
    environment: bootstrap.cloud.environment,
    resourceManagerUrl: bootstrap.cloud.resourceManagerUrl,
    tenantId: identity.tenantId,
    clientId: identity.clientId,
    subscriptionId: azure.subscriptionId,
    subscriptionName: azure.subscriptionName ?? observed.subscription.name,
    managementGroup:
      azure.managementGroup && observed.managementGroup
        ? { id: observed.managementGroup.id, name: azure.managementGroup.name ?? observed.managementGroup.displayName }
        : undefined,
    resourceGroupScope:
      azure.resourceGroup && observed.scopeResourceGroup
        ? `/subscriptions/${azure.subscriptionId}/resourcegroups/${observed.scopeResourceGroup.name}`
        : undefined,
  };
}

/**
 * What an input asks for that differs from what exists and that this task will not or cannot change: each a
 * warning naming the input, the value found and what to do (the run then ends SucceededWithIssues).
 */
export function driftWarnings(request: ProvisioningRequest, observed: Observed): string[] {
  const warnings: string[] = [];
  const identity = observed.identity;
  if (request.identityType === 'managedIdentity' && identity.kind === 'managedIdentity' && identity.existing) {
    const wanted = request.identity.location;
    const found = identity.existing.location;
    if (wanted && found && normalRegion(found) !== wanted) {
      warnings.push(
        `Input 'identityLocation' says '${wanted}', but the managed identity '${identity.existing.name}' exists in '${normalRegion(found)}' and a location cannot change: the identity was kept there. Set identityLocation to '${normalRegion(found)}' or leave it empty; for an identity in '${wanted}', provision another connection (another connectionName).`,
      );
    }
  }
  const connection = observed.connection;
  if (connection) {
    const own = observed.project.id.toLowerCase();
    const wanted = new Set(observed.shareTargets.map((target) => target.project.id.toLowerCase()));
    const others = (connection.serviceEndpointProjectReferences ?? [])
      .map((reference) => reference.projectReference)
      .filter((project) => project?.id && project.id.toLowerCase() !== own && !wanted.has(project.id.toLowerCase()));
    if (others.length > 0) {
      const names = others.map((project) => `'${project?.name || project?.id}'`).join(', ');
      warnings.push(
        `Input 'shareWithProjects' does not list ${names}, which the service connection '${connection.name ?? request.connectionName}' is shared with; this task never unshares: stop sharing it in Project settings, Service connections, the connection, Security (or add the project to shareWithProjects).`,
      );
    }
  }
  if (observed.pipelinePermissions?.allPipelines && !request.devops.authorizeAllPipelines) {
    warnings.push(
      `Input 'authorizeAllPipelines' is false, but every pipeline of project '${observed.project.name}' may already use the service connection '${request.connectionName}'; this task never takes a permission back: restrict it in Project settings, Service connections, the connection, Security, Pipeline permissions.`,
    );
  }
  return warnings;
}

/** ARM answers locations as names (westeurope) or display names (West Europe). */
function normalRegion(location: string): string {
  return location.replace(/\s+/g, '').toLowerCase();
}
