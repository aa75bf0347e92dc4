/**
 * The inventory's inputs become one typed, validated request before the first network call (action:
 * inventory). Pure, as src/request.ts: the access parts (bootstrap connection, organization, Azure DevOps
 * credential, network) are src/requestAccess.ts's, shared with provisioning.
 */
import { InputError } from './errors';
import type { InputName } from './inputNames';
import { lines, parseBoolean, parseSeconds } from './inputValues';
import type { RawTask } from './rawTask';
import { type AccessRequest, parseBootstrap, parseDevOpsAccess, parseNetwork } from './requestAccess';

/** The findings' one vocabulary (issue 20; the report schema's `findings[].code`). */
export const FINDING_CODES = [
  'azureDevOpsIssuer',
  'secret',
  'certificate',
  'secretExpired',
  'secretExpiresSoon',
  'disabled',
  'notReady',
  'unused',
  'identityNotFound',
  'federatedCredentialMissing',
  'multiTenantApp',
  'verifyFailed',
  'unreadable',
] as const;

export type FindingCode = (typeof FINDING_CODES)[number];

export interface InventoryRequest extends AccessRequest {
  /** `project`: the project input's connections; `organization`: every project the identity can read. */
  scope: 'project' | 'organization';
  /** The project input (name or id); read only for the project scope. */
  project: string;
  /** TestConnection for every connection, all within this bound; undefined: no verification. */
  verify?: { timeoutSeconds: number };
  secretExpiryDays: number;
  unusedDays: number;
  /** Finding codes that fail the run. */
  failOn: FindingCode[];
  /** Where the JSON report goes; empty: no file (the command line prints it). */
  reportPath: string;
}

const DAYS = { min: 1, max: 3650 } as const;
/** verifyTimeoutSeconds, as provisioning bounds it. */
const VERIFY_TIMEOUT_SECONDS = { default: 300, min: 1, max: 3600 } as const;

export function parseInventoryRequest(raw: RawTask): InventoryRequest {
  const input = (name: InputName): string => (raw.inputs[name] ?? '').trim();
  const bootstrap = parseBootstrap(raw);
  const scope = parseScope(input('inventoryScope'));
  const project = input('project');
  if (scope === 'project' && !project) throw new InputError('project', "is required with inventoryScope 'project'.");
  const access = parseDevOpsAccess(raw, input, bootstrap);
  return {
    bootstrap,
    ...access,
    network: parseNetwork(raw.network),
    // The ARM clients are bound to a subscription; the inventory reads ARM ids whole (src/inventory/identities.ts).
    azure: { subscriptionId: (input('subscriptionId') || raw.bootstrap.data.subscriptionId || '').toLowerCase() },
    scope,
    project,
    verify: parseBoolean('inventoryVerify', input('inventoryVerify'))
      ? { timeoutSeconds: parseSeconds('verifyTimeoutSeconds', input('verifyTimeoutSeconds'), VERIFY_TIMEOUT_SECONDS) }
      : undefined,
    secretExpiryDays: parseDays('secretExpiryDays', input('secretExpiryDays'), 30),
    unusedDays: parseDays('unusedDays', input('unusedDays'), 90),
    failOn: parseFailOn(input('failOn')),
    reportPath: input('reportPath'),
  };
}

function parseScope(value: string): InventoryRequest['scope'] {
  const given = value || 'project';
  const known = (['project', 'organization'] as const).find((scope) => scope === given.toLowerCase());
  if (!known) throw new InputError('inventoryScope', `has the unsupported value '${given}'. Supported values are: project, organization.`);
  return known;
}

function parseDays(name: InputName, value: string, fallback: number): number {
  if (!value) return fallback;
  const days = Number(value);
  if (!/^\d+$/.test(value) || days < DAYS.min || days > DAYS.max) {
    throw new InputError(name, `must be whole days from ${DAYS.min} to ${DAYS.max}; '${value}' is not.`);
  }
  return days;
}

/** One code a line, or several separated by commas; the case of a code is forgiven. */
export function parseFailOn(value: string): FindingCode[] {
  const codes: FindingCode[] = [];
  for (const word of lines(value).flatMap((line) => line.split(',').map((part) => part.trim()))) {
    if (!word) continue;
    const code = FINDING_CODES.find((known) => known.toLowerCase() === word.toLowerCase());
    if (!code) throw new InputError('failOn', `names the finding '${word}', which is not one. Findings are: ${FINDING_CODES.join(', ')}.`);
    if (!codes.includes(code)) codes.push(code);
  }
  return codes;
}
