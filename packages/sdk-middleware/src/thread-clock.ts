/**
 * A thread's own CPU clock, by feature detection: `process.threadCpuUsage()` inside the thread (Node ≥ 23.9 and
 * 22.19), `/proc/.../schedstat` on Linux (any Node: the time the thread spent on a CPU, in nanoseconds, readable from
 * another thread of the process), else nothing. `worker.cpuUsage()` (Node ≥ 24.6 and 22.19) reads the same clock as
 * `process.threadCpuUsage()` from the main thread.
 */

import { openSync, readFileSync, readlinkSync, readSync } from 'node:fs';

type ThreadCpuUsage = () => { user: number; system: number };

const threadCpuUsage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;

/** Time on a CPU from a schedstat file, in milliseconds; undefined when it cannot be read. */
function schedstatMs(path: string): number | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    const ns = Number(text.slice(0, text.indexOf(' ')));
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Which clock {@link ownThreadCpuMs} reads in this Node: `threadCpuUsage`, `schedstat`, or `none`.
 */
export const OWN_THREAD_CLOCK: 'threadCpuUsage' | 'schedstat' | 'none' =
  typeof threadCpuUsage === 'function'
    ? 'threadCpuUsage'
    : schedstatMs('/proc/thread-self/schedstat') !== undefined
      ? 'schedstat'
      : 'none';

/** This thread's schedstat, once opened by {@link openOwnThreadClock}: read in place, a reading allocates nothing. */
let ownSchedstat: number | undefined;
const ownSchedstatBytes = new Uint8Array(64);

/**
 * Keeps this thread's schedstat open for {@link ownThreadCpuMs} (where it is the clock), for the thread's life. Call it
 * outside any call (the descriptor is the thread's, not a call's): an isolated tool's worker does, before its first
 * call. Without it, each reading opens and reads the file anew.
 */
export function openOwnThreadClock(): void {
  if (OWN_THREAD_CLOCK !== 'schedstat' || ownSchedstat !== undefined) return;
  try {
    ownSchedstat = openSync('/proc/thread-self/schedstat', 'r');
  } catch {
    ownSchedstat = undefined;
  }
}

/** This thread's time on a CPU from its schedstat kept open, in ms. */
function ownSchedstatMs(fd: number): number | undefined {
  try {
    const n = readSync(fd, ownSchedstatBytes, 0, ownSchedstatBytes.length, 0);
    let ns = 0;
    for (let i = 0; i < n; i++) {
      const digit = (ownSchedstatBytes[i] as number) - 48;
      if (digit < 0 || digit > 9) break;
      ns = ns * 10 + digit;
    }
    return n > 0 ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The calling thread's CPU time so far, in milliseconds, or undefined where Node and the OS give no per-thread clock.
 * Cheap and allocation-free once {@link openOwnThreadClock} was called: it is read around each isolated call's
 * handler, inside the call's figures.
 *
 * @returns milliseconds of CPU
 */
export function ownThreadCpuMs(): number | undefined {
  if (OWN_THREAD_CLOCK === 'threadCpuUsage') {
    const { user, system } = (threadCpuUsage as ThreadCpuUsage).call(process);
    return (user + system) / 1000;
  }
  if (OWN_THREAD_CLOCK === 'schedstat') {
    return ownSchedstat === undefined ? schedstatMs('/proc/thread-self/schedstat') : ownSchedstatMs(ownSchedstat);
  }
  return undefined;
}

/**
 * The calling thread's id in the OS (Linux), for {@link threadCpuMsOf} from another thread.
 *
 * @returns the thread id, or undefined off Linux
 */
export function ownThreadId(): number | undefined {
  try {
    const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
    return Number.isSafeInteger(tid) && tid > 0 ? tid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Another thread's CPU time so far, in milliseconds, read from the OS (Linux), even while it runs a synchronous loop.
 *
 * @param tid - its id in the OS
 * @returns milliseconds of CPU, or undefined
 */
export function threadCpuMsOf(tid: number): number | undefined {
  return schedstatMs(`/proc/self/task/${tid}/schedstat`);
}
