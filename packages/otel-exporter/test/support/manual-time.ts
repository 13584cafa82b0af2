// A manual clock and scheduler for the guard: time moves only when a test says so, and due timers then run in order.
import type { Clock, Scheduler } from '@mcp-resource-guard/core';

export interface ManualTime extends Clock, Scheduler {
  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void;
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
  };
}
