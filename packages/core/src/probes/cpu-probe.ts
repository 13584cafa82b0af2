/**
 * Times every synchronous slice of JavaScript that runs in a call's context (async_hooks before/after). Where
 * AsyncLocalStorage is built on async_hooks (see `loneCallsAllowed`), only while it takes that to tell calls
 * apart: the hook is enabled only while two calls or more are in flight (or a call whose handler outlived it),
 * and for a call that has run alone past the sampler's first tick. A call that runs alone is charged, until then,
 * with the main thread's busy time while it runs (wall time less the event loop's idle time), and the loop
 * watchdog blames a block then on it: no hook fires for the continuations of the process, in or out of the call.
 */

import { type AsyncHook, AsyncLocalStorage, createHook } from 'node:async_hooks';
import { performance } from 'node:perf_hooks';
import { cpuSlices, type SliceOwner, switchSlice } from '../cpu-slices.js';
import type { TrackedCall } from '../tool-call.js';
import type { UsageSource } from '../usage-source.js';
import { currentCall } from './attribution.js';
import { CpuShare } from './cpu-share.js';

/** The loop's idle time so far, in milliseconds (`performance.nodeTiming.idleTime`, ~0.05 µs). */
const nodeTiming = performance.nodeTiming;

/**
 * Whether the hook may be off while a call runs alone. It may where AsyncLocalStorage is built on async_hooks
 * (Node 20 and 22, Node 24 with `--no-async-context-frame`): its own promise hook keeps V8 giving every await a
 * promise, so a continuation scheduled while the hook was off is still seen (`before`/`after`) once it is on.
 * Where AsyncLocalStorage is an AsyncContextFrame (Node 24's default), V8 gives no promise to an await made with
 * no promise hook, and the first continuation of each await pending when the hook came on would run unseen: its
 * time would be no call's and its allocations those of the call holding the window. There the hook stays on.
 */
const loneCallsAllowed =
  typeof (AsyncLocalStorage.prototype as unknown as Record<string, unknown>)._propagate === 'function';

/** The installed probe's state (one per process, shared by every guard with the CPU probe). */
interface CpuProbe {
  readonly hook: AsyncHook;
  /** Whether the hook is enabled (`cpuSlices.enabled` says the same to the call path). */
  on: boolean;
  /** Calls started and not yet ended, of every guard. */
  running: number;
  /** Calls that ended while their handler ran on: their code is still timed. */
  readonly outliving: Set<TrackedCall>;
  /** The call running alone, charged with the loop's busy time since `loneAt` (idle time then: `loneIdle`). */
  lone: SliceOwner | undefined;
  loneAt: number;
  loneIdle: number;
  /** For a fresh stack of owners when the hook is enabled again. */
  reset(): void;
}

let probe: CpuProbe | undefined;

/** Charges the lone call with the loop's busy time since it started running alone. */
function closeLone(p: CpuProbe): void {
  const owner = p.lone;
  if (owner === undefined) return;
  p.lone = undefined;
  if (cpuSlices.watchdog !== undefined) cpuSlices.watchdog[1] = 0;
  const busy = performance.now() - p.loneAt - (nodeTiming.idleTime - p.loneIdle);
  if (busy > 0) owner.sliceMs += busy;
}

function enable(p: CpuProbe): void {
  closeLone(p);
  if (p.on) return;
  p.reset();
  p.on = true;
  cpuSlices.enabled = true;
  p.hook.enable();
}

function disable(p: CpuProbe): void {
  if (!p.on) return;
  p.hook.disable();
  p.on = false;
  cpuSlices.enabled = false;
  switchSlice(undefined);
  p.reset();
}

/** Forgets the calls whose handler has settled since they ended. */
function pruneOutliving(p: CpuProbe): void {
  for (const call of p.outliving) if (!call.handlerRunning) p.outliving.delete(call);
}

/** Whether the hook must stay on with no call running (a handler outlives its call). */
function needsHook(p: CpuProbe): boolean {
  if (p.outliving.size > 0) pruneOutliving(p);
  return p.outliving.size > 0;
}

/**
 * Installs the slice clock; returns the function that uninstalls it.
 *
 * Cost, while the hook is on: one `before` and one `after` callback per async continuation in the process
 * (about 0.1 µs each), plus one clock read for those that run in a call. Promise continuations must be seen,
 * so `trackPromises` stays on (Node ≥ 24.14 would allow turning it off only at the price of missing them).
 * With the hook off (no call in flight, or one call alone before the first sample), nothing per continuation.
 *
 * @returns uninstall
 */
export function installCpuProbe(): () => void {
  let depth = 0;
  const owners: (SliceOwner | undefined)[] = [];
  const hook = createHook({
    before() {
      depth++;
      owners.push(switchSlice(currentCall()?.meter));
    },
    after() {
      if (depth === 0) return;
      depth--;
      switchSlice(owners.pop());
    },
  });
  const p: CpuProbe = {
    hook,
    on: false,
    running: 0,
    outliving: new Set(),
    lone: undefined,
    loneAt: 0,
    loneIdle: 0,
    reset() {
      depth = 0;
      owners.length = 0;
    },
  };
  probe = p;
  cpuSlices.meter = new CpuShare();
  return () => {
    closeLone(p);
    disable(p);
    if (probe === p) probe = undefined;
    cpuSlices.enabled = false;
    cpuSlices.meter = undefined;
    cpuSlices.allocationOwner = undefined;
  };
}

/**
 * A usage source that turns slice time into CPU time (scaled by the main thread's CPU share of the
 * interval, see {@link CpuShare}) and into `cpuPercent`: CPU time added since the previous sample, as
 * a percentage of the wall time between samples. It also tells the slice clock when calls start and end,
 * which turns the hook on and off.
 *
 * @returns the source
 */
export function cpuPercentSource(): UsageSource<TrackedCall> {
  const last = new WeakMap<TrackedCall, { at: number; cpu: number }>();
  /** This guard's calls counted in `running`, given back when it closes. */
  let mine = 0;
  return {
    name: 'cpu',
    callStarted(call) {
      const p = probe;
      if (p === undefined) return;
      mine++;
      if (p.running++ === 0 && !p.on && loneCallsAllowed && !needsHook(p)) {
        p.lone = call.meter;
        p.loneAt = performance.now();
        p.loneIdle = nodeTiming.idleTime;
        // The watchdog blames a block on the call running: while it runs alone, on it.
        if (cpuSlices.watchdog !== undefined) cpuSlices.watchdog[1] = call.numericId;
      } else {
        // A second call: from now on slices tell them apart.
        enable(p);
      }
    },
    callEnded(call) {
      const p = probe;
      if (p === undefined) return;
      if (mine > 0) mine--;
      if (p.running > 0) p.running--;
      if (p.lone === call.meter) closeLone(p);
      // Only where the hook may go off: elsewhere it stays on, and nothing would ever forget the call.
      if (loneCallsAllowed && call.handlerRunning) p.outliving.add(call);
      if (p.running === 0 && p.on && loneCallsAllowed && !needsHook(p)) disable(p);
    },
    sample(calls, now) {
      const p = probe;
      // A call still running alone at a sample: its time is timed slice by slice from now on.
      if (p !== undefined && p.lone !== undefined) enable(p);
      // Forgotten at every sample, not only when no call runs: a server never idle would keep them all.
      if (p !== undefined && p.outliving.size > 0) pruneOutliving(p);
      const factor = cpuSlices.meter?.sample() ?? 1;
      for (const call of calls) {
        call.meter.settleCpu(factor);
        const previous = last.get(call) ?? { at: call.startedAt, cpu: 0 };
        const elapsed = now - previous.at;
        if (elapsed > 0) call.measure('cpuPercent', ((call.meter.cpuTimeMs - previous.cpu) / elapsed) * 100);
        last.set(call, { at: now, cpu: call.meter.cpuTimeMs });
      }
      if (p !== undefined && p.running === 0 && p.on && loneCallsAllowed && !needsHook(p)) disable(p);
    },
    close() {
      const p = probe;
      if (p === undefined) return;
      p.running = Math.max(0, p.running - mine);
      mine = 0;
      if (p.running === 0) {
        closeLone(p);
        if (loneCallsAllowed && !needsHook(p)) disable(p);
      }
    },
  };
}
