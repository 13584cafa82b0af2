/** The six resources of the specification, plus CPU time, as measured for one call, tool, session or the process. */

/**
 * What a call (or a tool, session or the process) uses at one moment.
 *
 * @example
 * ```ts
 * import type { ResourceUsage } from '@mcp-resource-guard/core';
 * const usage: ResourceUsage = { memoryMb: 12, cpuPercent: 40, cpuTimeMs: 8, fileHandles: 1, networkConnections: 0, executionTimeMs: 20, tempStorageMb: 0 };
 * ```
 */
export interface ResourceUsage {
  /** Memory attributed to the call, in MiB (see the README for how it is apportioned). */
  readonly memoryMb: number;
  /** CPU use as a percentage of one core, averaged over the call so far. */
  readonly cpuPercent: number;
  /** CPU time attributed to the call, in milliseconds. */
  readonly cpuTimeMs: number;
  /** Files, streams and watchers the call holds open right now. */
  readonly fileHandles: number;
  /** Sockets, requests and servers the call holds open right now. */
  readonly networkConnections: number;
  /** Wall-clock time since the call started, in milliseconds (monotonic clock). */
  readonly executionTimeMs: number;
  /** Apparent size of the call's temp directory, in MiB. */
  readonly tempStorageMb: number;
}

/**
 * The names of the measured resources, as used in limits, events and metrics.
 *
 * @example
 * ```ts
 * import { getCallContext, type ResourceName } from '@mcp-resource-guard/core';
 * // Inside a tool: report selected resources by name.
 * function report(...names: ResourceName[]): string {
 *   const usage = getCallContext().usage();
 *   return names.map((name) => `${name}=${usage[name].toFixed(1)}`).join(' ');
 * }
 * console.error(report('memoryMb', 'cpuTimeMs', 'executionTimeMs'));
 * ```
 */
export type ResourceName = keyof ResourceUsage;

/**
 * Every {@link ResourceName}, in the specification's order.
 *
 * @example
 * ```ts
 * import { RESOURCE_NAMES } from '@mcp-resource-guard/core';
 * for (const name of RESOURCE_NAMES) console.log(name);
 * ```
 */
export const RESOURCE_NAMES: readonly ResourceName[] = Object.freeze([
  'memoryMb',
  'cpuPercent',
  'cpuTimeMs',
  'fileHandles',
  'networkConnections',
  'executionTimeMs',
  'tempStorageMb',
]);

/**
 * A usage with every resource at zero.
 *
 * @example
 * ```ts
 * import { ZERO_USAGE } from '@mcp-resource-guard/core/internal';
 * const u = { ...ZERO_USAGE, executionTimeMs: 5 };
 * ```
 */
export const ZERO_USAGE: ResourceUsage = Object.freeze({
  memoryMb: 0,
  cpuPercent: 0,
  cpuTimeMs: 0,
  fileHandles: 0,
  networkConnections: 0,
  executionTimeMs: 0,
  tempStorageMb: 0,
});

/**
 * The measured resources a source may set on a call (the guard counts handles and execution time itself).
 *
 * @example
 * ```ts
 * import { createResourceGuard, type MeasuredResource, type UsageSource } from '@mcp-resource-guard/core';
 * // Bytes each call holds in a cache the tools fill, by call id, measured as the calls' memory.
 * const cacheBytes = new Map<string, number>();
 * const resource: MeasuredResource = 'memoryMb';
 * const cacheSource: UsageSource = {
 *   name: 'cache',
 *   sample(calls) {
 *     for (const call of calls) call.measure(resource, (cacheBytes.get(call.callId) ?? 0) / 1024 / 1024);
 *   },
 *   callEnded(call) {
 *     cacheBytes.delete(call.callId);
 *   },
 * };
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 64 } }, sources: [cacheSource] });
 * ```
 */
export type MeasuredResource = 'memoryMb' | 'cpuTimeMs' | 'cpuPercent' | 'tempStorageMb';
