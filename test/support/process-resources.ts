// What this process holds, seen from outside the guard: open descriptors (/proc/self/fd) and live handles by type
// (process.getActiveResourcesInfo(), requests in flight left out: they come and go with any I/O).
import { readdirSync } from 'node:fs';

export interface ProcessResources {
  readonly fds: number;
  readonly handles: Readonly<Record<string, number>>;
}

const isRequest = (type: string): boolean =>
  /Req|Request|^(WriteWrap|ShutdownWrap|ConnectWrap|TCPConnectWrap|PipeConnectWrap)$/.test(type);

export function readProcessResources(): ProcessResources {
  const handles: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (!isRequest(type)) handles[type] = (handles[type] ?? 0) + 1;
  }
  // The listing's own descriptor is not counted.
  return { fds: readdirSync('/proc/self/fd').length - 1, handles };
}

/** What `now` holds above `baseline`: `fds` and `handle:<type>`, only those above. */
export function excessOver(baseline: ProcessResources, now: ProcessResources): Record<string, number> {
  const out: Record<string, number> = {};
  if (now.fds > baseline.fds) out.fds = now.fds - baseline.fds;
  for (const [type, n] of Object.entries(now.handles)) {
    const more = n - (baseline.handles[type] ?? 0);
    if (more > 0) out[`handle:${type}`] = more;
  }
  return out;
}

/**
 * Waits (polling) until the process holds nothing above `baseline`: pipes of a killed child, a terminated worker's
 * descriptors and a destroyed socket close a little after the guard's cleanup resolves, and the connection of an
 * aborted `fetch` stays in undici's pool (not the call's) for its keep-alive timeout, 4 s. Not a time limit: it
 * returns what is still above the baseline when the wait ends, for the test to assert on.
 */
export async function excessAfterSettling(
  baseline: ProcessResources,
  waitMs = 10_000,
): Promise<Record<string, number>> {
  let excess = excessOver(baseline, readProcessResources());
  for (let waited = 0; waited < waitMs && Object.keys(excess).length > 0; waited += 20) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    excess = excessOver(baseline, readProcessResources());
  }
  return excess;
}
