/** The contract between the guard and a probe that measures usage it cannot count itself. */

import type { ToolCall } from './tool-call.js';

/**
 * A usage source (a probe): sampled by the guard's one sampler on every tick, it measures what a call
 * uses (CPU, memory, temp storage) and sets it with {@link ToolCall.measure}.
 *
 * @example
 * ```ts
 * import type { UsageSource } from '@mcp-resource-guard/core';
 * const constantMemory: UsageSource = {
 *   name: 'constant',
 *   sample(calls) { for (const call of calls) call.measure('memoryMb', 1); },
 * };
 * ```
 */
export interface UsageSource<Call extends ToolCall = ToolCall> {
  /** A short name, for internal-error reports. */
  readonly name: string;
  /**
   * Measures the calls in flight. Must not throw (if it does, the guard counts an internal error).
   *
   * @param calls - the calls being sampled on this tick
   * @param now - the guard's clock, in milliseconds
   */
  sample(calls: readonly Call[], now: number): void;
  /** Called on the call's path when it starts; keep it O(1). */
  callStarted?(call: Call): void;
  /** Called when the call ends, before its usage is recorded; a last chance to measure it. */
  callEnded?(call: Call): void;
  /** Releases what the source holds (timers, workers); called by `guard.close()`. */
  close?(): void | Promise<void>;
}
