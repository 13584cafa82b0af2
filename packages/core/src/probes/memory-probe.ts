/**
 * Memory per call. One isolate cannot say which call holds what, so the growth of the JS heap (plus
 * external memory) between two samples is apportioned among the calls in flight by how much the heap grew
 * while each one's code ran in that interval (the allocation windows of `cpu-slices.ts`; by their share
 * of main-thread time when no window saw growth, or without the CPU probe); a call's figure is its
 * accumulated share, never below zero. Child processes the call started are measured exactly (their RSS,
 * see child-usage.ts), and so is their CPU.
 */

import { cpuSlices, heapBytes, passAllocationWindow } from '../cpu-slices.js';
import type { TrackedCall } from '../tool-call.js';
import type { UsageSource } from '../usage-source.js';
import { readChildUsage } from './child-usage.js';
import { childrenOf } from './process-probe.js';

const MB = 1024 * 1024;

/** Memory sources open in the process: allocation windows are kept while there is one. */
let memorySources = 0;

interface CallMemory {
  /** Apportioned heap growth since the call started, in bytes. */
  heap: number;
  /** CPU time of the call at the previous sample, for the share. */
  cpu: number;
  /** Its allocated bytes at the previous sample, for the share. */
  allocated: number;
  /** RSS of its live children at the last reading, in bytes. */
  childRss: number;
  /** True until its first sample: the interval it started in began before it did. */
  fresh: boolean;
}

/**
 * The memory source. With `children` on, each sample also reads the call's child processes (async;
 * the figures land on the next sample).
 *
 * @param options - whether to measure child processes
 * @returns the source
 */
export function memorySource(options: { children: boolean }): UsageSource<TrackedCall> {
  const state = new WeakMap<TrackedCall, CallMemory>();
  const childCpu = new WeakMap<object, number>();
  let lastTotal: number | undefined;
  /** Calls started and not yet ended. */
  let live = 0;
  /**
   * Garbage of ended calls: what they were charged with when they ended, until the heap is seen to free it.
   * Memory the heap frees beyond what the calls in flight grew it by is taken from here first, so that the
   * collection of an ended call's garbage is not taken from the calls that run while it happens.
   */
  let garbage = 0;
  /** The heap's size once all of `garbage` is freed: the pool can never be more than the heap holds above it. */
  let garbageFloor = 0;
  const capGarbage = (total: number): void => {
    if (garbage > 0) garbage = Math.min(garbage, Math.max(0, total - garbageFloor));
  };
  memorySources++;
  cpuSlices.allocation = true;
  /** The children's reading in flight, if any (one at a time; `close()` waits for it). */
  let reading: Promise<void> | undefined;

  const readChildren = (calls: readonly TrackedCall[]): void => {
    if (reading !== undefined) return;
    const byPid = new Map<number, { call: TrackedCall; child: object }>();
    for (const call of calls) {
      const children = childrenOf(call);
      if (children === undefined) continue;
      for (const child of children) if (child.pid !== undefined) byPid.set(child.pid, { call, child });
    }
    if (byPid.size === 0) return;
    reading = readChildUsage([...byPid.keys()]).then(
      (usage) => {
        reading = undefined;
        const rss = new Map<TrackedCall, number>();
        for (const [pid, stat] of usage) {
          const owner = byPid.get(pid);
          if (owner === undefined) continue;
          rss.set(owner.call, (rss.get(owner.call) ?? 0) + stat.rssBytes);
          const before = childCpu.get(owner.child) ?? 0;
          if (stat.cpuMs > before && !owner.call.ended) owner.call.meter.childCpuMs += stat.cpuMs - before;
          childCpu.set(owner.child, stat.cpuMs);
        }
        for (const [call, bytes] of rss) {
          const s = state.get(call);
          if (s !== undefined) s.childRss = bytes;
        }
      },
      () => {
        reading = undefined;
      },
    );
  };

  return {
    name: 'memory',
    callStarted(call) {
      // Started with no other call in flight: whatever the heap did since the last sample (garbage of
      // calls that have ended, collected since) is nobody's, and the new call's growth counts from here. With
      // the slice clock on, the same reading hands it the allocation window (its first slice then reads nothing).
      if (live++ === 0) {
        lastTotal =
          cpuSlices.allocation && cpuSlices.meter !== undefined ? passAllocationWindow(call.meter) : heapBytes();
        capGarbage(lastTotal);
      }
    },
    callEnded(call) {
      if (live > 0) live--;
      const s = state.get(call);
      if (s === undefined || s.heap <= 0) return;
      // What it held is garbage now, unless the server keeps it (then the heap never frees it, and the pool
      // only lends it to calls that free as much).
      garbage += s.heap;
      garbageFloor = heapBytes() - garbage;
    },
    sample(calls) {
      // Brings the window's holder up to date with the same reading.
      const total = cpuSlices.allocation ? passAllocationWindow(cpuSlices.allocationOwner) : heapBytes();
      let growth = lastTotal === undefined ? 0 : total - lastTotal;
      lastTotal = total;
      capGarbage(total);
      let cpuSum = 0;
      let allocatedSum = 0;
      const running: { call: TrackedCall; s: CallMemory; cpu: number; allocated: number }[] = [];
      for (const call of calls) {
        // A call measured exactly (in a worker of its own) takes no share of this thread's heap.
        if (call.ended || call.meter.exact) continue;
        let s = state.get(call);
        if (s === undefined) {
          s = { heap: 0, cpu: call.meter.cpuTimeMs, allocated: 0, childRss: 0, fresh: true };
          state.set(call, s);
        }
        const cpu = Math.max(0, call.meter.cpuTimeMs - s.cpu);
        s.cpu = call.meter.cpuTimeMs;
        cpuSum += cpu;
        const allocated = Math.max(0, call.meter.allocatedBytes - s.allocated);
        s.allocated = call.meter.allocatedBytes;
        allocatedSum += allocated;
        running.push({ call, s, cpu, allocated });
      }
      if (garbage > 0) {
        // The heap freed this much beyond what the running calls' code grew it by: ended calls' garbage first.
        const theirs = Math.min(garbage, Math.max(0, allocatedSum - growth));
        garbage -= theirs;
        growth += theirs;
      }
      for (const { call, s, cpu, allocated } of running) {
        const share = allocatedSum > 0 ? allocated / allocatedSum : cpuSum > 0 ? cpu / cpuSum : 1 / running.length;
        const delta = growth * share;
        // A call's first interval began before the call: memory freed then (garbage of calls that have
        // ended, collected now) is not the new call's to be credited with.
        if (!(s.fresh && delta < 0)) s.heap = Math.max(0, s.heap + delta);
        s.fresh = false;
        call.measure('memoryMb', (s.heap + s.childRss) / MB);
      }
      if (options.children) readChildren(calls);
    },
    async close() {
      if (--memorySources === 0) {
        cpuSlices.allocation = false;
        cpuSlices.allocationOwner = undefined;
      }
      // Its descriptors are closed when it settles.
      await reading;
    },
  };
}
