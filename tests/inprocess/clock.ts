/**
 * Virtual time for in-process runs: the task and the emulator share one VirtualClock, so a run that waits
 * out a 60 s replication window or a Retry-After takes milliseconds, while every wait still happens in the
 * order and for the length the code asked for.
 *
 * now() is real time plus an offset (real work still takes real time). sleep(ms) registers a sleeper due at
 * now() + ms. Once everything is quiet, the clock jumps to the earliest due sleeper and wakes it, and so
 * on. Quiet means: no request is being worked on by the emulators the clock watches (arrived, not answered,
 * not itself asleep on the clock) and none arrived during the last few real milliseconds. So a branch of
 * the task that is busy with real requests (a connection created while another branch waits out a
 * replication delay) gets there before the clock moves, as it would in real time. Concurrent sleepers
 * overlap as they would in real time: two runs each waiting 800 ms advance the clock by 800 ms, not 1600,
 * and a 500 ms sleeper wakes before a 2 s one.
 */
import type { Clock } from '../../src/clock';

/** Real milliseconds of quiet before the clock moves. */
const QUIET_MS = 3;

export interface Progress {
  working: number;
  events: number;
}

interface Sleeper {
  at: number;
  order: number;
  wake: () => void;
}

export class VirtualClock implements Clock {
  private offset = 0;
  private sleepers: Sleeper[] = [];
  private timer: NodeJS.Timeout | undefined;
  private counter = 0;
  private readonly probes: Array<() => Progress> = [];
  private lastEvents = -1;

  /** Makes the clock wait, before it moves, until the source reports nothing being worked on and no news. */
  watch(probe: () => Progress): void {
    this.probes.push(probe);
  }

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
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.sleepers.length === 0) return;
      const progress = this.probes.map((probe) => probe());
      const working = progress.reduce((sum, p) => sum + p.working, 0);
      const events = progress.reduce((sum, p) => sum + p.events, 0);
      if (working > 0 || events !== this.lastEvents) {
        this.lastEvents = events;
        this.schedule();
        return;
      }
      this.sleepers.sort((a, b) => a.at - b.at || a.order - b.order);
      const next = this.sleepers[0].at;
      const now = this.now();
      if (next > now) this.offset += next - now;
      const reached = this.now();
      const due = this.sleepers.filter((s) => s.at <= reached);
      this.sleepers = this.sleepers.filter((s) => s.at > reached);
      for (const sleeper of due) sleeper.wake();
      if (this.sleepers.length > 0) this.schedule();
    }, QUIET_MS);
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
