/** Everything the guard keeps per tool: calls in flight, gate, limits, lifecycle, counters, history. */

import type { AdmissionGate } from './admission-gate.js';
import type { CleanupReport } from './cleanup.js';
import type { CoolDownPolicy } from './cool-down.js';
import type { HandleKind } from './handle-kind.js';
import type { LevelTracker } from './level-tracker.js';
import { LIMIT_LEVELS, type LimitLevel } from './limit-level.js';
import { LIMIT_NAMES, type LimitName, type ResourceLimits } from './resource-limits.js';
import { SessionBlocks } from './session-blocks.js';
import type { TrackedCall } from './tool-call.js';
import { type RecoveryListener, ToolLifecycle } from './tool-lifecycle.js';
import type { ToolState } from './tool-state.js';
import { ToolStats, type ToolStatsSnapshot } from './tool-stats.js';
import { UsageHistory, type UsageHistorySnapshot } from './usage-history.js';

/**
 * A point-in-time copy of one tool's state.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ToolSnapshot } from '@mcp-resource-guard/core';
 * function describe(name: string, s: ToolSnapshot): string {
 *   if (s.breaker) return `${name}: ${s.state}, probe call in ${Math.round(s.breaker.reopensInMs)} ms`;
 *   return `${name}: ${s.state}, ${s.inFlight} running, ${s.queued} queued, ${s.leaks.calls} leaking calls`;
 * }
 * const guard = createResourceGuard();
 * for (const [name, s] of Object.entries(guard.snapshot().tools)) console.error(describe(name, s));
 * ```
 */
export interface ToolSnapshot extends ToolStatsSnapshot {
  readonly state: ToolState;
  /** Effective per-call limits (after per-tool overrides, the tool's own narrowing and adaptive limits). */
  readonly limits: ResourceLimits;
  /** Current level of each tool-scope limit that has one. */
  readonly levels: Readonly<Partial<Record<LimitName, LimitLevel>>>;
  /** Level entries (upward crossings) counted by level, over all scopes involving the tool. */
  readonly levelEntries: Readonly<Record<LimitLevel, number>>;
  readonly throttled: boolean;
  readonly queued: number;
  /** Calls refused at admission (throttled, deactivated). */
  readonly rejected: number;
  /** Concurrency cap set by adaptive mode, if any. */
  readonly concurrencyCap: number | undefined;
  readonly breaker:
    | { readonly halfOpen: boolean; readonly reopensInMs: number; readonly coolDownMs: number }
    | undefined;
  readonly cleanups: {
    readonly count: number;
    readonly handlesClosed: number;
    readonly handlesSurvived: number;
    readonly lastDurationMs: number;
    readonly maxDurationMs: number;
    readonly totalDurationMs: number;
  };
  /** Calls that ended holding handles, and those handles by kind. */
  readonly leaks: { readonly calls: number; readonly handles: Readonly<Partial<Record<HandleKind, number>>> };
  /** After a cleanup or emergency: did the next call succeed with nothing of the failed one left? */
  readonly recovery: { readonly attempts: number; readonly successes: number; readonly rate: number | undefined };
  /** Sampling ticks that covered this tool. */
  readonly samples: number;
  /** Percentiles of finished calls' usage over the window. */
  readonly history: UsageHistorySnapshot;
  /**
   * How the memory and CPU figures of its latest finished call were obtained: `exact` for a tool run in worker
   * threads (`isolated()`), else `estimated`. As in the call record's `measurement`.
   */
  readonly measurement: 'estimated' | 'exact';
}

function zeroLevels(): Record<LimitLevel, number> {
  const out = {} as Record<LimitLevel, number>;
  for (const level of LIMIT_LEVELS) out[level] = 0;
  return out;
}

/** What a {@link ToolRecord} is made from. */
export interface ToolRecordInit {
  readonly name: string;
  /** The owner-configured per-call limits. */
  readonly limits: ResourceLimits;
  /** The limits on the sum over its calls. */
  readonly aggregate: ResourceLimits;
  readonly gate: AdmissionGate;
  /** Finished calls kept for percentiles. */
  readonly historySize: number;
  readonly coolDown: CoolDownPolicy;
  readonly onRecovery: RecoveryListener;
}

/**
 * The guard's per-tool bookkeeping: the calls in flight, their gate, the limits, and the figures the
 * snapshot shows. Its lifecycle and breaker are {@link ToolLifecycle}'s; its figures change only through
 * its methods.
 */
export class ToolRecord {
  readonly name: string;
  /** How its latest finished call was measured (the call record's `measurement`). */
  measurement: 'estimated' | 'exact' = 'estimated';
  readonly stats: ToolStats = new ToolStats();
  readonly calls: Set<TrackedCall> = new Set();
  readonly gate: AdmissionGate;
  readonly history: UsageHistory;
  readonly lifecycle: ToolLifecycle;
  /** Tool-scope level trackers (limits on the sum over its calls). */
  readonly trackers: Map<LimitName, LevelTracker> = new Map();
  /** The limits on the sum over its calls in flight, as pairs. */
  readonly aggregateEntries: readonly (readonly [LimitName, number])[];
  /** Sessions refused this tool after a call-scope emergency of theirs (the tool stays open to the others). */
  readonly sessionBlocks: SessionBlocks = new SessionBlocks();
  #configured: ResourceLimits;
  #limits: ResourceLimits;
  #limitEntries: readonly (readonly [LimitName, number])[];
  #lastSampledAt: number = Number.NEGATIVE_INFINITY;
  #samples = 0;
  #rejected = 0;
  readonly #levelEntries: Record<LimitLevel, number> = zeroLevels();
  #stopsInARow = 0;
  #cleanupCount = 0;
  #handlesClosed = 0;
  #handlesSurvived = 0;
  #lastCleanupMs = 0;
  #maxCleanupMs = 0;
  #totalCleanupMs = 0;
  #leakCalls = 0;
  readonly #leakedHandles: Partial<Record<HandleKind, number>> = {};

  /** @param init - the tool's name, configured limits, gate and policies */
  constructor(init: ToolRecordInit) {
    this.name = init.name;
    this.#configured = init.limits;
    this.#limits = init.limits;
    this.#limitEntries = ToolRecord.entriesOf(init.limits);
    this.aggregateEntries = ToolRecord.entriesOf(init.aggregate);
    this.gate = init.gate;
    this.history = new UsageHistory(init.historySize);
    this.lifecycle = new ToolLifecycle(init.coolDown, init.onRecovery);
  }

  /**
   * The limits as `[name, value]` pairs.
   *
   * @param limits - the limits
   * @returns the pairs
   */
  static entriesOf(limits: ResourceLimits): readonly (readonly [LimitName, number])[] {
    const out: (readonly [LimitName, number])[] = [];
    for (const name of LIMIT_NAMES) {
      const value = limits[name];
      if (value !== undefined) out.push([name, value]);
    }
    return out;
  }

  /** The lifecycle state. */
  get state(): ToolState {
    return this.lifecycle.state;
  }

  /** Owner-configured per-call limits (after the tool's own declaration narrowed them). */
  get configured(): ResourceLimits {
    return this.#configured;
  }

  /** Effective per-call limits (after adaptive narrowing). */
  get limits(): ResourceLimits {
    return this.#limits;
  }

  /** The effective limits as pairs, for the sampler's hot loop. */
  get limitEntries(): readonly (readonly [LimitName, number])[] {
    return this.#limitEntries;
  }

  /**
   * Sets the owner-configured limits, which become the effective ones.
   *
   * @param limits - the limits
   */
  configure(limits: ResourceLimits): void {
    this.#configured = limits;
    this.setLimits(limits);
  }

  /**
   * Sets the effective per-call limits.
   *
   * @param limits - the limits
   */
  setLimits(limits: ResourceLimits): void {
    this.#limits = limits;
    this.#limitEntries = ToolRecord.entriesOf(limits);
  }

  /** The clock time of the last sampling tick that covered the tool. */
  get lastSampledAt(): number {
    return this.#lastSampledAt;
  }

  /**
   * A sampling tick covered the tool.
   *
   * @param now - the tick's time
   */
  sampled(now: number): void {
    this.#lastSampledAt = now;
    this.#samples++;
  }

  /** A call was refused at admission by the guard's limits. */
  countRejected(): void {
    this.#rejected++;
  }

  /**
   * A limit involving the tool entered a level.
   *
   * @param level - the level entered
   */
  countLevelEntry(level: LimitLevel): void {
    this.#levelEntries[level]++;
  }

  /**
   * A call was stopped at a limit (adaptive mode counts them).
   *
   * @returns stops at a limit since the last call that ended ok
   */
  countStopAtLimit(): number {
    return ++this.#stopsInARow;
  }

  /** A call ended ok: the run of stops at a limit is over. */
  countOk(): void {
    this.#stopsInARow = 0;
  }

  /**
   * Adds a cleanup's figures.
   *
   * @param report - the cleanup report
   */
  countCleanup(report: CleanupReport): void {
    this.#cleanupCount++;
    this.#handlesClosed += report.attempted - report.survived;
    this.#handlesSurvived += report.survived;
    this.#lastCleanupMs = report.durationMs;
    if (report.durationMs > this.#maxCleanupMs) this.#maxCleanupMs = report.durationMs;
    this.#totalCleanupMs += report.durationMs;
  }

  /**
   * Adds a leak's figures.
   *
   * @param leaked - handles by kind
   */
  countLeak(leaked: Readonly<Partial<Record<HandleKind, number>>>): void {
    this.#leakCalls++;
    for (const [kind, n] of Object.entries(leaked) as [HandleKind, number][]) {
      this.#leakedHandles[kind] = (this.#leakedHandles[kind] ?? 0) + n;
    }
  }

  /**
   * A copy of the tool's state.
   *
   * @param now - the guard's clock
   * @returns the snapshot
   */
  snapshot(now: number): ToolSnapshot {
    const levels: Partial<Record<LimitName, LimitLevel>> = {};
    for (const [name, tracker] of this.trackers) if (tracker.level !== undefined) levels[name] = tracker.level;
    const breaker = this.lifecycle.breaker;
    const { attempts, successes } = this.lifecycle.recovery;
    return {
      ...this.stats.snapshot(),
      state: this.state,
      limits: this.#limits,
      levels,
      levelEntries: { ...this.#levelEntries },
      throttled: this.gate.throttled,
      queued: this.gate.queued,
      rejected: this.#rejected,
      concurrencyCap: Number.isFinite(this.gate.cap) ? this.gate.cap : undefined,
      breaker:
        breaker === undefined
          ? undefined
          : {
              halfOpen: breaker.halfOpen,
              reopensInMs: Math.max(0, breaker.reopensAt - now),
              coolDownMs: breaker.coolDownMs,
            },
      cleanups: {
        count: this.#cleanupCount,
        handlesClosed: this.#handlesClosed,
        handlesSurvived: this.#handlesSurvived,
        lastDurationMs: this.#lastCleanupMs,
        maxDurationMs: this.#maxCleanupMs,
        totalDurationMs: this.#totalCleanupMs,
      },
      leaks: { calls: this.#leakCalls, handles: { ...this.#leakedHandles } },
      recovery: { attempts, successes, rate: attempts === 0 ? undefined : successes / attempts },
      samples: this.#samples,
      history: this.history.snapshot(),
      measurement: this.measurement,
    };
  }
}
