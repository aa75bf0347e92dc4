/**
 * The approval and branch control checks' model and wire shapes (Check Configurations, resource type
 * `endpoint`; type ids and settings as checks.ts describes them): pure converters both ways.
 */
import type { Approver } from './approvers';

export const ENDPOINT = 'endpoint';
const APPROVAL_TYPE = { id: '8c6f20a7-a545-4486-9777-f762fafe0d4d', name: 'Approval' } as const;
const TASK_CHECK_TYPE = { id: 'fe1de3ee-a436-41b4-bb20-f6eb4cb879a7', name: 'Task Check' } as const;
const BRANCH_CONTROL_DEFINITION = { id: '86b05a0c-73e6-4f7d-b3cf-e38f3b39a75b', name: 'evaluatebranchProtection', version: '0.0.1' } as const;
/** terraform's default for a branch control check's evaluation timeout, in minutes. */
const BRANCH_CONTROL_TIMEOUT = 1440;

export interface ApprovalSettings {
  approvers: Approver[];
  instructions: string;
  /** 0: every approver. */
  minRequiredApprovers: number;
  timeoutMinutes: number;
  /** Whoever queued the run may not approve it (allowSelfApproval false). */
  requesterCannotBeApprover: boolean;
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
  /** Undefined when the check does not say (read as the service's default, false). */
  requesterCannotBeApprover: boolean | undefined;
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

export type Json = Record<string, unknown>;
const object = (v: unknown): Json => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {});
const same = (a: unknown, b: string): boolean => typeof a === 'string' && a.toLowerCase() === b.toLowerCase();

/** The comma-separated branch list as a list, trimmed; compare with sameBranches. */
function branchList(text: string): string[] {
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
        requesterCannotBeApprover: typeof settings.requesterCannotBeApprover === 'boolean' ? settings.requesterCannotBeApprover : undefined,
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
      requesterCannotBeApprover: settings.requesterCannotBeApprover,
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
