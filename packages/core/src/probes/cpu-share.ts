/**
 * The share of the main thread's busy wall time that it really spent on a CPU. Slices are timed on the
 * wall clock; when the OS preempts the thread (a loaded machine, a container's CPU quota), a slice's
 * wall time includes time the thread waited for a CPU. The share turns slice time into CPU time. Busy
 * time is the loop's active time (`performance.eventLoopUtilization()`: wall time not idle in the event
 * provider); what is known of the thread's CPU time depends on the platform:
 *
 * - Linux: `/proc/thread-self/schedstat` gives the time this thread waited for a CPU while runnable,
 *   accounted exactly when it is scheduled back in, and its time on a CPU, which for a running thread
 *   advances only at scheduler events (at worst one tick late: up to 10 ms at 100 Hz). CPU time is busy
 *   time less the wait, unless the time on a CPU shows more than a tick less than that: then the thread
 *   slept inside the slice (a synchronous `Atomics.wait`, `execSync`, a blocking read) and the time on a
 *   CPU is taken. One read (3–8 µs) per sampling interval and per long slice (4 ms or more), which is
 *   measured on its own.
 * - Elsewhere, Node ≥ 23.9: `process.threadCpuUsage()`, this thread's CPU time; share = CPU / busy,
 *   per sampling interval only (the figure advances at the scheduler tick, too coarse for slices).
 * - Otherwise `process.cpuUsage()`, the whole process's, per interval; other threads' CPU can only raise
 *   the share towards 1, that is towards wall time: the correction is then partial, never excessive.
 *
 * `process.cpuUsage()` is not read per slice: it walks every thread of the process, and on a loaded
 * virtual machine a read was seen to take 500 µs.
 */

import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

// Node's own functions, captured before the fs probe wraps them: `readFileSync` goes through
// `fs.openSync`, and a read made at the end of a call's slice would be attributed to the call.
const { openSync, readSync, closeSync } = fs;
const buffer = Buffer.alloc(128);

/** Below this much active time in an interval the ratio is noise: the interval is carried over. */
const MIN_ACTIVE_MS = 2;
/** Never below: a share of 0 would erase real slices if the readings were off. */
const MIN_SHARE = 0.02;
const SCHEDSTAT = '/proc/thread-self/schedstat';

/** How far the time on a CPU of a running thread may lag behind (a tick at 100 Hz), in ms. */
const RUN_LAG_MS = 10;

/** How the thread's time on a CPU is known. */
export type CpuShareSource = 'schedstat' | 'threadCpuUsage' | 'processCpuUsage';

/** One reading, in milliseconds: time on a CPU, and (schedstat only) time waited for one. */
interface Reading {
  readonly run: number;
  readonly wait: number | undefined;
}

interface Reader {
  readonly source: CpuShareSource;
  read(): Reading;
}

function clamp(share: number): number {
  return Math.min(1, Math.max(MIN_SHARE, share));
}

function readSchedstat(): Reading {
  const fd = openSync(SCHEDSTAT, 'r');
  let length: number;
  try {
    length = readSync(fd, buffer, 0, buffer.length, 0);
  } finally {
    closeSync(fd);
  }
  // "<ns on a CPU> <ns runnable, waiting for a CPU> <timeslices>"
  const fields = buffer.toString('latin1', 0, length).split(' ');
  return { run: Number(fields[0]) / 1e6, wait: Number(fields[1]) / 1e6 };
}

function reader(): Reader {
  try {
    const probe = readSchedstat();
    if (Number.isFinite(probe.run) && Number.isFinite(probe.wait)) return { source: 'schedstat', read: readSchedstat };
  } catch {
    // Not Linux, or no /proc.
  }
  const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage;
  const usage = typeof threadCpuUsage === 'function' ? () => threadCpuUsage.call(process) : () => process.cpuUsage();
  return {
    source: typeof threadCpuUsage === 'function' ? 'threadCpuUsage' : 'processCpuUsage',
    read: () => {
      const u = usage();
      return { run: (u.user + u.system) / 1000, wait: undefined };
    },
  };
}

/**
 * Measures the main thread's CPU share of its busy time, over each sampling interval and, where the
 * platform tells preemption exactly (Linux), around each long slice.
 *
 * A long slice (one synchronous run of a call's code of 4 ms or more) is where a preemption
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
  /** How the thread's time on a CPU is known here. */
  readonly source: CpuShareSource;
  /** Whether long slices are measured on their own. */
  readonly measuresLongSlices: boolean;
  /** The share of short slices over the last interval with enough activity (1 until then). */
  value = 1;
  readonly #read: () => Reading;
  /** The last reading, and the loop's active milliseconds then. */
  #mark: Reading;
  #active: number;
  /** Busy and CPU time of the interval so far that were not long slices. */
  #pendingBusy = 0;
  #pendingCpu = 0;

  constructor() {
    const r = reader();
    this.source = r.source;
    this.measuresLongSlices = r.source === 'schedstat';
    this.#read = r.read;
    this.#mark = this.#read();
    this.#active = performance.eventLoopUtilization().active;
  }

  /**
   * The CPU time of a long slice that just ended. Called from async_hooks callbacks: never throws.
   *
   * @param wallMs - its wall time
   * @returns its CPU time, in milliseconds
   */
  longSlice(wallMs: number): number {
    const reading = this.#advance();
    if (reading === undefined) return wallMs * this.value;
    const busy = Math.max(reading.busy, wallMs);
    const cpuMs = wallMs * clamp(reading.cpu / busy);
    // The rest of the time since the last reading belongs to the interval's short slices.
    this.#pendingBusy += busy - wallMs;
    this.#pendingCpu += Math.max(0, reading.cpu - cpuMs);
    return cpuMs;
  }

  /**
   * Ends an interval and starts the next.
   *
   * @returns the share for short slices in the interval that ended (the previous share if it was too
   *   quiet to tell)
   */
  sample(): number {
    const reading = this.#advance();
    if (reading === undefined) return this.value;
    const busy = reading.busy + this.#pendingBusy;
    const cpu = reading.cpu + this.#pendingCpu;
    if (busy < MIN_ACTIVE_MS) {
      // Too quiet to tell: carried into the next interval.
      this.#pendingBusy = busy;
      this.#pendingCpu = cpu;
      return this.value;
    }
    this.value = clamp(cpu / busy);
    this.#pendingBusy = 0;
    this.#pendingCpu = 0;
    return this.value;
  }

  /** Busy and CPU time since the last reading, and a new reading; undefined if the read failed. */
  #advance(): { busy: number; cpu: number } | undefined {
    let mark: Reading;
    try {
      mark = this.#read();
    } catch {
      return undefined;
    }
    if (!Number.isFinite(mark.run)) return undefined;
    const active = performance.eventLoopUtilization().active;
    const busy = active - this.#active;
    const run = mark.run - this.#mark.run;
    let cpu = run;
    if (mark.wait !== undefined && this.#mark.wait !== undefined) {
      // Busy time less the wait for a CPU; unless the time on a CPU, late by a tick at most, shows the
      // thread slept.
      const notWaiting = busy - (mark.wait - this.#mark.wait);
      cpu = run + RUN_LAG_MS < notWaiting ? run : notWaiting;
    }
    this.#mark = mark;
    this.#active = active;
    return { busy, cpu: Math.min(Math.max(cpu, 0), busy) };
  }
}
