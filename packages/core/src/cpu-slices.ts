/**
 * Main-thread time per call: the synchronous slices of JavaScript that run in a call's context, timed
 * on the monotonic clock. The CPU probe opens and closes slices from async_hooks `before`/`after`;
 * `ToolCall.run` switches the open slice for the synchronous start of a call.
 */

import { performance } from 'node:perf_hooks';

/** Something slice time is added to. */
export interface SliceOwner {
  cpuTimeMs: number;
  /** The call id as a number, for the loop watchdog's shared memory. */
  readonly numericId?: number;
}

/** The slice clock's state: whether it is on, which call owns the running slice, and the watchdog's memory. */
export const cpuSlices: {
  enabled: boolean;
  current: SliceOwner | undefined;
  start: number;
  watchdog: Int32Array | undefined;
} = {
  enabled: false,
  current: undefined,
  start: 0,
  watchdog: undefined,
};

/**
 * Makes `owner` the owner of the running slice; returns the previous owner, to restore with
 * {@link restoreSlice}.
 *
 * @param owner - the call whose code starts running
 * @returns the previous owner
 */
export function switchSlice(owner: SliceOwner | undefined): SliceOwner | undefined {
  const previous = cpuSlices.current;
  // Outside calls nothing is timed: no clock read.
  if (previous === undefined && owner === undefined) return undefined;
  const now = performance.now();
  if (previous !== undefined) previous.cpuTimeMs += now - cpuSlices.start;
  cpuSlices.current = owner;
  cpuSlices.start = now;
  // Slot 1 of the watchdog's memory: the call whose code runs now (0: none).
  if (cpuSlices.watchdog !== undefined) cpuSlices.watchdog[1] = owner?.numericId ?? 0;
  return previous;
}

/**
 * Closes the current owner's slice and gives the clock back to `previous`.
 *
 * @param previous - what {@link switchSlice} returned
 */
export function restoreSlice(previous: SliceOwner | undefined): void {
  switchSlice(previous);
}
