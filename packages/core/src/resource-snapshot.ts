/** A point-in-time record of resources, taken before every cleanup or recovery action. */

import { readdirSync } from 'node:fs';
import type { HandleKind } from './handle-kind.js';
import type { ResourceUsage } from './resource-usage.js';

/**
 * Process-wide figures at one moment.
 *
 * @example
 * ```ts
 * import { processSnapshot } from '@mcp-resource-guard/core';
 * console.error(processSnapshot().rssMb);
 * ```
 */
export interface ProcessSnapshot {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly externalMb: number;
  /** Open file descriptors of the process (from /proc/self/fd), or undefined where unavailable. */
  readonly openFds: number | undefined;
  /** CPU time of the process since it started (user + system, all threads), in milliseconds. */
  readonly cpuTimeMs: number;
}

/**
 * Resources at one moment, around one call: the call, its tool, and the process.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ResourceSnapshot } from '@mcp-resource-guard/core';
 * function log(s: ResourceSnapshot): void {
 *   const fds = s.process.openFds ?? '?';
 *   console.error(`${s.call?.callId ?? '-'}: rss ${s.process.rssMb.toFixed(0)} MiB, ${fds} fds`, s.call?.handles);
 * }
 * // The audit trail carries the snapshot taken before each cleanup or recovery.
 * createResourceGuard({ audit: { sink: { write: (entry) => entry.snapshot && log(entry.snapshot) } } });
 * ```
 */
export interface ResourceSnapshot {
  /** Wall-clock time, milliseconds since the epoch. */
  readonly time: number;
  readonly call?: {
    readonly callId: string;
    readonly usage: ResourceUsage;
    readonly handles: Readonly<Partial<Record<HandleKind, number>>>;
  };
  readonly tool?: { readonly name: string; readonly inFlight: number };
  readonly process: ProcessSnapshot;
}

const MB = 1024 * 1024;

/**
 * Counts the process's open file descriptors.
 *
 * @returns the count, or undefined where /proc is unavailable
 * @example
 * ```ts
 * import { openFdCount } from '@mcp-resource-guard/core';
 * const before = openFdCount();
 * ```
 */
export function openFdCount(): number | undefined {
  try {
    // The directory listing itself holds one fd while it is read.
    return readdirSync('/proc/self/fd').length - 1;
  } catch {
    return undefined;
  }
}

/**
 * Reads the process-wide figures (about 40 µs: memoryUsage, cpuUsage and a /proc listing).
 *
 * @returns the figures now
 * @example
 * ```ts
 * import { processSnapshot } from '@mcp-resource-guard/core';
 * const { rssMb, openFds } = processSnapshot();
 * ```
 */
export function processSnapshot(): ProcessSnapshot {
  const memory = process.memoryUsage();
  const cpu = process.cpuUsage();
  return {
    rssMb: memory.rss / MB,
    heapUsedMb: memory.heapUsed / MB,
    externalMb: memory.external / MB,
    openFds: openFdCount(),
    cpuTimeMs: (cpu.user + cpu.system) / 1000,
  };
}
