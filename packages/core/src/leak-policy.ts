/** What the guard does with what a call still holds when it ends, for every tool or per tool. */

/**
 * What the guard does with handles a call still holds when it ends: `close` them (the default), or leave them
 * running and `report` them.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LeakPolicy } from '@mcp-resource-guard/core';
 * const policy: LeakPolicy = 'report';
 * const guard = createResourceGuard({ leaks: policy });
 * ```
 */
export type LeakPolicy = 'close' | 'report';

/**
 * The leak policy per tool: `default` for every tool, `tools` by exact name or `*` pattern.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * // The toggle tools start 5 s intervals meant to outlive the call: left running, and reported.
 * const guard = createResourceGuard({ leaks: { tools: { 'toggle-*': 'report' } } });
 * ```
 */
export interface LeakPolicyOptions {
  /** The policy of tools `tools` does not name. Default `close`. */
  readonly default?: LeakPolicy;
  /** Policies by exact tool name or `*` pattern. */
  readonly tools?: Readonly<Record<string, LeakPolicy>>;
}
