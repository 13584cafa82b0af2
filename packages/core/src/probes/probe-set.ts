/** Installs the process-wide probes once, however many guards use them (reference-counted). */

import { installCpuProbe } from './cpu-probe.js';
import { installFsProbe } from './fs-probe.js';
import { installNetProbe } from './net-probe.js';
import { installProcessProbe } from './process-probe.js';
import { installTimerProbe } from './timer-probe.js';

/**
 * Which probes a guard uses. Each is process-wide, shared by every guard, and acts only for code
 * running inside a guarded call.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ProbeOptions } from '@mcp-resource-guard/core';
 * // No per-call CPU timing (async_hooks); files, sockets, timers, processes and memory are still attributed.
 * const probes: ProbeOptions = { cpu: false };
 * const guard = createResourceGuard({ probes });
 * ```
 */
export interface ProbeOptions {
  /** FileHandles, fs.open descriptors, Dir handles, fs streams, fs.watch, fs.watchFile, fs.promises.watch. Default true. */
  readonly files?: boolean;
  /** Sockets, servers, TLS, HTTP requests, fetch, UDP. Default true. */
  readonly network?: boolean;
  /** setTimeout, setInterval, setImmediate, as callbacks and from `node:timers/promises`. Default true. */
  readonly timers?: boolean;
  /** Child processes and worker threads (and child CPU and memory, with `memory`). Default true. */
  readonly processes?: boolean;
  /** Main-thread time per call (async_hooks before/after). Default true. */
  readonly cpu?: boolean;
  /** Apportioned heap growth per call, and child process RSS. Default true. */
  readonly memory?: boolean;
}

type ProbeName = 'files' | 'network' | 'timers' | 'processes' | 'cpu';

const installers: Readonly<Record<ProbeName, () => () => void>> = {
  files: installFsProbe,
  network: installNetProbe,
  timers: installTimerProbe,
  processes: installProcessProbe,
  cpu: installCpuProbe,
};

const active = new Map<ProbeName, { users: number; uninstall: () => void }>();

/**
 * Installs the probes asked for (those not yet installed) and returns the function that releases them;
 * a probe is uninstalled when its last user releases it.
 *
 * @param options - which probes
 * @returns release
 */
export function acquireProbes(options: Required<ProbeOptions>): () => void {
  const names = (Object.keys(installers) as ProbeName[]).filter((name) => options[name]);
  const acquired: ProbeName[] = [];
  try {
    for (const name of names) {
      const entry = active.get(name);
      if (entry !== undefined) entry.users++;
      else active.set(name, { users: 1, uninstall: installers[name]() });
      acquired.push(name);
    }
  } catch (error) {
    releaseProbes(acquired);
    throw error;
  }
  let released = false;
  return () => {
    if (released) return;
    released = true;
    releaseProbes(acquired);
  };
}

function releaseProbes(names: readonly ProbeName[]): void {
  for (const name of names) {
    const entry = active.get(name);
    if (entry === undefined) continue;
    entry.users--;
    if (entry.users === 0) {
      active.delete(name);
      entry.uninstall();
    }
  }
}
