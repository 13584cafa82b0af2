/**
 * A thread's own CPU clock, by feature detection: `process.threadCpuUsage()` inside the thread (Node ≥ 23.9 and
 * 22.19), `/proc/.../schedstat` on Linux (any Node: the time the thread spent on a CPU, in nanoseconds, readable from
 * another thread of the process), else nothing. `worker.cpuUsage()` (Node ≥ 24.6 and 22.19) reads the same clock as
 * `process.threadCpuUsage()` from the main thread.
 */

import { readFileSync, readlinkSync } from 'node:fs';

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

/**
 * The calling thread's CPU time so far, in milliseconds, or undefined where Node and the OS give no per-thread clock.
 *
 * @returns milliseconds of CPU
 */
export function ownThreadCpuMs(): number | undefined {
  if (OWN_THREAD_CLOCK === 'threadCpuUsage') {
    const { user, system } = (threadCpuUsage as ThreadCpuUsage).call(process);
    return (user + system) / 1000;
  }
  if (OWN_THREAD_CLOCK === 'schedstat') return schedstatMs('/proc/thread-self/schedstat');
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
