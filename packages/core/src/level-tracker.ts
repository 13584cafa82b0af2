/** Turns a stream of samples of one resource against one limit into level changes, with dwell and hysteresis. */

import { type LevelThresholds, LIMIT_LEVELS, type LimitLevel, levelRank } from './limit-level.js';

/** How far apart two ratios may be from rounding alone (value / limit against a threshold). */
const RATIO_EPSILON = 1e-9;

/**
 * How samples become levels.
 *
 * @example
 * ```ts
 * import { DEFAULT_THRESHOLDS } from '@mcp-resource-guard/core';
 * import { type LevelPolicy, LevelTracker } from '@mcp-resource-guard/core/internal';
 * // Act after 3 samples in a row; leave a level only 5 % of the limit below its threshold.
 * const policy: LevelPolicy = { thresholds: DEFAULT_THRESHOLDS, dwellSamples: 3, hysteresis: 0.05 };
 * const tracker = new LevelTracker(policy);
 * ```
 */
export interface LevelPolicy {
  /** Where each level starts, as a fraction of the limit. */
  readonly thresholds: LevelThresholds;
  /** Consecutive samples a level's condition must hold before the level is entered (or left). */
  readonly dwellSamples: number;
  /** How far (as a fraction of the limit) below a level's threshold usage must fall to leave it. */
  readonly hysteresis: number;
  /**
   * Whether a level is reached only when usage exceeds its threshold (counts: `maxFileHandles: N` allows N, so N
   * is not past the cleanup level) rather than when it reaches it (measures). Counts are exact: they are
   * left as soon as they are back at the fraction, with no hysteresis band. Default false.
   */
  readonly exceeds?: boolean;
}

/**
 * A change of level, with the samples that caused it.
 *
 * @example
 * ```ts
 * import { DEFAULT_THRESHOLDS } from '@mcp-resource-guard/core';
 * import { type LevelChange, LevelTracker } from '@mcp-resource-guard/core/internal';
 * const tracker = new LevelTracker({ thresholds: DEFAULT_THRESHOLDS, dwellSamples: 1, hysteresis: 0.05 });
 * const change: LevelChange | undefined = tracker.observe(95, 100);
 * if (change) console.error(change.previous, '->', change.level, change.samples); // undefined -> throttle [95]
 * ```
 */
export interface LevelChange {
  /** The level before (undefined: below every threshold). */
  readonly previous: LimitLevel | undefined;
  /** The level now (undefined: below every threshold). */
  readonly level: LimitLevel | undefined;
  /** The most recent samples (oldest first), the ones that held the condition through the dwell. */
  readonly samples: readonly number[];
}

/**
 * The level state of one resource against one limit. O(1) per sample; keeps only the last
 * `dwellSamples` samples.
 *
 * @example
 * ```ts
 * import { DEFAULT_THRESHOLDS } from '@mcp-resource-guard/core';
 * import { LevelTracker } from '@mcp-resource-guard/core/internal';
 * const t = new LevelTracker({ thresholds: DEFAULT_THRESHOLDS, dwellSamples: 2, hysteresis: 0.05 });
 * t.observe(80, 100); // undefined: one sample is not enough
 * t.observe(81, 100); // { previous: undefined, level: 'warn', samples: [80, 81] }
 * ```
 */
export class LevelTracker {
  /** The current level (undefined: below every threshold). */
  level: LimitLevel | undefined;
  readonly #policy: LevelPolicy;
  /** Consecutive samples at or above each level's threshold, by rank. */
  readonly #streakUp: number[] = [0, 0, 0, 0];
  /** Consecutive samples below the current level's threshold less hysteresis. */
  #streakDown = 0;
  readonly #recent: number[] = [];

  constructor(policy: LevelPolicy) {
    this.#policy = policy;
  }

  /**
   * Takes one sample.
   *
   * @param value - the measured usage
   * @param limit - the limit it is held against (> 0)
   * @returns the change of level this sample caused, if any
   */
  observe(value: number, limit: number): LevelChange | undefined {
    const { thresholds, dwellSamples } = this.#policy;
    const hysteresis = this.#policy.exceeds === true ? 0 : this.#policy.hysteresis;
    const ratio = limit > 0 ? value / limit : value > 0 ? Number.POSITIVE_INFINITY : 0;
    this.#recent.push(value);
    if (this.#recent.length > dwellSamples) this.#recent.shift();

    let up = -1;
    for (let rank = 0; rank < LIMIT_LEVELS.length; rank++) {
      const level = LIMIT_LEVELS[rank] as LimitLevel;
      const streak = this.#reaches(ratio, thresholds[level]) ? (this.#streakUp[rank] ?? 0) + 1 : 0;
      this.#streakUp[rank] = streak;
      if (streak >= dwellSamples) up = rank;
    }
    const current = levelRank(this.level);
    if (up > current) {
      this.#streakDown = 0;
      return this.#change(LIMIT_LEVELS[up]);
    }
    if (current >= 0) {
      const currentThreshold = thresholds[this.level as LimitLevel];
      this.#streakDown = !this.#reaches(ratio, currentThreshold - hysteresis) ? this.#streakDown + 1 : 0;
      if (this.#streakDown >= dwellSamples) {
        this.#streakDown = 0;
        let target = -1;
        for (let rank = current - 1; rank >= 0; rank--) {
          if (this.#reaches(ratio, thresholds[LIMIT_LEVELS[rank] as LimitLevel] - hysteresis)) {
            target = rank;
            break;
          }
        }
        return this.#change(target < 0 ? undefined : LIMIT_LEVELS[target]);
      }
    }
    return undefined;
  }

  /**
   * Moves to `level` at once, with no dwell: for a limit that was hit for certain (a worker's heap cap).
   *
   * @param level - the level reached
   * @param value - the usage that reached it
   * @returns the change, or undefined when the tracker is already at or above that level
   */
  force(level: LimitLevel, value: number): LevelChange | undefined {
    this.#recent.push(value);
    if (this.#recent.length > this.#policy.dwellSamples) this.#recent.shift();
    if (levelRank(level) <= levelRank(this.level)) return undefined;
    this.#streakDown = 0;
    return this.#change(level);
  }

  /** Whether `ratio` is at a level whose threshold is `threshold`: past it for counts, at it for measures. */
  #reaches(ratio: number, threshold: number): boolean {
    // A value exactly at a level's fraction (limit × threshold) may come back from the division a rounding
    // step below or above it: compared within that step.
    return this.#policy.exceeds === true ? ratio > threshold + RATIO_EPSILON : ratio >= threshold - RATIO_EPSILON;
  }

  #change(level: LimitLevel | undefined): LevelChange {
    const previous = this.level;
    this.level = level;
    return { previous, level, samples: [...this.#recent] };
  }
}
