/** The monotonic clock the guard reads; injectable so that tests can drive time. */

import { performance } from 'node:perf_hooks';

/**
 * A monotonic millisecond clock.
 *
 * @example
 * ```ts
 * import type { Clock } from '@mcp-resource-guard/core';
 * let t = 0;
 * const manual: Clock = { now: () => t };
 * t += 100; // time moves only when the test says so
 * ```
 */
export interface Clock {
  /** Milliseconds since an arbitrary origin; never goes backwards. */
  now(): number;
}

/**
 * The default clock: `performance.now()`, monotonic, sub-millisecond.
 *
 * @example
 * ```ts
 * import { systemClock } from '@mcp-resource-guard/core/internal';
 * const start = systemClock.now();
 * ```
 */
export const systemClock: Clock = Object.freeze({ now: (): number => performance.now() });
