/**
 * The roleAssignments input: one `role@scope` a line, granted besides roleDefinitionName. Pure.
 *
 *   Reader@resourceGroups/rg-shared                         relative to the target subscription
 *   Key Vault Secrets User@/subscriptions/…/resourceGroups/rg-kv/providers/Microsoft.KeyVault/vaults/kv-app1
 *   Platform Deployer@/providers/Microsoft.Management/managementGroups/mg-platform
 *
 * Blank lines and lines starting with # are skipped. Role names may contain spaces (never '@'); the scope
 * is what follows the last '@'.
 */
import { InputError } from './errors';

export interface RoleGrant {
  /** A role name (built-in or custom) or a role definition GUID. */
  role: string;
  /** ARM id of the scope. */
  scope: string;
  /** 1-based line of the input, for messages. */
  line: number;
}

const INPUT = 'roleAssignments';
const GUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** Name segments: ARM names hold no '/', '?', '#' or whitespace at the ends. */
const NAME = '[^/?#\\s](?:[^/?#]*[^/?#\\s])?';
/**
 * Scopes a role can be assigned at: a management group, the subscription, a resource group, or a resource
 * under it (providers/{namespace}/{type}/{name}, nested types repeating type/name).
 */
const ARM_SCOPE = new RegExp(
  `^(?:/providers/Microsoft\\.Management/managementGroups/${NAME}` +
    `|/subscriptions/${GUID}(?:/resourceGroups/${NAME}(?:/providers/${NAME}(?:/${NAME}/${NAME})+)?)?)$`,
  'i',
);
const EXAMPLE = 'e.g. Reader@resourceGroups/rg-shared or Reader@/subscriptions/<id>/resourceGroups/rg-shared';

/** Parses the input against the subscription relative scopes belong to. */
export function parseRoleAssignments(text: string, subscriptionId: string): RoleGrant[] {
  const grants: RoleGrant[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `line ${index + 1} ('${line}')`;
    const at = line.lastIndexOf('@');
    if (at < 0) throw new InputError(INPUT, `${where} has no '@': write one role@scope a line, ${EXAMPLE}.`);
    const role = line.slice(0, at).trim();
    const written = line
      .slice(at + 1)
      .trim()
      .replace(/\/+$/, '');
    if (!role) throw new InputError(INPUT, `${where} names no role before '@', ${EXAMPLE}.`);
    if (!written) throw new InputError(INPUT, `${where} names no scope after '@', ${EXAMPLE}.`);
    const scope = written.startsWith('/') ? written : `/subscriptions/${subscriptionId}/${written}`;
    if (!ARM_SCOPE.test(scope)) {
      throw new InputError(
        INPUT,
        `${where} has the scope '${written}', which is neither the ARM id of a management group, subscription, resource group or resource nor a path relative to the subscription, ${EXAMPLE}.`,
      );
    }
    grants.push({ role, scope: canonicalScope(scope), line: index + 1 });
  });
  return grants;
}

/** ARM ids compare case-insensitively; keep the user's casing but lower-case the subscription GUID. */
function canonicalScope(scope: string): string {
  return scope.replace(/^\/subscriptions\/([^/]+)/i, (_, id: string) => `/subscriptions/${id.toLowerCase()}`);
}

/** Drops grants equal (case-insensitively) to an earlier one or to the main grant. */
export function distinctGrants(grants: readonly RoleGrant[], main: { role: string; scope: string }): RoleGrant[] {
  const key = (g: { role: string; scope: string }): string => `${g.role}|${g.scope}`.toLowerCase();
  const seen = new Set([key(main)]);
  return grants.filter((g) => {
    if (seen.has(key(g))) return false;
    seen.add(key(g));
    return true;
  });
}
