/**
 * Main-thread time per call: the synchronous slices of JavaScript that run in a call's context, timed
 * on the monotonic clock. The CPU probe opens and closes slices from async_hooks `before`/`after`;
 * `ToolCall.run` switches the open slice for the synchronous start of a call. Slice time is wall time:
 * the sampler turns it into CPU time with the thread's CPU share of each interval (see `CpuShare`).
 */

import { performance } from 'node:perf_hooks';
import type { CpuShare } from './probes/cpu-share.js';

/** Something slice time is added to. */
export interface SliceOwner {
  /** Wall time in the owner's short slices, in milliseconds (scaled to CPU time by the sampler). */
  sliceMs: number;
  /** CPU time of the owner's long slices, measured one by one, in milliseconds. */
  sliceCpuMs: number;
  /** The call id as a number, for the loop watchdog's shared memory. */
  readonly numericId?: number;
}

/**
 * The slice clock's state: whether it is on, which call owns the running slice, the meter of the main
 * thread's CPU share of its busy time (installed with the CPU probe), and the watchdog's memory.
 */
export const cpuSlices: {
  enabled: boolean;
  current: SliceOwner | undefined;
  start: number;
  meter: CpuShare | undefined;
  watchdog: Int32Array | undefined;
} = {
  enabled: false,
  current: undefined,
  start: 0,
  meter: undefined,
  watchdog: undefined,
};

/** Slices at least this long (ms) have their CPU time measured on their own, where the clock allows. */
const LONG_SLICE_MS = 4;

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
  if (previous !== undefined) {
    const wall = now - cpuSlices.start;
    const meter = cpuSlices.meter;
    if (wall >= LONG_SLICE_MS && meter?.measuresLongSlices === true) previous.sliceCpuMs += meter.longSlice(wall);
    else previous.sliceMs += wall;
  }
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
