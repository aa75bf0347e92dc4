/** What an ensure did, and the resource as it now is. */
export type Action = 'created' | 'updated' | 'kept';

export interface Outcome<T> {
  action: Action;
  value: T;
}

/**
 * How an ensure may write. Every ensure reads, decides with pure functions, and only then writes; a dry
 * run stops before the write and reports the decision, so the preview and the run share one logic.
 */
export interface WriteOptions {
  /** Decide, but write nothing: the outcome says what would be done (values not yet known stay empty). */
  dryRun?: boolean;
  /** Called once the ensure knows it must write, before it writes; throws to stop (the permission preflight). */
  beforeWrite?: () => void;
}
