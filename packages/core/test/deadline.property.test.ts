// A call's execution-time limit under any lateness of the guard's own timer: the first tick at or after the
// deadline stops the call, at the cleanup level (never emergency: the lateness is the guard's, not the call's).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResourceGuard, type LimitEvent } from '../src/index.js';
import { manualTime } from '../src/testing/index.js';

describe('execution-time deadline under a late sampler', () => {
  it('stops the call at the first tick past its deadline, at the cleanup level, however late the tick', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.double({ min: 0, max: 5000, noNaN: true }), // when the call starts
        fc.double({ min: 1, max: 10_000, noNaN: true }), // its limit
        fc.double({ min: 0, max: 20_000, noNaN: true }), // how late every timer of the guard fires
        async (startAt, limit, lateMs) => {
          const time = manualTime();
          const guard = createResourceGuard({
            clock: time,
            // Every timer fires `lateMs` after it was due, as on a loop blocked by other work.
            scheduler: { schedule: (fn, delayMs) => time.schedule(fn, delayMs + lateMs) },
            probes: false,
            watchdog: false,
            sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 500 },
            limits: { perCall: { maxExecutionTimeMs: limit } },
            throttle: { refusalDelayMs: 0 },
          });
          const levels: LimitEvent[] = [];
          guard.on('limit', (e) => levels.push(e));
          time.advance(startAt);
          const call = await guard.admit({ toolName: 't' });
          time.advance(limit + lateMs + 1);
          expect(call.stopReason).toBeDefined();
          expect(levels.map((e) => e.level)).not.toContain('emergency');
          const stop = levels.at(-1);
          expect(stop?.level).toBe('cleanup');
          expect(stop?.usage).toBeCloseTo(limit, 6); // held at the deadline, not at the late tick
          call.end('timeout');
          await guard.close();
        },
      ),
      { numRuns: 300 },
    );
  });
});
