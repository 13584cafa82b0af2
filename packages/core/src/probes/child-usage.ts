/**
 * RSS and CPU time of child processes. On Linux, read from `/proc/<pid>/stat` with a descriptor opened
 * and closed within each read: nothing is held between samples, and a child that exits mid-read costs
 * nothing. Elsewhere, `pidusage` (which runs `ps`).
 *
 * pidusage is not used on Linux: it keeps each `/proc/<pid>/stat` open between reads, and a read that
 * fails after the open (the child exited in between) never closes its descriptor.
 */

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pidusage from 'pidusage';

/** What one child uses. */
export interface ChildUsage {
  /** Resident set size, in bytes. */
  readonly rssBytes: number;
  /** User plus system CPU time since it started, in milliseconds. */
  readonly cpuMs: number;
}

/** `sysconf` values for /proc figures, read once with `getconf`; the usual values until then. */
const units = { clockTicksPerSecond: 100, pageBytes: 4096, asked: false };

function askUnits(): void {
  if (units.asked) return;
  units.asked = true;
  const ask = (name: string, apply: (n: number) => void): void => {
    execFile('getconf', [name], (error, stdout) => {
      const n = Number(stdout.trim());
      if (error === null && Number.isFinite(n) && n > 0) apply(n);
    });
  };
  ask('CLK_TCK', (n) => {
    units.clockTicksPerSecond = n;
  });
  ask('PAGESIZE', (n) => {
    units.pageBytes = n;
  });
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
  askUnits();
  const out = new Map<number, ChildUsage>();
  const read = await Promise.all(pids.map((pid) => readProcStat(pid)));
  for (const [i, usage] of read.entries()) if (usage !== undefined) out.set(pids[i] as number, usage);
  return out;
}
