// What the process holds, as ground truth for leak tests: open descriptors (/proc/self/fd) and
// process.getActiveResourcesInfo() by type, compared with a baseline taken before a call opens anything.
import { readFileSync } from 'node:fs';
import { openFdCount, type ResourceGuard } from '../../src/index.js';
import type { TrackedCall } from '../../src/internal.js';
import { admitTracked } from './tracked.js';

export interface Baseline {
  readonly fds: number;
  readonly resources: ReadonlyMap<string, number>;
}

function resourceCounts(): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) m.set(r, (m.get(r) ?? 0) + 1);
  return m;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What the process holds now, as one comparable string. */
function holdings(): string {
  return `${openFdCount()} ${[...resourceCounts()].sort().join(' ')}`;
}

/**
 * Waits until the process's holdings are the same three times in a row, 50 ms apart (threads, pipes and
 * the test runner's own timers have settled), for 2 s at the most.
 */
export async function quiet(): Promise<void> {
  let last = holdings();
  for (let i = 0, same = 0; i < 40 && same < 2; i++) {
    await sleep(50);
    const now = holdings();
    same = now === last ? same + 1 : 0;
    last = now;
  }
}

/** The process's holdings once quiet. */
export async function takeBaseline(): Promise<Baseline> {
  await quiet();
  return { fds: openFdCount() ?? 0, resources: resourceCounts() };
}

/** What the process holds above the baseline now: `fds`, and each resource type above its count. */
export function excessOver(baseline: Baseline): Record<string, number> {
  const out: Record<string, number> = {};
  const fds = (openFdCount() ?? 0) - baseline.fds;
  if (fds > 0) out.fds = fds;
  for (const [type, n] of resourceCounts()) {
    const more = n - (baseline.resources.get(type) ?? 0);
    if (more > 0) out[type] = more;
  }
  return out;
}

const sameCounts = (x: Record<string, number>, y: Record<string, number>): boolean =>
  Object.keys(x).length === Object.keys(y).length && Object.entries(x).every(([k, n]) => y[k] === n);

/**
 * Waits until the excess over the baseline is `expected` (nothing, by default) twice in a row, 50 ms apart
 * (pipes of a killed child and a destroyed socket close a little
 * after cleanup resolves), for 5 s at the most, and returns the excess then. Not a time limit: the test
 * asserts on what it returns.
 */
export async function excessAfterSettling(
  baseline: Baseline,
  expected: Record<string, number> = {},
): Promise<Record<string, number>> {
  let held = 0;
  for (let waited = 0; waited < 5000; waited += 50) {
    held = sameCounts(excessOver(baseline), expected) ? held + 1 : 0;
    if (held >= 2) break;
    await sleep(50);
  }
  return excessOver(baseline);
}

/** Running (not a zombie waiting to be reaped, not gone). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** Admits a call, runs `leak` in it, ends it, and waits for its cleanup. */
export async function runLeaky(guard: ResourceGuard, toolName: string, leak: (call: TrackedCall) => Promise<void>) {
  const call = await admitTracked(guard, { toolName });
  await call.run(() => leak(call));
  const during = call.usage();
  const handles = call.handles.countByKind();
  const record = call.end('ok');
  const report = await call.settled;
  return { call, during, handles, record, report };
}
