/**
 * The request's Approvals and checks inputs (YAML pipelines only): the approval check's approvers,
 * instructions, timeout and minimum, and the branch control check's allowed refs. Pure, as src/request.ts.
 */
import { InputError } from './errors';
import type { InputName } from './inputNames';
import { checkedName, CONTROL_CHARACTER, lines, parseBoolean } from './inputValues';

/** Approvals and checks on the connection, as the request carries them. */
export interface ChecksRequest {
  /** approvers lines as written (resolved to identities by the reads); empty: no approval check. */
  approvers: string[];
  approvalInstructions: string;
  approvalTimeoutMinutes: number;
  /** 0: every approver. */
  minimumApprovers: number;
  /** Whoever queued the run may approve it too (the check's requesterCannotBeApprover is the opposite). */
  allowSelfApproval: boolean;
  /** Refs with wildcards; empty: no branch control check. */
  allowedBranches: string[];
  requireBranchProtection: boolean;
}

/** The Approvals and checks inputs. */
export function parseChecks(input: (name: InputName) => string): ChecksRequest {
  const approvers = lines(input('approvers')).map((line) => checkedName('approvers', line));
  const whole = (name: InputName, fallback: number, min: number, max: number, meaning: string): number => {
    const text = input(name) || String(fallback);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new InputError(name, `has the value '${text}'; use a whole number from ${min} to ${max} (${meaning}, default ${fallback}).`);
    }
    return value;
  };
  const approvalTimeoutMinutes = whole('approvalTimeoutMinutes', 43200, 1, 43200, 'minutes');
  // Without approvers there is no approval check for a minimum to apply to: any whole number passes, and
  // checks.ts warns that it is ignored, so one step shared by dev (no approvers) and prod keeps working.
  const minimumApprovers =
    approvers.length > 0
      ? whole('minimumApprovers', 0, 0, approvers.length, '0 for every approver, at most the number of approvers lines')
      : whole('minimumApprovers', 0, 0, Number.MAX_SAFE_INTEGER, '0 for every approver');
  // One ref a line, as every other list input; commas still separate refs (the input's first form).
  const allowedBranches = lines(input('allowedBranches'))
    .flatMap((line) => line.split(','))
    .map((branch) => branch.trim())
    .filter(Boolean);
  for (const branch of allowedBranches) {
    if (CONTROL_CHARACTER.test(branch) || /\s/.test(branch) || branch.length > 400) {
      throw new InputError(
        'allowedBranches',
        `has '${branch.slice(0, 40)}', which is not a ref; write one ref a line (or separated by commas), e.g. refs/heads/main and refs/heads/release/*.`,
      );
    }
  }
  return {
    approvers,
    approvalInstructions: input('approvalInstructions'),
    approvalTimeoutMinutes,
    minimumApprovers,
    allowSelfApproval: parseBoolean('allowSelfApproval', input('allowSelfApproval')),
    allowedBranches: allowedBranches.map(fullRef),
    requireBranchProtection: parseBoolean('requireBranchProtection', input('requireBranchProtection')),
  };
}

/**
 * A branch as the check compares it: with the full ref of the run (Build.SourceBranch, refs/heads/main), so
 * a short name ('main', 'release/*') would never match. Short names become refs/heads/…; full refs
 * (refs/tags/*, refs/pull/*) and the lone '*' (every branch) stay as written.
 */
export function fullRef(branch: string): string {
  if (branch === '*' || /^refs\//i.test(branch)) return branch;
  return `refs/heads/${branch.replace(/^\/+/, '')}`;
}
