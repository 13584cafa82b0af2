/**
 * What one call used of the measured resources: its slices of main-thread JavaScript (wall time, and CPU time
 * of the long ones), the heap's growth while it ran, its child processes' CPU, and the figures the usage sources
 * set (memory, CPU %, temp storage) with their peaks. The slice clock (`cpu-slices.ts`) and the probes add to it;
 * the call reads it.
 */

import { cpuSlices, type SliceOwner } from './cpu-slices.js';
import type { MeasuredResource } from './resource-usage.js';

/** One call's meter. */
export class CallMeter implements SliceOwner {
  /** The call id as a number, for the loop watchdog's shared memory. */
  readonly numericId: number;
  /**
   * Whether the call's memory and CPU figures are measured exactly (a call run in a worker thread of its own: its
   * heap and thread CPU clock), set by whoever measures them; the built-in memory source then leaves them alone, and
   * the CPU time, once set, is the figure set (plus child processes): the main thread's slices of the call (its
   * dispatch, the result on its way back) are not added to the thread's clock, before or after the last reading alike.
   * Until a CPU time is set (a thread without a clock), it is the main thread's share as for any call.
   */
  exact = false;
  /** Set by the usage sources. */
  memoryMb = 0;
  cpuPercent = 0;
  tempStorageMb = 0;
  /** Wall time in the call's short slices of main-thread JavaScript (the slice clock adds to it). */
  sliceMs = 0;
  /** CPU time of the call's long slices, measured one by one (the slice clock adds to it). */
  sliceCpuMs = 0;
  /** Bytes the heap grew by while the call held the allocation window (see `cpu-slices.ts`). */
  allocatedBytes = 0;
  /** CPU time of the call's child processes (the memory probe adds to it). */
  childCpuMs = 0;
  /** The highest memory and temp storage set so far. */
  peakMemoryMb = 0;
  peakTempStorageMb = 0;
  /** Slice time already turned into CPU time, and the CPU time it made. */
  #sliceSettled = 0;
  #cpuSettled = 0;
  /** The CPU time last set, and whether one was: an exact meter's CPU time once set. */
  #exactCpuMs = 0;
  #exactCpuSet = false;

  /** @param numericId - the call id as a number */
  constructor(numericId: number) {
    this.numericId = numericId;
  }

  /**
   * CPU time used so far, in milliseconds: long slices as measured; short slices scaled, interval by
   * interval, by the main thread's CPU share of its busy time (the latest share for those not yet
   * settled); plus child processes. On an exact meter with a CPU time set: the last one, plus child processes.
   */
  get cpuTimeMs(): number {
    if (this.exact && this.#exactCpuSet) return this.#exactCpuMs + this.childCpuMs;
    const pending = this.sliceMs - this.#sliceSettled;
    return this.#cpuSettled + pending * (cpuSlices.meter?.value ?? 1) + this.sliceCpuMs + this.childCpuMs;
  }

  /**
   * Turns the slice time since the last settlement into CPU time at `share` (the CPU probe calls it at the
   * end of each interval).
   *
   * @param share - the main thread's CPU share of its busy time in the interval, in (0, 1]
   */
  settleCpu(share: number): void {
    this.#cpuSettled += (this.sliceMs - this.#sliceSettled) * share;
    this.#sliceSettled = this.sliceMs;
  }

  /**
   * Sets a measured resource (used by usage sources).
   *
   * @param resource - which
   * @param value - its value now
   */
  measure(resource: MeasuredResource, value: number): void {
    switch (resource) {
      case 'cpuTimeMs':
        this.#exactCpuMs = value;
        this.#exactCpuSet = true;
        // From now on, CPU time is `value` plus whatever the probes add (but on an exact meter).
        this.#cpuSettled = value - this.childCpuMs - this.sliceCpuMs;
        this.#sliceSettled = this.sliceMs;
        return;
      case 'memoryMb':
        this.memoryMb = value;
        if (value > this.peakMemoryMb) this.peakMemoryMb = value;
        return;
      case 'tempStorageMb':
        this.tempStorageMb = value;
        if (value > this.peakTempStorageMb) this.peakTempStorageMb = value;
        return;
      case 'cpuPercent':
        this.cpuPercent = value;
        return;
    }
  }
}
