/** A sliding window of finished calls' usage per tool, for percentiles and adaptive limits. */

import { RESOURCE_NAMES, type ResourceName, type ResourceUsage } from './resource-usage.js';

/**
 * Percentiles of one resource over the window.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type UsagePercentiles } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * const time: UsagePercentiles | undefined = guard.snapshot().tools.search?.history.executionTimeMs;
 * if (time) console.error(`search: p50 ${time.p50} ms, p99 ${time.p99} ms, peak ${time.peak} ms`);
 * ```
 */
export interface UsagePercentiles {
  readonly p50: number;
  readonly p99: number;
  readonly peak: number;
}

/**
 * Percentiles per resource, over the last `samples` finished calls.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type UsageHistorySnapshot } from '@mcp-resource-guard/core';
 * // Suggest per-call limits from what calls really used: twice the p99.
 * function suggestLimits(history: UsageHistorySnapshot) {
 *   if (history.samples < 30) return undefined;
 *   return {
 *     maxMemoryMb: Math.ceil(history.memoryMb.p99 * 2),
 *     maxExecutionTimeMs: Math.ceil(history.executionTimeMs.p99 * 2),
 *   };
 * }
 * const search = createResourceGuard().snapshot().tools.search;
 * if (search) console.error(suggestLimits(search.history));
 * ```
 */
export type UsageHistorySnapshot = { readonly samples: number } & {
  readonly [K in ResourceName]: UsagePercentiles;
};

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return 0;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[index] as number;
}

/**
 * A ring buffer of the last `capacity` finished calls' usage: 8 bytes per resource per call.
 *
 * @example
 * ```ts
 * const h = new UsageHistory(128);
 * h.add(record.usage);
 * h.percentile('memoryMb', 0.99);
 * ```
 */
export class UsageHistory {
  readonly #capacity: number;
  readonly #columns: Record<ResourceName, Float64Array>;
  #next = 0;
  #count = 0;
  /** The last snapshot, until the next `add()`: a metrics collection of an idle tool sorts nothing. */
  #snapshot: UsageHistorySnapshot | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
    const columns = {} as Record<ResourceName, Float64Array>;
    for (const name of RESOURCE_NAMES) columns[name] = new Float64Array(capacity);
    this.#columns = columns;
  }

  /** Finished calls in the window. */
  get count(): number {
    return this.#count;
  }

  /**
   * Adds one finished call.
   *
   * @param usage - what it used
   */
  add(usage: ResourceUsage): void {
    for (const name of RESOURCE_NAMES) this.#columns[name][this.#next] = usage[name];
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#count < this.#capacity) this.#count++;
    this.#snapshot = undefined;
  }

  #sorted(name: ResourceName): Float64Array {
    return this.#columns[name].slice(0, this.#count).sort();
  }

  /**
   * One percentile of one resource over the window.
   *
   * @param name - the resource
   * @param q - the quantile, 0..1
   * @returns the value (0 when empty)
   */
  percentile(name: ResourceName, q: number): number {
    return percentile(this.#sorted(name), q);
  }

  /** @returns p50, p99 and peak of every resource */
  snapshot(): UsageHistorySnapshot {
    if (this.#snapshot !== undefined) return this.#snapshot;
    const out: Record<string, unknown> = { samples: this.#count };
    for (const name of RESOURCE_NAMES) {
      const sorted = this.#sorted(name);
      out[name] = Object.freeze({
        p50: percentile(sorted, 0.5),
        p99: percentile(sorted, 0.99),
        peak: sorted.length === 0 ? 0 : (sorted[sorted.length - 1] as number),
      });
    }
    this.#snapshot = Object.freeze(out) as UsageHistorySnapshot;
    return this.#snapshot;
  }
}
