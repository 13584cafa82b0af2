/** Times every synchronous slice of JavaScript that runs in a call's context (async_hooks before/after). */

import { createHook } from 'node:async_hooks';
import { cpuSlices, type SliceOwner, switchSlice } from '../cpu-slices.js';
import type { TrackedCall } from '../tool-call.js';
import type { UsageSource } from '../usage-source.js';
import { currentCall } from './attribution.js';
import { CpuShare } from './cpu-share.js';

/**
 * Installs the slice clock; returns the function that uninstalls it.
 *
 * Cost: one `before` and one `after` callback per async continuation in the process (about 0.1 µs
 * each), plus one clock read for those that run in a call. Promise continuations must be seen, so
 * `trackPromises` stays on (Node ≥ 24.14 would allow turning it off only at the price of missing them).
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
  cpuSlices.meter = new CpuShare();
  cpuSlices.enabled = true;
  hook.enable();
  return () => {
    hook.disable();
    switchSlice(undefined);
    cpuSlices.enabled = false;
    cpuSlices.meter = undefined;
    cpuSlices.allocationOwner = undefined;
    depth = 0;
    owners.length = 0;
  };
}

/**
 * A usage source that turns slice time into CPU time (scaled by the main thread's CPU share of the
 * interval, see {@link CpuShare}) and into `cpuPercent`: CPU time added since the previous sample, as
 * a percentage of the wall time between samples.
 *
 * @returns the source
 */
export function cpuPercentSource(): UsageSource<TrackedCall> {
  const last = new WeakMap<TrackedCall, { at: number; cpu: number }>();
  return {
    name: 'cpu',
    sample(calls, now) {
      const factor = cpuSlices.meter?.sample() ?? 1;
      for (const call of calls) {
        call.meter.settleCpu(factor);
        const previous = last.get(call) ?? { at: call.startedAt, cpu: 0 };
        const elapsed = now - previous.at;
        if (elapsed > 0) call.measure('cpuPercent', ((call.meter.cpuTimeMs - previous.cpu) / elapsed) * 100);
        last.set(call, { at: now, cpu: call.meter.cpuTimeMs });
      }
    },
  };
}
