/**
 * Approvals and checks on the connection: pipeline check configurations of the resource type `endpoint`
 * (Check Configurations - List/Add/Update, {project}/_apis/pipelines/checks/configurations, 7.1-preview.1).
 * Type ids and settings as terraform-provider-azuredevops writes them (azuredevops/internal/service/
 * approvalsandchecks: common_check.go, resource_check_approval.go, resource_check_branch_control.go):
 *
 * - Approval: type 8c6f20a7-a545-4486-9777-f762fafe0d4d "Approval", `timeout` in minutes (1..43200, 43200 by
 *   default), settings {approvers: [{id}], instructions, minRequiredApprovers (0: all), requesterCannotBeApprover}
 *   (terraform's `requester_can_approve`, false by default, is written as requesterCannotBeApprover: true).
 * - Branch control: type fe1de3ee-a436-41b4-bb20-f6eb4cb879a7 "Task Check", settings {displayName,
 *   definitionRef: {id 86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b, name evaluatebranchProtection, version 0.0.1},
 *   inputs: {allowedBranches (comma-separated), ensureProtectionOfBranch, allowUnknownStatusBranch} (strings)}.
 *
 * Never destructive: an existing approval check only gains approvers; other settings and a branch control
 * check with other branches stay as they are, with a warning; no check is deleted; other checks are not
 * touched. Checks apply to YAML pipelines only (Microsoft's "Approvals and checks"): a classic release that
 * uses a protected connection fails.
 */
import type { ServiceEndpoint } from 'azure-devops-node-api/interfaces/ServiceEndpointInterfaces';
import type { Change, Existing, Happened, Run, Written } from '../change';
import type { Clients } from '../clients';
import { type ConnectionAccess, devopsIdentity, type Requirement } from '../preflight';
import type { ProvisioningRequest } from '../request';
import type { Approver } from './approvers';
import {
  type ApprovalCheck,
  type ApprovalSettings,
  approvalToWire,
  type BranchControlCheck,
  type BranchControlSettings,
  branchControlToWire,
  type CheckConfiguration,
  type ConnectionChecks,
  ENDPOINT,
  fromWire,
  type Json,
  sameBranches,
  withApprovers,
} from './checksWire';
import { devops } from '../clients/devops';
import type { Project } from './lookups';
import type { AppliedConnection } from './serviceConnection';

/**
 * Check configurations are preview-only: 7.1-preview.1 is what terraform-provider-azuredevops'
 * pipelineschecksextras client sends (location 86c8381e-5aee-4cde-8ae4-25c0c7f5eaea) and the REST reference
 * publishes (7.2-preview.1 the newest).
 */
const CHECKS_API = '7.1-preview.1';

/** {project}/_apis/pipelines/checks/configurations, and one configuration below it by id. */
function configurationsPath(projectId: string, id?: number): string {
  return `${encodeURIComponent(projectId)}/_apis/pipelines/checks/configurations${id === undefined ? '' : `/${id}`}`;
}

/** Check Configurations - List, with settings, of the connection. */
function listConfigurations(clients: Clients, projectId: string, connectionId: string): Promise<unknown> {
  return clients.devops.request({
    path: configurationsPath(projectId),
    apiVersion: CHECKS_API,
    query: { resourceType: ENDPOINT, resourceId: connectionId, $expand: 'settings' },
  });
}
/** What an existing approval check lacks of the desired approvers, and the warnings for settings that differ. */
export function decideApproval(desired: ApprovalSettings, existing: ApprovalCheck): { add: Approver[]; warnings: string[] } {
  const has = new Set(existing.approverIds.map((id) => id.toLowerCase()));
  const add = desired.approvers.filter((a) => !has.has(a.id.toLowerCase()));
  const differs: string[] = [];
  if (existing.instructions.trim() !== desired.instructions.trim()) differs.push('instructions');
  if (existing.minRequiredApprovers !== desired.minRequiredApprovers) {
    differs.push(`minimum approvers ${existing.minRequiredApprovers} (asked: ${desired.minRequiredApprovers})`);
  }
  if (existing.timeoutMinutes !== undefined && existing.timeoutMinutes !== desired.timeoutMinutes) {
    differs.push(`timeout ${existing.timeoutMinutes} minutes (asked: ${desired.timeoutMinutes})`);
  }
  if ((existing.requesterCannotBeApprover ?? false) !== desired.requesterCannotBeApprover) {
    const says = (cannot: boolean): string => (cannot ? 'the requester may not approve' : 'the requester may approve');
    differs.push(`setting that ${says(existing.requesterCannotBeApprover ?? false)} (asked: ${says(desired.requesterCannotBeApprover)})`);
  }
  const warnings =
    differs.length > 0
      ? [
          `The approval check on the connection keeps its ${differs.join(', ')}: this task only adds approvers; change the rest on the connection's Approvals and checks page.`,
        ]
      : [];
  return { add, warnings };
}

/** A warning when an existing branch control check differs from the request; it is kept as it is. */
export function decideBranchControl(desired: BranchControlSettings, existing: BranchControlCheck): string[] {
  if (sameBranches(desired.allowedBranches, existing.allowedBranches) && desired.requireBranchProtection === existing.requireBranchProtection) return [];
  return [
    `The branch control check on the connection allows '${existing.allowedBranches.join(', ')}'${existing.requireBranchProtection ? ' (protected branches only)' : ''}; this run asked for '${desired.allowedBranches.join(', ')}'${desired.requireBranchProtection ? ' (protected branches only)' : ''}. It is kept as it is; change it on the connection's Approvals and checks page.`,
  ];
}

async function readChecks(clients: Clients, projectId: string, projectName: string, connectionId: string): Promise<ConnectionChecks> {
  return fromWire(
    await devops(clients, `read the checks of the service connection ${connectionId} in project '${projectName}'`, () =>
      listConfigurations(clients, projectId, connectionId),
    ),
  );
}

/**
 * Adds a check. Retrying a POST whose answer was lost would add a second check, so every attempt after
 * the first looks for one of that kind first and answers it when it is there.
 */
async function addCheck(
  clients: Clients,
  project: { id: string; name: string },
  connectionId: string,
  kind: 'approval' | 'branchControl',
  body: Json,
): Promise<void> {
  let attempt = 0;
  await devops(clients, `add the ${kind === 'approval' ? 'approval' : 'branch control'} check to the service connection ${connectionId}`, async () => {
    if (attempt++ > 0) {
      const found = fromWire(await listConfigurations(clients, project.id, connectionId));
      if (found[kind]) return found[kind];
    }
    // Check Configurations - Add: answers the configuration with its id.
    return clients.devops.request({ method: 'POST', path: configurationsPath(project.id), apiVersion: CHECKS_API, body });
  });
}

/** How long a run waits for the checks of a connection another run created a moment earlier: 7.5 s. */
const CONCURRENT_RUN_DELAYS_MS = [500, 1000, 2000, 4000];

/**
 * The check of `kind` that a concurrent run is adding to the connection it has just created (this run found
 * the connection made when it went to create it), looked for a few times, bounded; undefined when it does
 * not appear. The check configurations API does not refuse a second check of one kind on a resource, so two
 * runs that both added theirs would leave two; the run that lost the race for the connection defers.
 */
async function awaitCheck<K extends keyof ConnectionChecks>(
  clients: Clients,
  project: { id: string; name: string },
  connectionId: string,
  kind: K,
): Promise<ConnectionChecks[K]> {
  for (const delay of [0, ...CONCURRENT_RUN_DELAYS_MS]) {
    if (delay > 0) await clients.clock.sleep(delay);
    const found = (await readChecks(clients, project.id, project.name, connectionId))[kind];
    if (found) return found;
  }
  return undefined;
}

async function updateCheck(clients: Clients, project: { id: string; name: string }, check: CheckConfiguration, body: Json): Promise<void> {
  await devops(clients, `add approvers to the approval check ${check.id} in project '${project.name}'`, () =>
    // Check Configurations - Update, with the whole configuration.
    clients.devops.request({ method: 'PATCH', path: configurationsPath(project.id, check.id), apiVersion: CHECKS_API, body }),
  );
}

// ---- the checks' entries of the change set -------------------------------------------------------

/** The approval check: created with `desired`, or the existing one gains `add` (none removed). */
export type ApprovalCheckChange = Existing<'create' | 'update' | 'keep', ApprovalCheck> & {
  kind: 'approval';
  project: Project;
  desired: ApprovalSettings;
  add: Approver[];
};

/** The branch control check: created, or kept as it is (an existing one is never changed). */
export interface BranchControlCheckChange extends Change<'create' | 'keep'> {
  kind: 'branchControl';
  project: Project;
  desired: BranchControlSettings;
}

export type CheckChange = ApprovalCheckChange | BranchControlCheckChange;

/** What the read and the decision use. */
interface Observed {
  project: Project;
  connection: ServiceEndpoint | null;
  devopsAccess: ConnectionAccess;
  /** The approvers lines as identities (empty without approvers). */
  approvers: Approver[];
  /** The existing connection's approval and branch control checks; undefined without a connection or checks asked for. */
  checks: ConnectionChecks | undefined;
}

/** The existing connection's checks, when the request asks for any. */
export async function read(request: ProvisioningRequest, clients: Clients, observed: Omit<Observed, 'checks'>): Promise<ConnectionChecks | undefined> {
  const { connection, project } = observed;
  const asked = request.checks.approvers.length > 0 || request.checks.allowedBranches.length > 0;
  return connection?.id && asked ? readChecks(clients, project.id, project.name, connection.id) : undefined;
}

/**
 * An entry per check the request asks for. Managing a connection's checks needs the Administrator role on
 * it (ServiceEndpoints Administer), which the identity that creates a connection has on it.
 */
export function decide(request: ProvisioningRequest, observed: Observed): CheckChange[] {
  const { checks } = request;
  const { project } = observed;
  const unmet = `${devopsIdentity(request)} lacks the Administrator role on the service connection '${request.connectionName}', which managing its approvals and checks needs (add it as Administrator on that connection's Security page)`;
  const needs: Requirement[] = observed.connection ? [{ allowed: observed.devopsAccess.administer, unmet }] : [];
  const changes: CheckChange[] = [];
  const approval = desiredApproval(request, observed);
  if (approval) {
    const names = (list: Approver[]): string => list.map((a) => `'${a.displayName}'`).join(', ');
    const minimum = `${checks.minimumApprovers === 0 ? 'all must approve' : `${checks.minimumApprovers} must approve`}${checks.allowSelfApproval ? ', the requester may approve' : ''}`;
    const existing = observed.checks?.approval;
    const add = existing ? decideApproval(approval, existing).add : approval.approvers;
    const common = { kind: 'approval', project, needs, desired: approval, add } as const;
    if (!existing) {
      const what = `the approval check with approvers ${names(approval.approvers)} (${minimum}, timeout ${checks.approvalTimeoutMinutes} minutes) on the connection`;
      changes.push({ ...common, action: 'create', what, existing: null });
    } else if (add.length > 0) {
      changes.push({ ...common, action: 'update', what: `the approval check on the connection: approvers ${names(add)} added`, existing });
    } else {
      changes.push({ ...common, action: 'keep', what: `the approval check on the connection with approvers ${names(approval.approvers)}`, existing });
    }
  }
  const branchControl = desiredBranchControl(request);
  if (branchControl) {
    const existing = observed.checks?.branchControl;
    const allowing = (branches: string[]): string => `the branch control check on the connection allowing '${branches.join(', ')}'`;
    changes.push(
      existing
        ? { kind: 'branchControl', action: 'keep', what: allowing(existing.allowedBranches), needs, project, desired: branchControl }
        : {
            kind: 'branchControl',
            action: 'create',
            what: `${allowing(branchControl.allowedBranches)}${branchControl.requireBranchProtection ? ' (protected branches only)' : ''}`,
            needs,
            project,
            desired: branchControl,
          },
    );
  }
  return changes;
}

/** Settings of an existing check that differ from the request: they stay as they are. */
export function warnings(request: ProvisioningRequest, observed: Observed): string[] {
  const approval = desiredApproval(request, observed);
  const branchControl = desiredBranchControl(request);
  const { checks } = observed;
  return [
    ...(approval && checks?.approval ? decideApproval(approval, checks.approval).warnings : []),
    ...(branchControl && checks?.branchControl ? decideBranchControl(branchControl, checks.branchControl) : []),
    ...unprotectedBranches(request),
    ...ignoredApprovalSettings(request),
  ];
}

/**
 * Approval settings without approvers: no approval check is made, so they apply to nothing. A warning
 * rather than a refusal, for the same reason as unprotectedBranches: one step shared by dev (no approvers)
 * and prod (approvers) keeps working.
 */
function ignoredApprovalSettings(request: ProvisioningRequest): string[] {
  const { approvers, approvalInstructions, approvalTimeoutMinutes, minimumApprovers, allowSelfApproval } = request.checks;
  if (approvers.length > 0) return [];
  const set = [
    approvalInstructions.trim() ? 'approvalInstructions' : undefined,
    approvalTimeoutMinutes !== 43200 ? 'approvalTimeoutMinutes' : undefined,
    minimumApprovers > 0 ? 'minimumApprovers' : undefined,
    allowSelfApproval ? 'allowSelfApproval' : undefined,
  ].filter((name): name is string => name !== undefined);
  if (set.length === 0) return [];
  return [
    `Input${set.length > 1 ? 's' : ''} ${set.map((name) => `'${name}'`).join(', ')} ${set.length > 1 ? 'are' : 'is'} set, but approvers is empty: they are settings of the approval check, which is made only for the approvers given, so they were ignored. Set approvers, or leave them at their defaults.`,
  ];
}

/**
 * requireBranchProtection without allowedBranches asks for protection that no check carries: branch
 * protection is a setting of the branch control check, which exists only with branches. A warning rather
 * than a refusal: the connection is as safe as without the input, and one step shared by environments
 * (dev without branches, prod with them) keeps working; the run ends SucceededWithIssues, saying so.
 */
function unprotectedBranches(request: ProvisioningRequest): string[] {
  const { allowedBranches, requireBranchProtection } = request.checks;
  if (!requireBranchProtection || allowedBranches.length > 0) return [];
  return [
    "Input 'requireBranchProtection' is true, but allowedBranches is empty: branch protection is a setting of the branch control check, which is made only for the branches given, so no check was added and any branch may use the connection. Set allowedBranches (e.g. refs/heads/main), or requireBranchProtection to false.",
  ];
}

function desiredApproval(request: ProvisioningRequest, observed: { approvers: Approver[] }): ApprovalSettings | undefined {
  const { checks } = request;
  if (observed.approvers.length === 0) return undefined;
  return {
    approvers: observed.approvers,
    instructions: checks.approvalInstructions,
    minRequiredApprovers: checks.minimumApprovers,
    timeoutMinutes: checks.approvalTimeoutMinutes,
    requesterCannotBeApprover: !checks.allowSelfApproval,
  };
}

function desiredBranchControl(request: ProvisioningRequest): BranchControlSettings | undefined {
  const { allowedBranches, requireBranchProtection } = request.checks;
  return allowedBranches.length > 0 ? { allowedBranches, requireBranchProtection } : undefined;
}

/**
 * Adds or updates the check. When another run created the connection a moment ago, that run adds the
 * checks too: this one waits for its check rather than adding a second of the kind.
 */
export async function apply(change: CheckChange, after: { connection: AppliedConnection }, run: Run): Promise<Written<undefined>> {
  const { clients } = run;
  const { project } = change;
  const { connection, createdByAnotherRun } = after.connection;
  const done = (happened: Happened): Written<undefined> => ({ happened, value: undefined });
  if (change.kind === 'branchControl') {
    if (change.action === 'keep') return done('kept');
    const found = createdByAnotherRun ? await awaitCheck(clients, project, connection.id, 'branchControl') : undefined;
    if (!found) await addCheck(clients, project, connection.id, 'branchControl', branchControlToWire(connection.id, change.desired));
    return done(found ? 'kept' : 'created');
  }
  if (change.action === 'keep') return done('kept');
  if (change.action === 'update') {
    await updateCheck(clients, project, change.existing, withApprovers(change.existing, change.add));
    return done('updated');
  }
  const found = createdByAnotherRun ? await awaitCheck(clients, project, connection.id, 'approval') : undefined;
  if (!found) {
    await addCheck(clients, project, connection.id, 'approval', approvalToWire(connection.id, change.desired));
    return done('created');
  }
  const add = decideApproval(change.desired, found).add;
  if (add.length > 0) await updateCheck(clients, project, found, withApprovers(found, add));
  return done(add.length > 0 ? 'updated' : 'kept');
}
