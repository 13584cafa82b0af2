/**
 * A child process and every process it started, found in /proc (Linux) and signalled as one: the tree is
 * first frozen (SIGSTOP, rescanning until no new descendant appears), so that nothing forked between the
 * scan and the signal escapes, then signalled, then continued. Where /proc is unavailable only the child
 * itself is signalled.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { nativeSetTimeout } from './native-timers.js';

/** How many scan rounds a freeze may take (each waits ~1 ms for stops to land) before signalling anyway. */
const MAX_FREEZE_ROUNDS = 100;
/** A bound on the size of a tree, against runaway forking. */
const MAX_TREE = 10_000;

interface ProcStat {
  readonly state: string;
  readonly ppid: number;
  /** Start time in clock ticks since boot: with the pid, identifies one process (pids are reused). */
  readonly start: string;
}

/** Parses `/proc/<pid>/stat`; undefined once the process is gone (reaped). */
function readStat(pid: number | string): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command, in parentheses, may hold spaces: fields are counted after its closing parenthesis.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', ppid: Number(fields[1]), start: fields[19] ?? '' };
}

const hasProc = (): boolean => existsSync('/proc/self/stat');
/** Whether `/proc/<pid>/task/<tid>/children` exists (CONFIG_PROC_CHILDREN). */
const hasChildrenFiles = (): boolean => existsSync(`/proc/self/task/${process.pid}/children`);

/** The direct children of `pid`, from its tasks' `children` files. */
function childrenFromFiles(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    let children: string;
    try {
      children = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8');
    } catch {
      continue;
    }
    for (const token of children.split(' ')) {
      const child = Number(token);
      if (Number.isSafeInteger(child) && child > 0) out.push(child);
    }
  }
  return out;
}

/** Every process's children, from one pass over `/proc/<n>/stat`: slower, works wherever /proc does. */
function childrenTable(): Map<number, number[]> {
  const byParent = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return byParent;
  }
  for (const name of entries) {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid)) continue;
    const stat = readStat(name);
    if (stat === undefined) continue;
    const siblings = byParent.get(stat.ppid);
    if (siblings === undefined) byParent.set(stat.ppid, [pid]);
    else siblings.push(pid);
  }
  return byParent;
}

/** A way to list children, fixed for one scan (the fallback reads all of /proc once). */
function childLister(): (pid: number) => number[] {
  if (hasChildrenFiles()) return childrenFromFiles;
  const table = childrenTable();
  return (pid) => table.get(pid) ?? [];
}

/**
 * The pids of a process's descendants, deepest last (Linux; empty where /proc is unavailable).
 *
 * @param pid - the root process
 * @returns descendant pids
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * const shell = spawn('sh', ['-c', 'sleep 60 & sleep 60']);
 * setTimeout(() => console.error(scanDescendants(shell.pid ?? 0)), 100); // the two sleeps
 * ```
 */
export function scanDescendants(pid: number): number[] {
  if (!hasProc()) return [];
  const children = childLister();
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0 && out.length < MAX_TREE) {
    for (const child of children(queue.shift() as number)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

function send(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    // Gone, or not ours to signal.
    return false;
  }
}

const STOPPED_OR_DEAD = new Set(['T', 't', 'Z', 'X', 'x']);

/**
 * A child process and its descendants, signalled as one. Every process found is remembered with its
 * start time, so that one that outlives its parent (re-parented to init) is still found and signalled,
 * and a reused pid never is.
 *
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * const child = spawn('sh', ['-c', 'while :; do sleep 60 & sleep 0.01; done']);
 * const tree = new ProcessTree(child.pid ?? 0);
 * await tree.signal('SIGKILL'); // the shell and every sleep it started, none escaping
 * ```
 */
export class ProcessTree {
  readonly #root: number;
  /** Processes of the tree: pid → start time. */
  readonly #known = new Map<number, string>();
  /** Processes a stop could not be sent to (gone, or not ours): not waited for. */
  readonly #unstoppable = new Set<number>();

  /**
   * @param root - the child's pid (its own process, not yet reaped)
   */
  constructor(root: number) {
    this.#root = root;
  }

  /**
   * Freezes the tree, sends `signal` to every process in it, then continues them (a stopped process
   * acts on a pending SIGTERM only once continued). Without /proc, signals the root alone.
   *
   * @param signal - SIGTERM or SIGKILL
   */
  async signal(signal: NodeJS.Signals): Promise<void> {
    if (!hasProc()) {
      send(this.#root, signal);
      return;
    }
    await this.#freeze();
    const members = this.#live();
    for (const pid of members) send(pid, signal);
    for (const pid of members) send(pid, 'SIGCONT');
  }

  /** Whether every process of the tree seen so far is gone (exited; a zombie counts as gone). */
  allGone(): boolean {
    for (const pid of this.#live()) {
      const stat = readStat(pid);
      if (stat !== undefined && stat.state !== 'Z' && stat.state !== 'X') return false;
    }
    return true;
  }

  /** The remembered processes still running under the same identity; forgets the others. */
  #live(): number[] {
    const out: number[] = [];
    for (const [pid, start] of this.#known) {
      const stat = readStat(pid);
      if (stat === undefined || stat.start !== start) this.#known.delete(pid);
      else out.push(pid);
    }
    return out;
  }

  #remember(pid: number): void {
    const stat = readStat(pid);
    if (stat === undefined || this.#known.size >= MAX_TREE) return;
    this.#known.set(pid, stat.start);
    if (!send(pid, 'SIGSTOP')) this.#unstoppable.add(pid);
  }

  /** SIGSTOP to every process of the tree, rescanning until no new one appears and all have stopped. */
  async #freeze(): Promise<void> {
    if (!this.#known.has(this.#root)) this.#remember(this.#root);
    // Processes already known were continued after an earlier signal: stop them again.
    for (const pid of this.#live()) if (!send(pid, 'SIGSTOP')) this.#unstoppable.add(pid);
    for (let round = 0; round < MAX_FREEZE_ROUNDS; round++) {
      const children = childLister();
      let found = false;
      for (const pid of this.#live()) {
        for (const child of children(pid)) {
          if (this.#known.has(child)) continue;
          this.#remember(child);
          found = true;
        }
      }
      const stopped = this.#live().every(
        (pid) => this.#unstoppable.has(pid) || STOPPED_OR_DEAD.has(readStat(pid)?.state ?? 'X'),
      );
      if (stopped && !found) return;
      // A stop lands when the process is next scheduled; a running process may still fork until then.
      if (!stopped) await new Promise((resolve) => nativeSetTimeout(resolve, 1));
    }
  }
}
