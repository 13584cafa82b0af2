import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_THRESHOLDS, LIMIT_LEVELS } from '../src/index.js';
import { type LevelPolicy, LevelTracker, levelRank } from '../src/internal.js';

const policyArb = fc.record({
  dwellSamples: fc.integer({ min: 1, max: 5 }),
  hysteresis: fc.double({ min: 0, max: 0.1, noNaN: true }),
});
const ratioArb = fc.double({ min: 0, max: 2.5, noNaN: true });

function policyOf(p: { dwellSamples: number; hysteresis: number }): LevelPolicy {
  return { thresholds: DEFAULT_THRESHOLDS, ...p };
}

/** The highest level whose threshold `ratio` reaches (-1: none). */
function rankOf(ratio: number): number {
  let rank = -1;
  for (const [i, level] of LIMIT_LEVELS.entries()) if (ratio >= DEFAULT_THRESHOLDS[level]) rank = i;
  return rank;
}

describe('LevelTracker properties', () => {
  it('is never below a level whose threshold held for the whole dwell', () => {
    fc.assert(
      fc.property(policyArb, fc.array(ratioArb, { minLength: 1, maxLength: 60 }), (p, ratios) => {
        const tracker = new LevelTracker(policyOf(p));
        ratios.forEach((ratio, i) => {
          tracker.observe(ratio * 100, 100);
          if (i + 1 < p.dwellSamples) return;
          const window = ratios.slice(i + 1 - p.dwellSamples, i + 1);
          const held = Math.min(...window.map(rankOf));
          expect(levelRank(tracker.level)).toBeGreaterThanOrEqual(held);
        });
      }),
    );
  });

  it('escalates to the level a stream is held at, within the dwell', () => {
    fc.assert(
      fc.property(policyArb, ratioArb, fc.integer({ min: 0, max: 10 }), (p, ratio, extra) => {
        const tracker = new LevelTracker(policyOf(p));
        for (let i = 0; i < p.dwellSamples + extra; i++) tracker.observe(ratio * 100, 100);
        expect(levelRank(tracker.level)).toBe(rankOf(ratio));
      }),
    );
  });

  it('never lowers its level on a non-decreasing stream', () => {
    fc.assert(
      fc.property(policyArb, fc.array(ratioArb, { minLength: 1, maxLength: 60 }), (p, raw) => {
        const ratios = [...raw].sort((a, b) => a - b);
        const tracker = new LevelTracker(policyOf(p));
        let previous = -1;
        for (const ratio of ratios) {
          tracker.observe(ratio * 100, 100);
          const rank = levelRank(tracker.level);
          expect(rank).toBeGreaterThanOrEqual(previous);
          previous = rank;
        }
      }),
    );
  });

  it('reports exactly one change per crossing, and every change really changes the level', () => {
    fc.assert(
      fc.property(policyArb, fc.array(ratioArb, { minLength: 1, maxLength: 80 }), (p, ratios) => {
        const tracker = new LevelTracker(policyOf(p));
        let level = tracker.level;
        let changes = 0;
        let crossings = 0;
        for (const ratio of ratios) {
          const before = tracker.level;
          const change = tracker.observe(ratio * 100, 100);
          if (tracker.level !== before) crossings++;
          if (change !== undefined) {
            changes++;
            expect(change.previous).toBe(level);
            expect(change.level).not.toBe(change.previous);
            expect(change.samples.length).toBeLessThanOrEqual(p.dwellSamples);
          }
          level = tracker.level;
        }
        expect(changes).toBe(crossings);
      }),
    );
  });

  it('does not flap on noise inside the hysteresis band', () => {
    const tracker = new LevelTracker({ thresholds: DEFAULT_THRESHOLDS, dwellSamples: 1, hysteresis: 0.05 });
    const changes = [76, 72, 77, 71, 78, 73, 76].map((v) => tracker.observe(v, 100)).filter(Boolean);
    expect(changes).toHaveLength(1);
    expect(tracker.level).toBe('warn');
    expect(tracker.observe(69, 100)?.level).toBeUndefined();
  });

  it('ignores a transient spike shorter than the dwell', () => {
    const tracker = new LevelTracker({ thresholds: DEFAULT_THRESHOLDS, dwellSamples: 3, hysteresis: 0.05 });
    for (const v of [10, 10, 180, 10, 10, 180, 180, 10]) expect(tracker.observe(v, 100)).toBeUndefined();
    expect(tracker.level).toBeUndefined();
  });
});

describe('LevelTracker for counts (exceeds)', () => {
  const counts = (dwellSamples: number): LevelPolicy => ({
    thresholds: DEFAULT_THRESHOLDS,
    dwellSamples,
    hysteresis: 0.05,
    exceeds: true,
  });

  it('allows a count of exactly the limit (below cleanup), and reaches a level only past its fraction', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (limit) => {
        const atLimit = new LevelTracker(counts(1));
        atLimit.observe(limit, limit);
        expect(levelRank(atLimit.level)).toBeLessThan(levelRank('cleanup'));
        const past = new LevelTracker(counts(1));
        past.observe(limit + 1, limit);
        expect(levelRank(past.level)).toBeGreaterThanOrEqual(levelRank('cleanup'));
        // Every level: reached by the smallest count above its fraction of the limit, not by the fraction itself.
        for (const level of LIMIT_LEVELS) {
          const fraction = DEFAULT_THRESHOLDS[level] * limit;
          const first = Math.floor(fraction) + 1;
          const t = new LevelTracker(counts(1));
          t.observe(first, limit);
          expect(levelRank(t.level)).toBeGreaterThanOrEqual(levelRank(level));
          if (Number.isInteger(fraction)) {
            const at = new LevelTracker(counts(1));
            at.observe(fraction, limit);
            expect(levelRank(at.level)).toBeLessThan(levelRank(level));
          }
        }
      }),
    );
  });

  it('leaves a level once the count is back at or below the fraction less hysteresis', () => {
    const t = new LevelTracker(counts(1));
    expect(t.observe(2, 1)?.level).toBe('emergency');
    expect(t.observe(1, 1)?.level).toBe('throttle');
    expect(t.observe(0, 1)?.level).toBeUndefined();
  });
});
