/**
 * Approvers named in the inputs, resolved to Azure DevOps identities.
 *
 * Identities live on their own host (https://vssps.dev.azure.com/{org}/ in Azure DevOps Services), found the
 * way Azure DevOps clients find any area's host: Resource Areas - Get for the identities area
 * 8a3d49b8-91f0-46ef-b33d-dda338c25db3 (azure-devops-go-api v7 identity/client.go ResourceAreaId), whose
 * `locationUrl` is the host. An organization that answers no locationUrl serves the area itself.
 *
 * Each line is then looked up with Identities - Read Identities, searchFilter=General (account name, mail
 * address or display name; terraform-provider-azuredevops data_identity_user.go uses the same filter). A
 * user is named by mail or principal name, a group by `[ProjectName]\Group name` or `[OrganizationName]\Group
 * name`, its account name. A line nothing matches fails before any write, naming the line.
 */
import type { Clients } from '../clients';
import { InputError, ServiceError, TaskError } from '../errors';
import { devops } from '../clients/devops';

const IDENTITIES_AREA = '8a3d49b8-91f0-46ef-b33d-dda338c25db3';
/** Identities - Read Identities: 7.1-preview.1 as azure-devops-go-api v7 identity/client.go sends it (location 28010c54-d0c0-4c89-a5b0-1c9e188b9fb7). */
const IDENTITIES_API = '7.1-preview.1';

/** An approver as the approval check stores it. */
export interface Approver {
  /** The identity's id (VSID), what the check's settings.approvers[].id hold. */
  id: string;
  displayName: string;
  isGroup: boolean;
  /** The input line it came from. */
  line: string;
}

interface WireIdentity {
  id?: string;
  providerDisplayName?: string;
  customDisplayName?: string;
  isContainer?: boolean;
  isActive?: boolean;
  properties?: Record<string, { $value?: unknown } | undefined>;
}

/**
 * The identity a line names among what the search answered: one whose account, mail or display name is
 * the line (ignoring case); when none is exactly that but the service answered a single identity, that one
 * (General also matches on names the service keeps that the answer does not show). Several: ambiguous.
 */
export function matchIdentity(line: string, wire: unknown): Approver | 'none' | { ambiguous: string[] } {
  const value = typeof wire === 'object' && wire !== null ? (wire as { value?: unknown }).value : undefined;
  const found = (Array.isArray(value) ? (value as WireIdentity[]) : []).filter((i) => typeof i?.id === 'string');
  const text = (v: unknown): string => (typeof v === 'string' ? v.toLowerCase() : '');
  const names = (i: WireIdentity): string[] =>
    [i.providerDisplayName, i.customDisplayName, i.properties?.Account?.$value, i.properties?.Mail?.$value].map(text).filter(Boolean);
  const exact = found.filter((i) => names(i).includes(line.toLowerCase()));
  const candidates = exact.length > 0 ? exact : found;
  if (candidates.length === 0) return 'none';
  if (candidates.length > 1) return { ambiguous: candidates.map((i) => i.providerDisplayName ?? i.id!) };
  const identity = candidates[0];
  return { id: identity.id!, displayName: identity.providerDisplayName ?? identity.customDisplayName ?? line, isGroup: identity.isContainer === true, line };
}

/** Resolves every approvers line; fails naming the first line nothing (or several things) matches. */
export async function resolveApprovers(clients: Clients, lines: string[]): Promise<Approver[]> {
  const resolved = await Promise.all(
    lines.map(async (line, index) => {
      const answer = await devops(clients, `look up the approver '${line}'`, () =>
        clients.devops.request({
          path: '_apis/identities',
          area: IDENTITIES_AREA,
          apiVersion: IDENTITIES_API,
          query: { searchFilter: 'General', filterValue: line, queryMembership: 'None' },
        }),
      ).catch((error: unknown) => Promise.reject(notAllowed(error)));
      const match = matchIdentity(line, answer);
      if (match === 'none') {
        throw new InputError(
          'approvers',
          `line ${index + 1} names '${line}', which is not a user or group of the organization (write a user's email or principal name, or a group as [ProjectName]\\Group name or [OrganizationName]\\Group name).`,
        );
      }
      if ('ambiguous' in match) {
        throw new InputError(
          'approvers',
          `line ${index + 1} names '${line}', which matches several identities (${match.ambiguous.join(', ')}); write the full email or group name.`,
        );
      }
      return match;
    }),
  );
  // Two lines for one identity (a mail and a principal name) count once.
  return resolved.filter((approver, index) => resolved.findIndex((other) => other.id.toLowerCase() === approver.id.toLowerCase()) === index);
}

/** A refused identity read says what to do about approvers, rather than about connections. */
function notAllowed(error: unknown): unknown {
  if (!(error instanceof TaskError) || (error.status !== 401 && error.status !== 403)) return error;
  return new ServiceError(error.message, {
    operation: error.operation,
    status: error.status,
    code: error.code,
    correlationId: error.correlationId,
    hint: "The identity of devOpsAuth may not read the organization's users and groups: it must be a member of the organization (Project Collection Valid Users), and with jobAccessToken the job's authorization scope must not be limited to the project; or leave approvers empty",
  });
}
