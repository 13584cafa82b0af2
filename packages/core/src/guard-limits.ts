/** The `limits` and `tools` options: what each call, each tool, each session and the process may use. */

import type { ResourceLimits } from './resource-limits.js';

/**
 * Limits on the sum over several calls in flight (a tool's, a session's, the process's), and on how many
 * run at once. No `maxExecutionTimeMs`: time is a call's own.
 *
 * @example
 * ```ts
 * import type { AggregateLimits } from '@mcp-resource-guard/core';
 * // All calls of a tool together: 1 GiB, 4 at a time (a fifth waits in the throttle queue).
 * const perTool: AggregateLimits = { maxMemoryMb: 1024, maxConcurrentCalls: 4 };
 * ```
 */
export interface AggregateLimits extends Omit<ResourceLimits, 'maxExecutionTimeMs'> {
  /**
   * Calls in flight at once. One more waits in the scope's throttle queue (`throttle.maxQueue`,
   * `throttle.maxWaitMs`) and is refused with `THROTTLED` when the queue is full or its wait ends.
   */
  readonly maxConcurrentCalls?: number;
}

/**
 * The `limits` option, by scope. An absent limit is no limit.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type GuardLimits } from '@mcp-resource-guard/core';
 * const limits: GuardLimits = {
 *   perCall: { maxExecutionTimeMs: 30_000, maxMemoryMb: 256 }, // each call
 *   perTool: { maxConcurrentCalls: 8 }, // each tool: its calls together
 *   perSession: { maxNetworkConnections: 100 }, // each client session: its calls together
 *   process: { maxMemoryMb: 2048 }, // the whole server (its real RSS)
 * };
 * const guard = createResourceGuard({ limits });
 * ```
 */
export interface GuardLimits {
  /** What each call of any tool may use (unless its entry in `tools` says otherwise). */
  readonly perCall?: ResourceLimits;
  /** What all calls of one tool in flight may use together, for each tool (unless its entry in `tools` says otherwise). */
  readonly perTool?: AggregateLimits;
  /** What all calls of one client session in flight may use together, for each session. */
  readonly perSession?: AggregateLimits;
  /**
   * What the process may use, on real figures: `maxMemoryMb` (RSS), `maxCpuPercent` (all threads),
   * `maxFileHandles` (open descriptors); connections and temp storage are the sums over all calls.
   */
  readonly process?: AggregateLimits;
}

/**
 * One entry of the `tools` option: a tool's own limits, replacing those of `limits.perCall` and
 * `limits.perTool` key by key.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ToolLimits } from '@mcp-resource-guard/core';
 * // A heavy tool: more memory per call, and never more than two at a time.
 * const heavy: ToolLimits = { perCall: { maxMemoryMb: 1024 }, perTool: { maxConcurrentCalls: 2 } };
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 128 } }, tools: { render_pdf: heavy } });
 * ```
 */
export interface ToolLimits {
  /** What each call of the tool may use. */
  readonly perCall?: ResourceLimits;
  /** What all its calls in flight may use together. */
  readonly perTool?: AggregateLimits;
}
