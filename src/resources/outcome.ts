/** What an ensure did, and the resource as it now is. */
export type Action = 'created' | 'updated' | 'kept';

export interface Outcome<T> {
  action: Action;
  value: T;
}
