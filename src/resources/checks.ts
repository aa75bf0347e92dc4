/**
 * Approvals and checks on the connection: pipeline check configurations of the resource type `endpoint`
 * (Check Configurations - List/Add/Update, {project}/_apis/pipelines/checks/configurations, 7.1-preview.1).
 * Type ids and settings as terraform-provider-azuredevops writes them (azuredevops/internal/service/
 * approvalsandchecks: common_check.go, resource_check_approval.go, resource_check_branch_control.go):
 *
 * - Approval: type 8c6f20a7-a545-4486-9777-f762fafe0d4d "Approval", `timeout` in minutes (1..43200, 43200 by
 *   default), settings {approvers: [{id}], instructions, minRequiredApprovers (0: all), requesterCannotBeApprover}.
 * - Branch control: type fe1de3ee-a436-41b4-bb20-f6eb4cb879a7 "Task Check", settings {displayName,
 *   definitionRef: {id 86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b, name evaluatebranchProtection, version 0.0.1},
 *   inputs: {allowedBranches (comma-separated), ensureProtectionOfBranch, allowUnknownStatusBranch} (strings)}.
 *
 * Never destructive: an existing approval check only gains approvers; other settings and a branch control
 * check with other branches stay as they are, with a warning; no check is deleted; other checks are not
 * touched. Checks apply to YAML pipelines only (Microsoft's "Approvals and checks"): a classic release that
 * uses a protected connection fails.
 */
import type { Clients } from '../clients';
import type { Approver } from './approvers';
import { devops } from '../clients/devops';

const ENDPOINT = 'endpoint';
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
export const APPROVAL_TYPE = { id: '8c6f20a7-a545-4486-9777-f762fafe0d4d', name: 'Approval' } as const;
export const TASK_CHECK_TYPE = { id: 'fe1de3ee-a436-41b4-bb20-f6eb4cb879a7', name: 'Task Check' } as const;
export const BRANCH_CONTROL_DEFINITION = { id: '86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b', name: 'evaluatebranchProtection', version: '0.0.1' } as const;
/** terraform's default for a branch control check's evaluation timeout, in minutes. */
const BRANCH_CONTROL_TIMEOUT = 1440;
/** The approval check's own default (and maximum) timeout: 30 days in minutes. */
export const APPROVAL_TIMEOUT_DEFAULT = 43200;

export interface ApprovalSettings {
  approvers: Approver[];
  instructions: string;
  /** 0: every approver. */
  minRequiredApprovers: number;
  timeoutMinutes: number;
}

export interface BranchControlSettings {
  /** As written, comma-separated refs with wildcards. */
  allowedBranches: string[];
  requireBranchProtection: boolean;
}

/** A check configuration as read, with the wire body kept so an update sends back what it did not change. */
export interface CheckConfiguration {
  id: number;
  typeId: string;
  wire: Record<string, unknown>;
}

export interface ApprovalCheck extends CheckConfiguration {
  approverIds: string[];
  instructions: string;
  minRequiredApprovers: number;
  timeoutMinutes: number | undefined;
}

export interface BranchControlCheck extends CheckConfiguration {
  allowedBranches: string[];
  requireBranchProtection: boolean;
}

export interface ConnectionChecks {
  /** The first approval check on the connection (the one this task adds approvers to). */
  approval?: ApprovalCheck;
  /** The first branch control check on the connection. */
  branchControl?: BranchControlCheck;
}

type Json = Record<string, unknown>;
const object = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const same = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** The comma-separated branch list as a list, trimmed; compare with sameBranches. */
export function branchList(text: string): string[] {
  return text
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
}

export function sameBranches(a: string[], b: string[]): boolean {
  const normal = (list: string[]): string => [...new Set(list.map((x) => x.toLowerCase()))].sort().join(',');
  return normal(a) === normal(b);
}

/** The approval and branch control checks among a List answer; checks of other kinds are not ours to read. */
export function fromWire(wire: unknown): ConnectionChecks {
  const value = object(wire).value;
  const checks: ConnectionChecks = {};
  for (const entry of Array.isArray(value) ? value : []) {
    const body = object(entry);
    const type = object(body.type);
    if (typeof body.id !== 'number') continue;
    const settings = object(body.settings);
    if (same(type.id, APPROVAL_TYPE.id) && !checks.approval) {
      const approvers = Array.isArray(settings.approvers) ? settings.approvers : [];
      checks.approval = {
        id: body.id,
        typeId: APPROVAL_TYPE.id,
        wire: body,
        approverIds: approvers.map((a) => object(a).id).filter((id): id is string => typeof id === 'string'),
        instructions: typeof settings.instructions === 'string' ? settings.instructions : '',
        minRequiredApprovers: typeof settings.minRequiredApprovers === 'number' ? settings.minRequiredApprovers : 0,
        timeoutMinutes: typeof body.timeout === 'number' ? body.timeout : undefined,
      };
    } else if (same(type.id, TASK_CHECK_TYPE.id) && same(object(settings.definitionRef).id, BRANCH_CONTROL_DEFINITION.id) && !checks.branchControl) {
      const inputs = object(settings.inputs);
      checks.branchControl = {
        id: body.id,
        typeId: TASK_CHECK_TYPE.id,
        wire: body,
        allowedBranches: branchList(typeof inputs.allowedBranches === 'string' ? inputs.allowedBranches : ''),
        requireBranchProtection: same(inputs.ensureProtectionOfBranch, 'true'),
      };
    }
  }
  return checks;
}

export function approvalToWire(connectionId: string, settings: ApprovalSettings): Json {
  return {
    type: { ...APPROVAL_TYPE },
    resource: { type: ENDPOINT, id: connectionId },
    timeout: settings.timeoutMinutes,
    settings: {
      approvers: settings.approvers.map((a) => ({ id: a.id, displayName: a.displayName })),
      instructions: settings.instructions,
      minRequiredApprovers: settings.minRequiredApprovers,
      requesterCannotBeApprover: false,
    },
  };
}

export function branchControlToWire(connectionId: string, settings: BranchControlSettings): Json {
  return {
    type: { ...TASK_CHECK_TYPE },
    resource: { type: ENDPOINT, id: connectionId },
    timeout: BRANCH_CONTROL_TIMEOUT,
    settings: {
      displayName: 'Branch control',
      definitionRef: { ...BRANCH_CONTROL_DEFINITION },
      inputs: {
        allowedBranches: settings.allowedBranches.join(','),
        ensureProtectionOfBranch: String(settings.requireBranchProtection),
        allowUnknownStatusBranch: 'false',
      },
    },
  };
}

/** The existing approval check with `add` appended to its approvers; everything else as it was. */
export function withApprovers(existing: ApprovalCheck, add: Approver[]): Json {
  const settings = object(existing.wire.settings);
  const approvers: unknown[] = Array.isArray(settings.approvers) ? (settings.approvers as unknown[]) : [];
  return {
    ...existing.wire,
    settings: { ...settings, approvers: [...approvers, ...add.map((a) => ({ id: a.id, displayName: a.displayName }))] },
  };
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

export async function readChecks(clients: Clients, projectId: string, projectName: string, connectionId: string): Promise<ConnectionChecks> {
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
export async function addCheck(
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
export async function awaitCheck<K extends keyof ConnectionChecks>(
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

export async function updateCheck(clients: Clients, project: { id: string; name: string }, check: CheckConfiguration, body: Json): Promise<void> {
  await devops(clients, `add approvers to the approval check ${check.id} in project '${project.name}'`, () =>
    // Check Configurations - Update, with the whole configuration.
    clients.devops.request({ method: 'PATCH', path: configurationsPath(project.id, check.id), apiVersion: CHECKS_API, body }),
  );
}
