/**
 * A child process and every process it started, found in /proc (Linux) and signalled as one: the tree is
 * first frozen (SIGSTOP, rescanning until no new descendant appears), so that nothing forked between the
 * scan and the signal escapes, then signalled, then continued. Where /proc is unavailable only the child
 * itself is signalled.
 */

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { nativeSetTimeout } from './native-timers.js';

/**
 * How long a freeze may take before the tree is signalled anyway, in milliseconds. A freeze normally
 * settles within a few rounds of ~1 ms; this bounds it for a process that cannot stop (blocked in the
 * kernel) so that it never outlasts a cleanup step.
 */
const FREEZE_BUDGET_MS = 50;
/** Rounds a freeze may take whatever the time, for a loop too busy to run them within the budget. */
const MIN_FREEZE_ROUNDS = 5;
/** A bound on the size of a tree, against runaway forking. */
const MAX_TREE = 10_000;

/**
 * Where a process sleeps in the kernel (`/proc/<pid>/wchan`) when it waits in vfork() for its child to
 * exec or exit. Names differ between kernel versions (`wait_for_vfork_done` is often inlined).
 */
const VFORK_WAITS = new Set(['kernel_clone', '_do_fork', 'do_fork', 'wait_for_vfork_done']);

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
 * Whether a process can no longer start a child (until it is continued): stopped, dead, or waiting in
 * vfork() for a child that already exists. A vfork parent (dash, posix_spawn) cannot stop until its child
 * has exec'd or exited, so a child stopped before its exec holds it in the kernel: it counts as frozen,
 * since on waking it takes its pending stop before it runs any code.
 */
function cannotFork(pid: number): boolean {
  const state = readStat(pid)?.state ?? 'X';
  if (STOPPED_OR_DEAD.has(state)) return true;
  if (state !== 'D') return false;
  try {
    return VFORK_WAITS.has(readFileSync(`/proc/${pid}/wchan`, 'utf8').trim());
  } catch {
    return false;
  }
}

/** Whether a `/proc/<pid>[/task/<tid>]/status` text's `SigBlk` mask holds signal number `signo`. */
function maskBlocks(status: string, signo: number): boolean {
  const hex = /^SigBlk:\s*([0-9a-f]+)$/m.exec(status)?.[1];
  if (hex === undefined) return false;
  return ((BigInt(`0x${hex}`) >> BigInt(signo - 1)) & 1n) === 1n;
}

/**
 * Whether a process blocks `signal` in every thread, so that continuing it would let it run on (and fork)
 * with the signal pending. dash blocks every signal around vfork(); a program reading signals from a
 * signalfd blocks them always.
 */
function blocksSignal(pid: number, signal: NodeJS.Signals): boolean {
  const signo = constants.signals[signal];
  try {
    if (!maskBlocks(readFileSync(`/proc/${pid}/status`, 'utf8'), signo)) return false;
    // The main thread blocks it; a process-directed signal still goes to any thread that does not.
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      if (!maskBlocks(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'), signo)) return false;
    }
    return true;
  } catch {
    return false; // gone
  }
}

/** What {@link ProcessTree.signal} did. */
export interface TreeSignalResult {
  /** Processes signalled. */
  readonly signalled: number;
  /** Of those, processes sent SIGKILL instead of the signal asked for, because they blocked it. */
  readonly killedBlocking: number;
  /**
   * Whether the whole tree was frozen when it was signalled. False when a process could not be stopped
   * within the freeze budget: it was signalled all the same, but a child it started meanwhile may have
   * been missed.
   */
  readonly frozen: boolean;
}

/** Test seam: runs between the check of a freeze round and its scan, to widen the window a race needs. */
export type FreezeRoundHook = () => void;

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

  readonly #afterCheck: FreezeRoundHook | undefined;

  /**
   * @param root - the child's pid (its own process, not yet reaped)
   * @param afterCheck - test seam, called in each freeze round between its check and its scan
   */
  constructor(root: number, afterCheck?: FreezeRoundHook) {
    this.#root = root;
    this.#afterCheck = afterCheck;
  }

  /**
   * Freezes the tree, sends `signal` to every process in it, then continues them (a stopped process
   * acts on a pending SIGTERM only once continued). A process that blocks `signal` gets SIGKILL instead.
   * Without /proc, signals the root alone.
   *
   * @param signal - SIGTERM or SIGKILL
   * @returns how many processes were signalled, and whether the tree was wholly frozen
   */
  async signal(signal: NodeJS.Signals): Promise<TreeSignalResult> {
    if (!hasProc()) {
      return { signalled: send(this.#root, signal) ? 1 : 0, killedBlocking: 0, frozen: false };
    }
    const frozen = await this.#freeze();
    const members = this.#live();
    let signalled = 0;
    let killedBlocking = 0;
    for (const pid of members) {
      // Continued with the signal blocked, a process runs on: it could fork, then die of the signal once
      // it unblocks it, and its child would outlive the tree. It gets SIGKILL, as it would after the grace.
      const blocked = signal !== 'SIGKILL' && blocksSignal(pid, signal);
      if (send(pid, blocked ? 'SIGKILL' : signal)) {
        signalled++;
        if (blocked) killedBlocking++;
      }
    }
    for (const pid of members) send(pid, 'SIGCONT');
    return { signalled, killedBlocking, frozen };
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

  /** Remembers and stops a process of the tree; false if it is already gone (or the tree is full). */
  #remember(pid: number): boolean {
    const stat = readStat(pid);
    if (stat === undefined || this.#known.size >= MAX_TREE) return false;
    this.#known.set(pid, stat.start);
    if (!send(pid, 'SIGSTOP')) this.#unstoppable.add(pid);
    return true;
  }

  /**
   * SIGSTOP to every process of the tree, rescanning until a scan finds nothing new after a check that
   * every process had stopped. The check comes first: a process that could no longer fork when checked has
   * all its children in the scan that follows, whereas one checked after the scan may have forked in
   * between. Gives up after {@link FREEZE_BUDGET_MS} (and at least {@link MIN_FREEZE_ROUNDS} rounds).
   *
   * @returns whether the tree was wholly frozen
   */
  async #freeze(): Promise<boolean> {
    if (!this.#known.has(this.#root)) this.#remember(this.#root);
    // Processes already known were continued after an earlier signal: stop them again.
    for (const pid of this.#live()) if (!send(pid, 'SIGSTOP')) this.#unstoppable.add(pid);
    const deadline = performance.now() + FREEZE_BUDGET_MS;
    for (let round = 1; ; round++) {
      const settled = this.#live().every((pid) => this.#unstoppable.has(pid) || cannotFork(pid));
      this.#afterCheck?.();
      const children = childLister();
      let found = false;
      for (const pid of this.#live()) {
        for (const child of children(pid)) {
          if (!this.#known.has(child) && this.#remember(child)) found = true;
        }
      }
      if (settled && !found) return true;
      if (round >= MIN_FREEZE_ROUNDS && performance.now() >= deadline) return false;
      // A stop lands when the process is next scheduled; a running process may still fork until then.
      if (!settled) await new Promise((resolve) => nativeSetTimeout(resolve, 1));
    }
  }
}
