/**
 * Time, as the task sees it: every wait and every bound goes through one clock, so that a bound holds in
 * wall time across all the layers that wait, and so that the in-process tests can run hours of waiting
 * (replication windows, Retry-After) in milliseconds by handing the task and the emulator one virtual clock.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
