/**
 * RSS and CPU time of child processes. On Linux, read from `/proc/<pid>/stat` with a descriptor opened
 * and closed within each read: nothing is held between samples, and a child that exits mid-read costs
 * nothing. Elsewhere, `pidusage` (which runs `ps`).
 *
 * pidusage is not used on Linux: it keeps each `/proc/<pid>/stat` open between reads, and a read that
 * fails after the open (the child exited in between) never closes its descriptor.
 */

import { readFile } from 'node:fs/promises';
import pidusage from 'pidusage';

/** What one child uses. */
export interface ChildUsage {
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
  /** User plus system CPU time since it started, in milliseconds. */
  readonly cpuMs: number;
}

/**
 * The units of /proc figures, found without starting a process (`getconf` would be a child of the server
 * that nobody asked for). Clock ticks: `USER_HZ` is 100 in the kernel's user ABI on every architecture
 * Node runs on. Page size: the process's own resident pages in `/proc/self/stat` against the bytes
 * `process.memoryUsage.rss()` counts from the same pages, rounded to the nearest power of two (4 KiB,
 * 16 KiB on some arm64 kernels, 64 KiB on ppc64le); 4 KiB until that is known.
 */
const units = { clockTicksPerSecond: 100, pageBytes: 4096, asked: false };

async function learnPageSize(): Promise<void> {
  try {
    const text = await readFile('/proc/self/stat', 'latin1');
    const pages = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[21]);
    const ratio = process.memoryUsage.rss() / pages;
    if (Number.isFinite(ratio) && ratio > 0) {
      const pageBytes = 2 ** Math.round(Math.log2(ratio));
      if (pageBytes >= 4096 && pageBytes <= 65536) units.pageBytes = pageBytes;
    }
  } catch {
    // Keep 4 KiB.
  }
}

function askUnits(): Promise<void> | undefined {
  if (units.asked) return undefined;
  units.asked = true;
  return learnPageSize();
}

async function readProcStat(pid: number): Promise<ChildUsage | undefined> {
  let text: string;
  try {
    text = await readFile(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // exited
  }
  // "pid (comm) state ppid ..." — comm may hold spaces and parentheses: fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const rssPages = Number(fields[21]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime) || !Number.isFinite(rssPages)) return undefined;
  return {
    rssBytes: rssPages * units.pageBytes,
    cpuMs: ((utime + stime) * 1000) / units.clockTicksPerSecond,
  };
}

function readWithPidusage(pids: readonly number[]): Promise<Map<number, ChildUsage>> {
  return new Promise((resolve) => {
    pidusage([...pids], (error, stats) => {
      const out = new Map<number, ChildUsage>();
      if (!error && stats !== undefined) {
        for (const [pid, stat] of Object.entries(stats)) {
          if (stat !== undefined && stat !== null) out.set(Number(pid), { rssBytes: stat.memory, cpuMs: stat.ctime });
        }
      }
      resolve(out);
    });
  });
}

/**
 * Reads what each child uses; a child that has exited is left out.
 *
 * @param pids - the children
 * @returns usage by pid
 */
export async function readChildUsage(pids: readonly number[]): Promise<Map<number, ChildUsage>> {
  if (process.platform !== 'linux') return readWithPidusage(pids);
  await askUnits();
  const out = new Map<number, ChildUsage>();
  const read = await Promise.all(pids.map((pid) => readProcStat(pid)));
  for (const [i, usage] of read.entries()) if (usage !== undefined) out.set(pids[i] as number, usage);
  return out;
}
