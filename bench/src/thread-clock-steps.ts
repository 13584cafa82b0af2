/**
 * How a thread's CPU clock advances on this machine: read in a busy loop, the clock of a running thread moves in
 * steps (on Linux, `sum_exec_runtime` is brought up to date at the scheduler's ticks and at context switches, so a
 * reading can lag by up to a tick: 4 ms at 250 Hz). A single call's CPU figure cannot be truer than a step.
 */

import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { median, round } from './stats.js';

/** The steps seen: their median and largest, in ms, and how many over how long. */
export const ClockSteps = z.object({
  p50Ms: z.number(),
  maxMs: z.number(),
  steps: z.number(),
  overMs: z.number(),
});
export type ClockSteps = z.infer<typeof ClockSteps>;

type ThreadCpuUsage = () => { user: number; system: number };
const threadCpuUsage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;

/** The calling thread's CPU time, ms: `process.threadCpuUsage()` where Node has it, else its schedstat (Linux). */
function threadCpuMs(): number {
  if (threadCpuUsage !== undefined) {
    const { user, system } = threadCpuUsage.call(process);
    return (user + system) / 1000;
  }
  const text = readFileSync('/proc/thread-self/schedstat', 'utf8');
  return Number(text.slice(0, text.indexOf(' '))) / 1e6;
}

/**
 * Reads the calling thread's CPU clock in a busy loop for `ms` of wall time and summarises how it moved.
 *
 * @param ms - how long to watch it
 * @returns its steps
 */
export function threadClockSteps(ms = 200): ClockSteps {
  const steps: number[] = [];
  const end = performance.now() + ms;
  let previous = threadCpuMs();
  while (performance.now() < end) {
    const now = threadCpuMs();
    if (now !== previous) {
      steps.push(now - previous);
      previous = now;
    }
  }
  if (steps.length === 0) return { p50Ms: 0, maxMs: 0, steps: 0, overMs: ms };
  return { p50Ms: round(median(steps), 3), maxMs: round(Math.max(...steps), 3), steps: steps.length, overMs: ms };
}
