/** Limits on the measured resources; an absent limit means unlimited. */

import type { ResourceName } from './resource-usage.js';

/**
 * Upper bounds on what a call (or a tool, session or the process) may use. Every field is optional:
 * an absent limit is no limit.
 *
 * @example
 * ```ts
 * import type { ResourceLimits } from '@mcp-resource-guard/core';
 * const limits: ResourceLimits = { maxExecutionTimeMs: 30_000, maxFileHandles: 64 };
 * ```
 */
export interface ResourceLimits {
  /** MiB of memory attributed to the call. */
  readonly maxMemoryMb?: number;
  /** Percent of one core, averaged over the sampling window (may exceed 100 for multi-threaded work). */
  readonly maxCpuPercent?: number;
  /** Files, streams and watchers open at once. */
  readonly maxFileHandles?: number;
  /** Sockets, requests and servers open at once. */
  readonly maxNetworkConnections?: number;
  /** Wall-clock milliseconds from start to end of the call. */
  readonly maxExecutionTimeMs?: number;
  /** MiB in the call's temp directory. */
  readonly maxTempStorageMb?: number;
}

/**
 * The keys of {@link ResourceLimits}.
 *
 * @example
 * ```ts
 * import { createResourceGuard, LIMIT_NAMES, type LimitName } from '@mcp-resource-guard/core';
 * // Limits from the environment: MAX_MEMORY_MB=512, MAX_EXECUTION_TIME_MS=30000, ...
 * const limits: Partial<Record<LimitName, number>> = {};
 * for (const name of LIMIT_NAMES) {
 *   const raw = process.env[name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()];
 *   if (raw !== undefined) limits[name] = Number(raw);
 * }
 * const guard = createResourceGuard({ limits: { perCall: limits } });
 * ```
 */
export type LimitName = keyof ResourceLimits;

/**
 * Which resource each limit bounds.
 *
 * @example
 * ```ts
 * import { LIMITED_RESOURCE } from '@mcp-resource-guard/core/internal';
 * LIMITED_RESOURCE.maxFileHandles; // 'fileHandles'
 * ```
 */
export const LIMITED_RESOURCE: Readonly<Record<LimitName, ResourceName>> = Object.freeze({
  maxMemoryMb: 'memoryMb',
  maxCpuPercent: 'cpuPercent',
  maxFileHandles: 'fileHandles',
  maxNetworkConnections: 'networkConnections',
  maxExecutionTimeMs: 'executionTimeMs',
  maxTempStorageMb: 'tempStorageMb',
});

/**
 * Resources counted in whole items: a limit of N on them allows N (their levels are reached past the fraction of
 * the limit), and may be 0 ("none allowed"). The others are measured quantities. Internal: not in the barrel.
 */
export const COUNTED_RESOURCES: ReadonlySet<ResourceName> = new Set<ResourceName>([
  'fileHandles',
  'networkConnections',
]);

/**
 * Every {@link LimitName}.
 *
 * @example
 * ```ts
 * import { LIMIT_NAMES } from '@mcp-resource-guard/core';
 * LIMIT_NAMES.includes('maxMemoryMb'); // true
 * ```
 */
export const LIMIT_NAMES: readonly LimitName[] = Object.freeze(Object.keys(LIMITED_RESOURCE) as LimitName[]);

/**
 * The tighter of two limit sets, key by key (absent = unlimited).
 *
 * @param outer - e.g. what the server owner set
 * @param inner - e.g. what a tool declares for itself
 * @returns limits no looser than either
 * @example
 * ```ts
 * import { narrowLimits } from '@mcp-resource-guard/core/internal';
 * narrowLimits({ maxFileHandles: 10 }, { maxFileHandles: 50, maxMemoryMb: 64 }); // { maxFileHandles: 10, maxMemoryMb: 64 }
 * ```
 */
export function narrowLimits(outer: ResourceLimits, inner: ResourceLimits): ResourceLimits {
  const out: { -readonly [K in LimitName]?: number } = {};
  for (const name of LIMIT_NAMES) {
    const a = outer[name];
    const b = inner[name];
    const value = a === undefined ? b : b === undefined ? a : Math.min(a, b);
    if (value !== undefined) out[name] = value;
  }
  return out;
}
