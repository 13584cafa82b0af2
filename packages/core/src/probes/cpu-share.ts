/**
 * The share of the main thread's busy wall time that was really spent on a CPU. Slices are timed on the
 * wall clock; when the OS preempts the thread (a loaded machine, a container's CPU quota), a slice's
 * wall time includes time the thread waited for a CPU. The share turns slice time into CPU time:
 * CPU time over the loop's active time (`performance.eventLoopUtilization()`: wall time not idle in
 * the event provider), capped at 1.
 *
 * CPU time is read with `process.cpuUsage()` (about 0.5 µs). It is the whole process's, but it is
 * exact at any instant; the per-thread figures are not: `process.threadCpuUsage()` (Node ≥ 23.9) and
 * `/proc/thread-self/schedstat` advance for a running thread only at the scheduler tick (4 ms at
 * 250 Hz), which is as long as the slices to be measured. Other threads' CPU (GC helpers, the libuv
 * pool) counted in the same span can only raise the share towards 1, that is towards wall time: the
 * correction is then partial, never excessive.
 */

import { performance } from 'node:perf_hooks';

/** Below this much active time in an interval the ratio is noise: the interval is carried over. */
const MIN_ACTIVE_MS = 2;
/** Never below: a share of 0 would erase real slices if the readings were off. */
const MIN_SHARE = 0.02;

function clampShare(cpu: number, busy: number): number {
  return Math.min(1, Math.max(MIN_SHARE, cpu / busy));
}

/**
 * The process's CPU time, in milliseconds since it started.
 *
 * @returns user plus system time
 */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/**
 * Measures the main thread's CPU share of its busy time, around each long slice and over each
 * sampling interval.
 *
 * A long slice (one synchronous run of a call's code of a millisecond or more) is where a preemption
 * most likely lands, so it is measured on its own: its CPU time is its wall time times the share since
 * the previous reading (the end of the previous long slice or interval, normally just before it
 * started). Short slices are scaled at the end of the interval by the share of what was left of the
 * interval once long slices are taken out.
 *
 * @example
 * ```ts
 * const share = new CpuShare();
 * // ... a sampling interval later:
 * const factor = share.sample(); // 1 on an idle machine, ~0.5 if preempted half the time
 * ```
 */
export class CpuShare {
  /** The share of short slices over the last interval with enough activity (1 until then). */
  value = 1;
  /** The last reading. */
  #cpu = processCpuMs();
  #active = performance.eventLoopUtilization().active;
  /** Busy time and CPU time of the interval so far that were not long slices (or too few to tell). */
  #pendingBusy = 0;
  #pendingCpu = 0;

  /**
   * The CPU time of a long slice that just ended.
   *
   * @param wallMs - its wall time
   * @returns its CPU time, in milliseconds
   */
  longSlice(wallMs: number): number {
    const cpu = processCpuMs();
    const active = performance.eventLoopUtilization().active;
    const busy = Math.max(active - this.#active, wallMs);
    const used = cpu - this.#cpu;
    const cpuMs = wallMs * clampShare(used, busy);
    // The rest of the time since the last reading belongs to the interval's short slices.
    this.#pendingBusy += busy - wallMs;
    this.#pendingCpu += Math.max(0, used - cpuMs);
    this.#cpu = cpu;
    this.#active = active;
    return cpuMs;
  }

  /**
   * Ends an interval and starts the next.
   *
   * @returns the share for short slices in the interval that ended (the previous share if it was too
   *   quiet to tell)
   */
  sample(): number {
    const cpu = processCpuMs();
    const active = performance.eventLoopUtilization().active;
    const busy = active - this.#active + this.#pendingBusy;
    const used = cpu - this.#cpu + this.#pendingCpu;
    this.#cpu = cpu;
    this.#active = active;
    if (busy < MIN_ACTIVE_MS) {
      // Too quiet to tell: carried into the next interval.
      this.#pendingBusy = busy;
      this.#pendingCpu = used;
      return this.value;
    }
    this.value = clampShare(used, busy);
    this.#pendingBusy = 0;
    this.#pendingCpu = 0;
    return this.value;
  }
}
