/**
 * The emulator's time. The same shape as the task's Clock (src/clock.ts), written out here because the
 * emulator never imports src/: a structural match is all an in-process run needs to hand both one
 * virtual clock.
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
