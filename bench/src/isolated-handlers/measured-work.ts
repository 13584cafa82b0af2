/**
 * The isolation scenario's attribution tool, run in a worker of its own: work whose CPU and memory are known. A call
 * with `settle` drops what the previous call kept and collects the heap (the process runs with `--expose-gc`), so
 * that the next call starts on a settled heap. A measured call keeps `holdMb` MiB of small integers on the JS heap
 * (kept after it returns, until the next `settle`: retained when the guard reads the heap at the call's end),
 * collects the heap again (its garbage gone), then burns CPU until its own thread's clock has advanced `cpuMs`; it
 * returns the thread CPU time it spent from its first statement to its last, and the bytes it keeps: the truth the
 * guard's figures are compared with.
 */

import { openSync, readSync } from 'node:fs';

/** Its arguments. */
export interface MeasuredWorkArgs {
  readonly settle?: boolean;
  readonly cpuMs?: number;
  readonly holdMb?: number;
}

/** What a measured call returns as `structuredContent`. */
export interface MeasuredWorkTruth {
  /** Thread CPU time from the handler's first statement to its last, in ms. */
  readonly cpuMs: number;
  /** The payload kept: 8-byte slots, in bytes. */
  readonly heldBytes: number;
  /** Which clock measured `cpuMs`. */
  readonly clock: 'threadCpuUsage' | 'schedstat';
}

type ThreadCpuUsage = () => { user: number; system: number };
const threadCpuUsage = (process as { threadCpuUsage?: ThreadCpuUsage }).threadCpuUsage;

/** The thread's schedstat, opened once and read in place: a reading allocates nothing (no garbage in the figure). */
const schedstat = threadCpuUsage === undefined ? openSync('/proc/thread-self/schedstat', 'r') : -1;
const schedstatBytes = new Uint8Array(64);

/** This thread's CPU time, in ms: `process.threadCpuUsage()` (Node ≥ 22.19, 23.9), else the thread's schedstat (Linux). */
function threadCpuMs(): number {
  if (threadCpuUsage !== undefined) {
    const { user, system } = threadCpuUsage.call(process);
    return (user + system) / 1000;
  }
  const n = readSync(schedstat, schedstatBytes, 0, schedstatBytes.length, 0);
  let ns = 0;
  for (let i = 0; i < n; i++) {
    const digit = (schedstatBytes[i] as number) - 48;
    if (digit < 0 || digit > 9) break;
    ns = ns * 10 + digit;
  }
  return ns / 1e6;
}

/** A full collection (the process runs with --expose-gc, a V8 flag its workers share). */
function settleHeap(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('measured-work needs the process started with --expose-gc');
  gc();
}

/**
 * Elements per MiB: small integers, one 8-byte slot each (Node's builds have no pointer compression). Filled with a
 * small integer, the array keeps the backing store it was made with; filled with a double, V8 would first make a
 * backing store of tagged slots and then one of doubles (until the allocation site learns), leaving the first as
 * garbage in the figure.
 */
const SLOTS = 131_072;
/** What the last measured call keeps, until the next `settle`. */
const kept: { arrays: number[][] } = { arrays: [] };

/**
 * The handler.
 *
 * @param args - settle, or the CPU and memory of a measured call
 * @returns the truth of a measured call as `structuredContent`
 */
export default function measuredWork(args: MeasuredWorkArgs): {
  content: { type: 'text'; text: string }[];
  structuredContent?: MeasuredWorkTruth;
} {
  if (args.settle === true) {
    kept.arrays = [];
    settleHeap();
    return { content: [{ type: 'text', text: 'settled' }] };
  }
  const start = threadCpuMs();
  const holdMb = args.holdMb ?? 0;
  const cpuMs = args.cpuMs ?? 0;
  const hold: number[][] = [];
  for (let i = 0; i < holdMb; i++) hold.push(new Array<number>(SLOTS).fill(i));
  kept.arrays = hold;
  // The heap settled inside the call: what the guard reads at its end is what it keeps, and the collector's work for
  // it is on the call's clock before its last reading here.
  if (holdMb > 0) settleHeap();
  // Integer work (xorshift steps on small integers: nothing allocated, even before the loop is optimised, where
  // floating-point sums would box each step's number), the clock read every ~0.05 ms of it.
  let x = 0x9e3779b9 | 0;
  while (threadCpuMs() - start < cpuMs) {
    for (let i = 0; i < 50_000; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
    }
  }
  const spent = threadCpuMs() - start;
  return {
    content: [{ type: 'text', text: String(x & 1) }],
    structuredContent: {
      cpuMs: spent,
      heldBytes: holdMb * SLOTS * 8,
      clock: threadCpuUsage === undefined ? 'schedstat' : 'threadCpuUsage',
    },
  };
}
