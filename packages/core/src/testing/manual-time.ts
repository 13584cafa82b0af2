/** A clock and scheduler that move only when told: the guard's sampling, dwell and cool-downs, step by step. */

import type { Clock } from '../clock.js';
import type { Scheduler } from '../scheduler.js';

/**
 * A manual clock and scheduler in one: pass it as both `clock` and `scheduler` of
 * `createResourceGuard`, then move time with {@link ManualTime.advance}. Everything the guard times runs on
 * it, the hold of a refused call's answer (`throttle.refusalDelayMs`) included: advance past it, or set it
 * to 0, to see the refusal.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { manualTime } from '@mcp-resource-guard/core/testing';
 * const time = manualTime();
 * const guard = createResourceGuard({ clock: time, scheduler: time, limits: { maxExecutionTimeMs: 100 } });
 * const call = await guard.admit({ toolName: 'slow' });
 * time.advance(200); // the sampler runs as its timers fall due
 * call.signal.aborted; // true: stopped at its time limit
 * ```
 */
export interface ManualTime extends Clock, Scheduler {
  /**
   * Moves time forward by `ms`, running every timer that falls due, in order (by due time, then by the order
   * they were scheduled).
   *
   * @param ms - how far
   */
  advance(ms: number): void;
  /** Timers pending now. */
  readonly pending: number;
}

/**
 * Creates a {@link ManualTime}.
 *
 * @param start - the clock's first reading, in milliseconds
 * @returns the clock and scheduler
 * @example
 * ```ts
 * import { manualTime } from '@mcp-resource-guard/core/testing';
 * const time = manualTime(1000);
 * time.schedule(() => console.error('due at', time.now()), 50);
 * time.advance(100); // prints "due at 1050"
 * time.now(); // 1100
 * ```
 */
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
        let next: { id: number; at: number } | undefined;
        for (const [id, t] of timers) {
          if (t.at <= end && (next === undefined || t.at < next.at || (t.at === next.at && id < next.id))) {
            next = { id, at: t.at };
          }
        }
        if (next === undefined) break;
        const timer = timers.get(next.id);
        timers.delete(next.id);
        now = Math.max(now, next.at);
        timer?.fn();
      }
      now = end;
    },
    get pending() {
      return timers.size;
    },
  };
}

/**
 * Lets pending promise callbacks run (admission waits, cleanups that close nothing real) after
 * {@link ManualTime.advance}.
 *
 * @returns a promise that settles after a few microtask turns
 * @example
 * ```ts
 * import { flush } from '@mcp-resource-guard/core/testing';
 * let done = false;
 * void Promise.resolve().then(() => (done = true));
 * await flush();
 * done; // true
 * ```
 */
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}
