/**
 * Apply: carries out a change set, the writes in concurrency groups along the critical path. Each resource's
 * write starts once the writes it waits for (its `after` in resources/index.ts) are done, which makes:
 *
 *   managed identity:  identity → (connection → credential, pipeline permissions, sharing, checks) ∥ role assignments
 *   app registration:  application → (service principal → role assignments) ∥ (connection → credential, …)
 *
 * Values that exist only after a write are filled in here: the new identity's client and principal ids,
 * the new connection's issuer and subject. After the first failure no further write starts; writes
 * already under way finish, and of the writes that failed, the one first in the change set is reported.
 */
import { type Change, type Happened, type Run, type Written } from './change';
import type { Clients } from './clients';
import { replicationPolicy } from './retry';
import type { ProvisioningRequest } from './request';
import { type AfterOf, type AppliedOf, type ChangeSet, changesOf, entriesOf, type EntryOf, type Key, KEYS, RESOURCES } from './resources';
import { signInAfter } from './resources/identity';
import type { Connection } from './resources/serviceConnectionWire';

/** What the run leaves for the outputs. */
export interface Applied {
  connection: Connection;
  identity: { clientId: string; principalId: string; tenantId: string };
  /** The application's object id, for an app registration. */
  applicationObjectId?: string;
}

/** Each resource's write and what it waits for: a write given less than it uses does not compile. */
const WRITES: { [K in Key]: { apply: (change: EntryOf<K>, after: AfterOf<K>, run: Run) => Promise<Written<unknown>>; after: readonly Key[] } } = RESOURCES;

export async function apply(
  request: ProvisioningRequest,
  set: ChangeSet,
  clients: Clients,
  happened: (change: Change, result: Happened) => void,
): Promise<Applied> {
  const order = changesOf(set);
  const writes = new Writes((change) => order.indexOf(change));
  const run: Run = { request, clients, replication: replicationPolicy(request.replicationWaitSeconds) };
  const started = new Map<Key, Promise<unknown>>();

  /** A resource's writes, one per entry side by side, once the writes it waits for are done; what they left. */
  const step = (key: Key): Promise<unknown> => {
    const known = started.get(key);
    if (known) return known;
    const { apply: write, after } = WRITES[key] as { apply: (change: Change, after: unknown, run: Run) => Promise<Written<unknown>>; after: readonly Key[] };
    const done = Promise.all(after.map(step)).then(async (values) => {
      const upstream = Object.fromEntries(after.map((k, index) => [k, values[index]]));
      const decided = set[key];
      const each = entriesOf(decided).map((change) =>
        writes.run(change, async () => {
          const written = await write(change, upstream, run);
          happened(change, written.happened);
          return written.value;
        }),
      );
      await writes.all(each);
      const results = await Promise.all(each);
      return Array.isArray(decided) ? results : results[0];
    });
    started.set(key, done);
    return done;
  };

  const steps = KEYS.map(step);
  await writes.all(steps);
  const applied = Object.fromEntries(await Promise.all(KEYS.map(async (key, index) => [key, await steps[index]]))) as { [K in Key]: AppliedOf<K> };
  const { managedIdentity, application, servicePrincipal, connection } = applied;
  const { clientId, tenantId } = signInAfter(request, applied);
  return {
    connection: connection.connection,
    identity: { clientId, tenantId, principalId: managedIdentity?.principalId ?? servicePrincipal?.id ?? '' },
    applicationObjectId: application?.id,
  };
}

/**
 * The writes of one run: each runs unless an earlier one failed, and the failure reported is that of the
 * write first in the change set.
 */
class Writes {
  private readonly failures: { position: number; error: unknown }[] = [];

  constructor(private readonly positionOf: (change: Change) => number) {}

  async run<T>(change: Change, write: () => Promise<T>): Promise<T> {
    if (this.failures.length > 0) throw new Skipped();
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof Skipped)) this.failures.push({ position: this.positionOf(change), error });
      throw error;
    }
  }

  /** Waits for all of `work`; then raises the first failure, if any. */
  async all(work: readonly Promise<unknown>[]): Promise<void> {
    const settled = await Promise.allSettled(work);
    if (this.failures.length > 0) throw [...this.failures].sort((a, b) => a.position - b.position)[0].error;
    const skipped = settled.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (skipped) throw skipped.reason;
  }
}

/** A write that did not start because an earlier one failed. */
class Skipped extends Error {}
