/**
 * Decide: one pure function from the request and what was read to the run's change set: for each resource
 * of the list (resources/index.ts), create, update or keep, with the values, and the permission each write
 * needs. The dry-run printout, the permission preflight, the log lines and the summary all come from this
 * one value; apply carries it out.
 *
 * Values that exist only after a write (a new identity's client and principal ids, a new connection's
 * issuer and subject) are filled in by apply; everything else is settled here. A request that must not go
 * ahead (a connection or identity that belongs to another, a name taken in a project to share with) is
 * refused here, before any write.
 */
import { assertPermitted } from './preflight';
import type { Observed } from './read';
import type { ProvisioningRequest } from './request';
import { type ChangeSet, changesOf, type Key, KEYS, RESOURCES } from './resources';

/** Each resource's decision and warnings, given all the run read: one that reads what the run does not read does not compile. */
const DECISIONS: {
  [K in Key]: {
    decide: (request: ProvisioningRequest, observed: Observed) => ChangeSet[K];
    warnings?: (request: ProvisioningRequest, observed: Observed) => string[];
  };
} = RESOURCES;

export function decide(request: ProvisioningRequest, observed: Observed): ChangeSet {
  // In the list's order, so that of two refusals the one first in the change set is reported.
  const decided = Object.fromEntries(KEYS.map((key) => [key, DECISIONS[key].decide(request, observed)])) as Omit<ChangeSet, 'warnings'>;
  return { ...decided, warnings: KEYS.flatMap((key) => DECISIONS[key].warnings?.(request, observed) ?? []) };
}

/** The permission preflight: every write of the change set is checked before the first one is sent. */
export function preflight(set: ChangeSet): void {
  assertPermitted(
    changesOf(set).flatMap((change) => (change.action === 'keep' ? [] : change.needs)),
    'before any write',
  );
}
