// A manual clock and scheduler: time moves only when a test says so, and due timers then run in order.
import type { Clock, Scheduler } from '../../src/index.js';

export interface ManualTime extends Clock, Scheduler {
  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void;
  /** Timers pending now. */
  readonly pending: number;
}

export function manualTime(start = 0): ManualTime {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  return {
    now: () => now,
    schedule(fn, delayMs) {
      const id = ++seq;
      timers.set(id, { at: now + delayMs, fn });
      return () => timers.delete(id);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        let nextId: number | undefined;
        let nextAt = Number.POSITIVE_INFINITY;
        for (const [id, t] of timers) {
          if (t.at <= end && (t.at < nextAt || (t.at === nextAt && id < (nextId ?? Infinity)))) {
            nextId = id;
            nextAt = t.at;
          }
        }
        if (nextId === undefined) break;
        const timer = timers.get(nextId);
        timers.delete(nextId);
        now = Math.max(now, nextAt);
        timer?.fn();
      }
      now = end;
    },
    get pending() {
      return timers.size;
    },
  };
}

/** Lets promise callbacks run (admission waits, cleanups that close nothing real). */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
