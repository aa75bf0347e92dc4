/**
 * The resources a run ensures, one line each, in the order of the change set: the order of the dry run's
 * lines and the log's, and of the failures a run reports. Each line names the resource's decision, its
 * write, the resources whose writes it waits for (`after`: apply's concurrency groups and critical path),
 * the warnings it gives for what it leaves as it is, and the read of what exists of it when that read needs
 * the identity or the connection first (read.ts runs those after its other reads).
 *
 * decide.ts, apply.ts, read.ts and report.ts are derived from this list: a resource is its module and its
 * line here. A write given less than it uses, a read or decision that reads what the run does not read, or
 * an entry the change set lacks does not compile (see the checks in decide.ts, apply.ts and read.ts).
 */
import type { Change } from '../change';
import * as application from './application';
import * as checks from './checks';
import * as credential from './credential';
import * as managedIdentity from './managedIdentity';
import * as pipelinePermissions from './pipelinePermissions';
import * as roleAssignment from './roleAssignment';
import * as serviceConnection from './serviceConnection';
import * as servicePrincipal from './servicePrincipal';
import * as sharing from './sharing';

export const RESOURCES = {
  managedIdentity: { decide: managedIdentity.decide, warnings: managedIdentity.warnings, apply: managedIdentity.apply, after: [] },
  application: { decide: application.decide, warnings: application.warnings, apply: application.apply, after: [] },
  servicePrincipal: { decide: servicePrincipal.decide, apply: servicePrincipal.apply, after: ['application'] },
  assignments: { read: roleAssignment.read, decide: roleAssignment.decide, apply: roleAssignment.apply, after: ['managedIdentity', 'servicePrincipal'] },
  connection: { decide: serviceConnection.decide, apply: serviceConnection.apply, after: ['managedIdentity', 'application'] },
  credential: { read: credential.read, decide: credential.decide, apply: credential.apply, after: ['managedIdentity', 'application', 'connection'] },
  pipelinePermissions: {
    read: pipelinePermissions.read,
    decide: pipelinePermissions.decide,
    warnings: pipelinePermissions.warnings,
    apply: pipelinePermissions.apply,
    after: ['connection'],
  },
  sharing: { decide: sharing.decide, warnings: sharing.warnings, apply: sharing.apply, after: ['connection'] },
  checks: { read: checks.read, decide: checks.decide, warnings: checks.warnings, apply: checks.apply, after: ['connection'] },
} as const;

export type Key = keyof typeof RESOURCES;
type Resource<K extends Key> = (typeof RESOURCES)[K];
type Decided<K extends Key> = ReturnType<Resource<K>['decide']>;

/** The keys in the list's order. */
export const KEYS = Object.keys(RESOURCES) as Key[];

/** The run's change set: each resource's decision (an entry, a list of them, or none), and the warnings. */
export type ChangeSet = { [K in Key]: Decided<K> } & {
  /** What the run leaves as it found it although the request asks otherwise; the run then succeeds with issues. */
  warnings: string[];
};

/** One entry of a resource's decision. */
export type EntryOf<K extends Key> = Decided<K> extends readonly (infer E)[] ? E : NonNullable<Decided<K>>;

/** What one write of a resource leaves. */
type ValueOf<K extends Key> = Awaited<ReturnType<Resource<K>['apply']>>['value'];

/** What a resource's writes leave for the writes after it: a value per entry for a list, else one value (none without an entry). */
export type AppliedOf<K extends Key> = [Decided<K>] extends [readonly unknown[]]
  ? ValueOf<K>[]
  : undefined extends Decided<K>
    ? ValueOf<K> | undefined
    : ValueOf<K>;

/** What a resource's write is given: what the writes it waits for left, by resource. */
export type AfterOf<K extends Key> = { [D in Resource<K>['after'][number]]: AppliedOf<D> };

/** The entries of one decision, as a list. */
export function entriesOf(decided: Change | readonly Change[] | undefined): Change[] {
  if (decided === undefined) return [];
  return Array.isArray(decided) ? [...(decided as readonly Change[])] : [decided as Change];
}

/** Every entry of the change set, in the order a run takes them. */
export function changesOf(set: ChangeSet): Change[] {
  return KEYS.flatMap((key) => entriesOf(set[key]));
}
