import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const hasProc = existsSync('/proc/self/stat');

/** The pids /proc lists (none where it is unavailable). */
function procPids(): string[] {
  try {
    return readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
}

/** The fields of `/proc/<pid>/stat` after the command name: state first, then the parent's pid. */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/**
 * The state of a process: its letter in `/proc/<pid>/stat` (`R` running, `S` sleeping, `T` stopped, `Z` a zombie
 * waiting to be reaped, ...); where /proc is unavailable, the first letter of `ps -o stat=`.
 *
 * @param pid - the process
 * @returns its state letter, or undefined once it is gone
 */
export function processState(pid: number): string | undefined {
  if (hasProc) return statFields(pid)?.[0];
  const ps = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
  return ps.status === 0 ? ps.stdout.trim().charAt(0) || undefined : undefined;
}

/**
 * Whether a process runs: it exists and is not a zombie.
 *
 * @param pid - the process
 * @returns whether it runs
 */
export function isRunning(pid: number): boolean {
  const state = processState(pid);
  return state !== undefined && state !== 'Z';
}

/** A live process found by its marker. */
export interface MarkedProcess {
  readonly pid: number;
  readonly ppid: number;
  /** Its command line, arguments separated by spaces. */
  readonly command: string;
}

/**
 * The running processes (zombies left out, this one too) whose command line, or environment, contains `marker`
 * (Linux; none elsewhere).
 *
 * @param marker - a string unique to the processes looked for
 * @param where - `cmdline` (the default) or `environ` (`NAME=value\0` finds a variable set to exactly that)
 * @returns them
 */
export function markedProcessList(marker: string, where: 'cmdline' | 'environ' = 'cmdline'): MarkedProcess[] {
  const found: MarkedProcess[] = [];
  for (const name of procPids()) {
    if (Number(name) === process.pid) continue;
    try {
      if (!readFileSync(`/proc/${name}/${where}`, 'latin1').includes(marker)) continue;
      const fields = statFields(name);
      if (fields === undefined || fields[0] === 'Z') continue;
      const command = readFileSync(`/proc/${name}/cmdline`, 'latin1').split('\0').join(' ').trim();
      found.push({ pid: Number(name), ppid: Number(fields[1]), command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/**
 * The running descendants of a process (children, their children, ...), from the parent pids in /proc (Linux;
 * none elsewhere).
 *
 * @param pid - the process
 * @returns their pids
 */
export function descendantsOf(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of procPids()) {
    const fields = statFields(name);
    if (fields === undefined || fields[0] === 'Z') continue;
    const parent = Number(fields[1]);
    children.set(parent, [...(children.get(parent) ?? []), Number(name)]);
  }
  const out: number[] = [];
  for (let queue = [pid]; queue.length > 0; ) {
    const next = children.get(queue.shift() as number) ?? [];
    out.push(...next);
    queue = [...queue, ...next];
  }
  return out;
}
