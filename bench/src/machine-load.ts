/** How busy the whole machine is, from /proc/stat: to tell how much other work ran beside a child. */

import { readFileSync } from 'node:fs';

/** USER_HZ on Linux: /proc/stat counts in hundredths of a second. */
const MICROS_PER_TICK = 10_000;

/**
 * CPU time all cores have spent busy since boot (everything but idle and iowait; steal included, as
 * it is time another guest took from us), in microseconds.
 *
 * @returns the busy time, or null where /proc/stat is not available
 */
export function machineBusyMicros(): number | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0] ?? '';
    const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (fields[0] === undefined || fields.some((f) => !Number.isFinite(f))) return null;
    const total = fields.reduce((sum, f) => sum + f, 0);
    const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
    return (total - idle) * MICROS_PER_TICK;
  } catch {
    return null;
  }
}
