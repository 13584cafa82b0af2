/** Running per-tool aggregates of finished calls: counts by outcome and execution-time figures. */

import { CALL_OUTCOMES, type CallOutcome } from './call-outcome.js';

/**
 * A point-in-time copy of one tool's aggregates.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ToolStatsSnapshot } from '@mcp-resource-guard/core';
 * const errorRate = (s: ToolStatsSnapshot): number => (s.calls === 0 ? 0 : s.errors / s.calls);
 * const guard = createResourceGuard();
 * for (const [name, stats] of Object.entries(guard.snapshot().tools)) {
 *   const errors = `${(errorRate(stats) * 100).toFixed(1)} % errors`;
 *   console.error(`${name}: ${stats.calls} calls, ${errors}, mean ${stats.executionTimeMs.mean} ms`);
 * }
 * ```
 */
export interface ToolStatsSnapshot {
  /** Calls finished, whatever their outcome. */
  readonly calls: number;
  /** Calls running now. */
  readonly inFlight: number;
  /** Finished calls whose outcome was not `ok`. */
  readonly errors: number;
  /** Finished calls by outcome. */
  readonly outcomes: Readonly<Record<CallOutcome, number>>;
  /** Execution time of finished calls, in milliseconds. */
  readonly executionTimeMs: {
    /** The most recent call's. */
    readonly last: number;
    /** The longest call's. */
    readonly peak: number;
    /** Sum over all calls. */
    readonly total: number;
    /** `total / calls` (0 before the first call). */
    readonly mean: number;
  };
}

function zeroOutcomes(): Record<CallOutcome, number> {
  const counts = {} as Record<CallOutcome, number>;
  for (const outcome of CALL_OUTCOMES) counts[outcome] = 0;
  return counts;
}

/** Mutable per-tool aggregates; O(1) per call. */
export class ToolStats {
  calls = 0;
  inFlight = 0;
  errors = 0;
  readonly outcomes: Record<CallOutcome, number> = zeroOutcomes();
  lastMs = 0;
  peakMs = 0;
  totalMs = 0;

  /** Counts a call that has started. */
  started(): void {
    this.inFlight++;
  }

  /**
   * Counts a call that has ended.
   *
   * @param outcome - how it ended
   * @param executionTimeMs - how long it ran
   */
  finished(outcome: CallOutcome, executionTimeMs: number): void {
    this.inFlight--;
    this.calls++;
    this.outcomes[outcome]++;
    if (outcome !== 'ok') this.errors++;
    this.lastMs = executionTimeMs;
    if (executionTimeMs > this.peakMs) this.peakMs = executionTimeMs;
    this.totalMs += executionTimeMs;
  }

  /** @returns an immutable copy of the aggregates */
  snapshot(): ToolStatsSnapshot {
    return {
      calls: this.calls,
      inFlight: this.inFlight,
      errors: this.errors,
      outcomes: { ...this.outcomes },
      executionTimeMs: {
        last: this.lastMs,
        peak: this.peakMs,
        total: this.totalMs,
        mean: this.calls === 0 ? 0 : this.totalMs / this.calls,
      },
    };
  }
}
