import { readdirSync } from 'node:fs';
import { activeResources } from './active-handles.js';
import { isProcStatFd, openFdList } from './open-fds.js';
import { markedProcessList } from './processes.js';

/**
 * One reading of what the process really holds, independently of the guard: open descriptors, live handles by type,
 * requests in flight by type, live processes carrying a marker, entries of a directory (a guard's temp root).
 */
export interface GroundTruth {
  /** Open descriptors (/proc/self/fd; -1 where /proc is unavailable), but those of `procStatFds`. */
  readonly fds: number;
  /** Descriptors open on `/proc/<pid>/stat` (see {@link isProcStatFd}). */
  readonly procStatFds: number;
  /** Live handles by type (`TCPSocketWrap`, `Timeout`, `ProcessWrap`, ...). */
  readonly handles: Readonly<Record<string, number>>;
  /** Requests in flight by type (`FSReqCallback`, `WriteWrap`, ...); empty unless counted. */
  readonly requests: Readonly<Record<string, number>>;
  /** Live (not zombie) processes whose command line contains the marker; 0 without one. */
  readonly processes: number;
  /** Entries of the directory; 0 without one. */
  readonly dirEntries: number;
}

/** What a reading counts besides descriptors and handles. */
export interface GroundTruthOptions {
  /**
   * Count the requests in flight (default true): a test that the process is back to its baseline then also sees an
   * operation still pending. Benchmarks leave them out: they come and go with any I/O.
   */
  readonly requests?: boolean | undefined;
  /** Count live processes whose command line contains this string. */
  readonly processMarker?: string | undefined;
  /** Count the entries of this directory. */
  readonly dir?: string | undefined;
}

function dirEntries(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/**
 * Reads everything counted, now.
 *
 * @param options - what to count besides descriptors and handles
 * @returns the reading
 */
export function readGroundTruth(options: GroundTruthOptions = {}): GroundTruth {
  const fds = openFdList();
  const procStatFds = fds?.filter(isProcStatFd).length ?? 0;
  const { handles, requests } = activeResources();
  return {
    fds: fds === undefined ? -1 : fds.length - procStatFds,
    procStatFds,
    handles,
    requests: options.requests === false ? {} : requests,
    processes: options.processMarker === undefined ? 0 : markedProcessList(options.processMarker).length,
    dirEntries: options.dir === undefined ? 0 : dirEntries(options.dir),
  };
}

/** How a reading differs from a baseline: only what it has more of, by item. */
export interface Excess {
  /** Units above the baseline: descriptors + handles and requests of each type + processes + directory entries. */
  readonly total: number;
  /**
   * By item (`fds`, `procStatFds`, `handle:TCPSocketWrap`, `request:FSReqCallback`, `processes`, `dirEntries`), only
   * those above the baseline.
   */
  readonly items: Readonly<Record<string, number>>;
}

/**
 * What `now` holds above `baseline`. Each descriptor, handle, request, marked process and directory entry counts as
 * one unit (a socket is one descriptor and one handle: two units).
 *
 * @param baseline - the reading before
 * @param now - the reading after
 * @returns the excess
 */
export function excess(baseline: GroundTruth, now: GroundTruth): Excess {
  const items: Record<string, number> = {};
  const add = (key: string, n: number): void => {
    if (n > 0) items[key] = n;
  };
  add('fds', now.fds - baseline.fds);
  add('procStatFds', now.procStatFds - baseline.procStatFds);
  for (const [type, n] of Object.entries(now.handles)) add(`handle:${type}`, n - (baseline.handles[type] ?? 0));
  for (const [type, n] of Object.entries(now.requests)) add(`request:${type}`, n - (baseline.requests[type] ?? 0));
  add('processes', now.processes - baseline.processes);
  add('dirEntries', now.dirEntries - baseline.dirEntries);
  let total = 0;
  for (const n of Object.values(items)) total += n;
  return { total, items };
}
