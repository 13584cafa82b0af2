/**
 * Main-thread time per call: the synchronous slices of JavaScript that run in a call's context, timed
 * on the monotonic clock. The CPU probe opens and closes slices from async_hooks `before`/`after` while its
 * hook is on (`enabled`; a call running alone is charged by the probe as a whole until then);
 * `TrackedCall.run` switches the open slice for the synchronous start of a call. Slice time is wall time:
 * the sampler turns it into CPU time with the thread's CPU share of each interval (see `CpuShare`).
 *
 * The same switches keep an allocation window: from the moment one call's code starts running until a
 * different call's code does, the heap's growth is the first call's (`allocatedBytes`). The heap is read
 * only when the window changes hands (~0.3–0.5 µs a reading), so a call running alone costs one reading (the
 * memory probe's, at its admission, which hands it the window), and code that runs outside any call in between
 * (the SDK answering) is counted with the call before it. With 8 realistic calls in flight that is ~9 readings per call. (Keeping a window for a minimum time,
 * to read less, was tried: with calls taking turns in slices of a few µs, the holder then took the others'
 * allocations, and shares came out several times wrong.)
 */

import { performance } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import type { CpuShare } from './probes/cpu-share.js';

/** Something slice time is added to. */
export interface SliceOwner {
  /** Wall time in the owner's short slices, in milliseconds (scaled to CPU time by the sampler). */
  sliceMs: number;
  /** CPU time of the owner's long slices, measured one by one, in milliseconds. */
  sliceCpuMs: number;
  /** The call id as a number, for the loop watchdog's shared memory. */
  readonly numericId?: number;
  /** Heap growth (JS heap and external memory, bytes) while the owner held the allocation window. */
  allocatedBytes: number;
}

/**
 * The slice clock's state: whether it is on, which call owns the running slice, the meter of the main
 * thread's CPU share of its busy time (installed with the CPU probe), and the watchdog's memory.
 */
export const cpuSlices: {
  /** Whether slices are being timed (the CPU probe's hook is on). */
  enabled: boolean;
  current: SliceOwner | undefined;
  start: number;
  meter: CpuShare | undefined;
  watchdog: Int32Array | undefined;
  /** Whether allocation windows are kept (the memory probe is on). */
  allocation: boolean;
  /** Who holds the allocation window, and the heap's size when they took it. */
  allocationOwner: SliceOwner | undefined;
  allocationMark: number;
} = {
  enabled: false,
  current: undefined,
  start: 0,
  meter: undefined,
  watchdog: undefined,
  allocation: false,
  allocationOwner: undefined,
  allocationMark: 0,
};

/** JS heap plus external memory, in bytes (`v8.getHeapStatistics()`, ~0.3–0.5 µs). */
export function heapBytes(): number {
  const heap = getHeapStatistics();
  return heap.used_heap_size + heap.external_memory;
}

/**
 * Credits the window's holder with the heap's growth since it took the window (growth only: memory freed
 * meanwhile was collected for everyone), and hands the window to `next`.
 *
 * @param next - the new holder; the same owner to only bring its figure up to date
 * @returns the heap's size now, in bytes
 */
export function passAllocationWindow(next: SliceOwner | undefined): number {
  const bytes = heapBytes();
  const holder = cpuSlices.allocationOwner;
  if (holder !== undefined && bytes > cpuSlices.allocationMark) {
    holder.allocatedBytes += bytes - cpuSlices.allocationMark;
  }
  cpuSlices.allocationOwner = next;
  cpuSlices.allocationMark = bytes;
  return bytes;
}

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
  let start = now;
  if (owner !== undefined && owner !== cpuSlices.allocationOwner && cpuSlices.allocation) {
    passAllocationWindow(owner);
    start = performance.now(); // the reading is the guard's time, in no call's slice
  }
  cpuSlices.current = owner;
  cpuSlices.start = start;
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
