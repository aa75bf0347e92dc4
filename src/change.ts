/**
 * The change set's vocabulary, shared by every resource module and by decide, apply and report: a decision
 * (create, update or keep) with the resource in words and the permissions its write needs, and what a write
 * did with the value later writes build on.
 */
import type { Clients } from './clients';
import type { Requirement } from './preflight';
import type { ProvisioningRequest } from './request';
import type { WaitPolicy } from './retry';

export type ChangeAction = 'create' | 'update' | 'keep';

/** What every entry of the change set says: the decision, the resource in words, and what its write needs. */
export interface Change<A extends ChangeAction = ChangeAction> {
  action: A;
  /** The resource, with names and scopes, for the log: "managed identity 'id-app1' in resource group 'rg'". */
  what: string;
  /** The permissions the write needs (none for a keep). */
  needs: Requirement[];
}

/** A change to a resource that may exist: what exists is there exactly when the decision is not to create it. */
export type Existing<A extends ChangeAction, T> = (Change<Extract<A, 'create'>> & { existing: null }) | (Change<Exclude<A, 'create'>> & { existing: T });

/** What a write did: what was planned, or, when a concurrent run got there first, what it found. */
export type Happened = 'created' | 'updated' | 'kept';

/** What a write did, and the value the writes after it build on. */
export interface Written<T> {
  happened: Happened;
  value: T;
}

/** What every write is given besides its change and what the writes it waits for left. */
export interface Run {
  request: ProvisioningRequest;
  clients: Clients;
  /** How long a write waits for a new identity or application to replicate. */
  replication: WaitPolicy;
}

/** What a write does when nothing unexpected happens: the change's action, done. */
export function planned(change: Change): Happened {
  return ({ create: 'created', update: 'updated', keep: 'kept' } as const)[change.action];
}
