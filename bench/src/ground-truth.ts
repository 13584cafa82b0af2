/**
 * What the process really holds, independently of the guard: open file descriptors (/proc/self/fd),
 * the handles that keep the event loop alive (`process.getActiveResourcesInfo()`, by type), live
 * processes carrying a marker in their command line, and entries of a directory (the guard's temp root).
 * Used to check the guard's reports against the truth.
 */

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One reading of everything we count. */
export interface GroundTruth {
  /** Open file descriptors of this process (the listing's own descriptor excluded), but those of `procStatFds`. */
  readonly fds: number;
  /**
   * Descriptors open on `/proc/<pid>/stat`: the guard's memory probe reads child processes with
   * `pidusage`, which keeps each child's stat file open in a cache for up to a minute after the child is
   * gone. Counted apart, so that they can be told from what a call left.
   */
  readonly procStatFds: number;
  /** Live handles by type (`TCPSocketWrap`, `Timeout`, `ProcessWrap`, ...); requests in flight excluded. */
  readonly handles: Readonly<Record<string, number>>;
  /** Live (not zombie) processes whose command line contains the marker, when one was given. */
  readonly processes: number;
  /** Entries of the watched directory, when one was given. */
  readonly dirEntries: number;
}

/** What to count besides descriptors and handles. */
export interface GroundTruthOptions {
  /** Count live processes whose command line contains this string. */
  readonly processMarker?: string | undefined;
  /** Count the entries of this directory. */
  readonly dir?: string | undefined;
}

/**
 * Request types come and go with operations in flight (an fs read, a close, a write): they are not
 * resources a call holds, so they are not counted.
 *
 * @param type - a type from `process.getActiveResourcesInfo()`
 * @returns whether it is a request
 */
function isRequest(type: string): boolean {
  return /Req|Request|^(WriteWrap|ShutdownWrap|ConnectWrap|TCPConnectWrap|PipeConnectWrap)$/.test(type);
}

/**
 * Open descriptors of this process, from /proc/self/fd.
 *
 * @returns the count, or -1 where /proc is unavailable
 */
export function openFds(): number {
  try {
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return -1;
  }
}

/**
 * Open descriptors, split into those on `/proc/<pid>/stat` and the others.
 *
 * @returns both counts (-1 where /proc is unavailable)
 */
export function classifiedFds(): { fds: number; procStatFds: number } {
  let names: string[];
  try {
    names = readdirSync('/proc/self/fd');
  } catch {
    return { fds: -1, procStatFds: 0 };
  }
  let procStat = 0;
  let total = 0;
  for (const name of names) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${name}`);
    } catch {
      continue; // the listing's own descriptor, closed by now
    }
    total++;
    if (/^\/proc\/\d+\/stat$/.test(target)) procStat++;
  }
  return { fds: total - procStat, procStatFds: procStat };
}

/**
 * Live handles by type.
 *
 * @returns counts by type, requests excluded
 */
export function activeHandles(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) {
    if (!isRequest(type)) out[type] = (out[type] ?? 0) + 1;
  }
  return out;
}

/** A live process found by its marker. */
export interface MarkedProcess {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line, arguments separated by spaces. */
  readonly command: string;
}

/**
 * Live processes (not zombies) whose command line contains `marker`.
 *
 * @param marker - a string unique to the processes we start
 * @returns them
 */
export function markedProcessList(marker: string): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = readFileSync(`/proc/${name}/cmdline`, 'latin1');
      if (!cmdline.includes(marker)) continue;
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] === 'Z') continue;
      found.push({ pid: Number(name), ppid: Number(fields[1]), command: cmdline.split('\0').join(' ').trim() });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * How many live processes (not zombies) have `marker` in their command line.
 *
 * @param marker - a string unique to the processes we start
 * @returns their count
 */
export function markedProcesses(marker: string): number {
  return markedProcessList(marker).length;
}

function dirEntries(dir: string): number {
  try {
    return readdirSync(dir).length;
  } catch {
    return 0;
  }
}

/**
 * Reads everything we count, now.
 *
 * @param options - the process marker and the directory to watch
 * @returns the reading
 */
export function readGroundTruth(options: GroundTruthOptions = {}): GroundTruth {
  return {
    ...classifiedFds(),
    handles: activeHandles(),
    processes: options.processMarker === undefined ? 0 : markedProcesses(options.processMarker),
    dirEntries: options.dir === undefined ? 0 : dirEntries(options.dir),
  };
}

/** How a reading differs from a baseline: only what it has more of, by item. */
export interface Excess {
  /** Units above the baseline: descriptors + handles of each type + processes + directory entries. */
  readonly total: number;
  /**
   * By item (`fds`, `procStatFds`, `handle:TCPSocketWrap`, `processes`, `dirEntries`), only those above
   * the baseline.
   */
  readonly items: Readonly<Record<string, number>>;
}

/**
 * What `now` holds above `baseline`. Each descriptor, each handle, each marked process and each
 * directory entry counts as one unit (a socket is one descriptor and one handle: two units).
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
  add('processes', now.processes - baseline.processes);
  add('dirEntries', now.dirEntries - baseline.dirEntries);
  let total = 0;
  for (const n of Object.values(items)) total += n;
  return { total, items };
}

/**
 * A promise resolved after `ms` by a timer created outside any call (the caller must not be in one; a
 * guarded call's timers are attributed to it).
 *
 * @param ms - the delay
 * @returns the promise
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits until the process holds nothing above `baseline` (polling every `stepMs`), or until `timeoutMs`.
 * Descriptors of exited children's pipes and of terminated workers close a little after the guard's
 * cleanup resolves: this lets them settle.
 *
 * @param baseline - the reading to get back to
 * @param options - what to count
 * @param timeoutMs - how long to wait at most
 * `procStatFds` (the guard's pidusage cache, which lasts a minute) is reported but not waited for.
 *
 * @param stepMs - polling interval
 * @returns the last reading's excess (empty when back to the baseline)
 */
export async function settleTo(
  baseline: GroundTruth,
  options: GroundTruthOptions,
  timeoutMs = 2000,
  stepMs = 5,
): Promise<Excess> {
  const deadline = performance.now() + timeoutMs;
  let last = excess(baseline, readGroundTruth(options));
  const pending = (e: Excess): boolean => e.total - (e.items.procStatFds ?? 0) > 0;
  while (pending(last) && performance.now() < deadline) {
    await sleep(stepMs);
    last = excess(baseline, readGroundTruth(options));
  }
  return last;
}

/**
 * Waits until two readings `stepMs` apart are the same (nothing is opening or closing), up to `timeoutMs`.
 *
 * @param options - what to count
 * @param timeoutMs - how long to wait at most
 * @param stepMs - interval between readings
 * @returns the last reading
 */
export async function steadyReading(options: GroundTruthOptions, timeoutMs = 2000, stepMs = 10): Promise<GroundTruth> {
  const deadline = performance.now() + timeoutMs;
  let last = readGroundTruth(options);
  for (;;) {
    await sleep(stepMs);
    const now = readGroundTruth(options);
    const same = excess(last, now).total === 0 && excess(now, last).total === 0;
    last = now;
    if (same || performance.now() >= deadline) return last;
  }
}

const TCP_STATES: Readonly<Record<string, string>> = {
  '01': 'ESTABLISHED',
  '02': 'SYN_SENT',
  '03': 'SYN_RECV',
  '04': 'FIN_WAIT1',
  '05': 'FIN_WAIT2',
  '06': 'TIME_WAIT',
  '07': 'CLOSE',
  '08': 'CLOSE_WAIT',
  '09': 'LAST_ACK',
  '0A': 'LISTEN',
  '0B': 'CLOSING',
};

/** `0100007F:1F90` (little-endian IPv4 of /proc/net/tcp) → `127.0.0.1:8080`; IPv6 kept in hex. */
function endpoint(hex: string): string {
  const [address = '', port = ''] = hex.split(':');
  const host =
    address.length === 8
      ? (address.match(/../g) ?? [])
          .reverse()
          .map((b) => Number.parseInt(b, 16))
          .join('.')
      : `[${address}]`;
  return `${host}:${Number.parseInt(port, 16)}`;
}

/**
 * Every socket of the network namespace by inode, from /proc/net: `tcp 127.0.0.1:41000 → 127.0.0.1:8080
 * ESTABLISHED`, `udp 127.0.0.1:5353`, `unix /path` (Linux; empty elsewhere).
 *
 * @returns descriptions by inode
 */
export function socketTable(): Map<string, string> {
  const table = new Map<string, string>();
  for (const proto of ['tcp', 'tcp6', 'udp', 'udp6']) {
    let text: string;
    try {
      text = readFileSync(`/proc/net/${proto}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      const inode = f[9];
      if (inode === undefined || f[1] === undefined || f[2] === undefined) continue;
      const state = proto.startsWith('tcp') ? ` ${TCP_STATES[f[3] ?? ''] ?? f[3]}` : '';
      table.set(inode, `${proto} ${endpoint(f[1])} → ${endpoint(f[2])}${state}`);
    }
  }
  try {
    for (const line of readFileSync('/proc/net/unix', 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[6] !== undefined) table.set(f[6], `unix ${f[7] ?? '(unnamed)'}`);
    }
  } catch {
    // no /proc/net/unix
  }
  return table;
}
