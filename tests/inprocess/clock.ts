/**
 * Virtual time for in-process runs: the task and the emulator share one VirtualClock, so a run that waits
 * out a 60 s replication window or a Retry-After takes milliseconds, while every wait still happens in the
 * order and for the length the code asked for.
 *
 * now() is real time plus an offset (real work still takes real time). sleep(ms) registers a sleeper due at
 * now() + ms; on the next turn of the event loop (setImmediate) the clock jumps to the earliest due sleeper
 * and wakes it, and so on. Concurrent sleepers overlap as they would in real time: two runs each waiting
 * 800 ms advance the clock by 800 ms, not 1600, and a 500 ms sleeper wakes before a 2 s one.
 */
import type { Clock } from '../../src/clock';

interface Sleeper {
  at: number;
  order: number;
  wake: () => void;
}

export class VirtualClock implements Clock {
  private offset = 0;
  private sleepers: Sleeper[] = [];
  private scheduled = false;
  private counter = 0;

  now(): number {
    return performance.timeOrigin + performance.now() + this.offset;
  }

  /** How far virtual time has run ahead of real time, in ms. */
  get skewMs(): number {
    return this.offset;
  }

  sleep(ms: number): Promise<void> {
    return new Promise((wake) => {
      this.sleepers.push({ at: this.now() + Math.max(0, Number.isFinite(ms) ? ms : 0), order: this.counter++, wake });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.sleepers.length === 0) return;
      this.sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.sleepers[0].at;
      const now = this.now();
      if (next > now) this.offset += next - now;
      const reached = this.now();
      const due = this.sleepers.filter((s) => s.at <= reached);
      this.sleepers = this.sleepers.filter((s) => s.at > reached);
      for (const sleeper of due) sleeper.wake();
      if (this.sleepers.length > 0) this.schedule();
    });
  }
}

/**
 * One run's view of a shared clock that can be stopped: after stop(), its sleeps never end, so an
 * abandoned (crashed) run can never wake up and act again.
 */
export class RunClock implements Clock {
  private stopped = false;

  constructor(private readonly clock: Clock) {}

  now(): number {
    return this.clock.now();
  }

  async sleep(ms: number): Promise<void> {
    if (this.stopped) return never();
    await this.clock.sleep(ms);
    if (this.stopped) return never();
  }

  stop(): void {
    this.stopped = true;
  }
}

function never(): Promise<void> {
  return new Promise(() => undefined);
}
