/** The timer the guard's sampler runs on; injectable so that tests drive it with a manual clock. */

import { nativeClearTimeout, nativeSetTimeout } from './native-timers.js';

/**
 * Schedules the guard's one sampling timer. The default uses Node's timers, unref'd so that the guard
 * never keeps a process alive.
 *
 * @example
 * ```ts
 * import type { Scheduler } from '@mcp-resource-guard/core';
 * const pending: (() => void)[] = [];
 * const manual: Scheduler = { schedule: (fn) => { pending.push(fn); return () => {}; } };
 * ```
 */
export interface Scheduler {
  /**
   * Runs `fn` once after `delayMs`.
   *
   * @param fn - the work
   * @param delayMs - the delay in milliseconds
   * @returns a function that cancels it
   */
  schedule(fn: () => void, delayMs: number): () => void;
}

/**
 * The default scheduler: `setTimeout`, unref'd.
 *
 * @example
 * ```ts
 * import { systemScheduler } from '@mcp-resource-guard/core/internal';
 * const cancel = systemScheduler.schedule(() => console.error('tick'), 50);
 * cancel();
 * ```
 */
export const systemScheduler: Scheduler = Object.freeze({
  schedule(fn: () => void, delayMs: number): () => void {
    const timer = nativeSetTimeout(fn, delayMs);
    timer.unref();
    return () => nativeClearTimeout(timer);
  },
});
