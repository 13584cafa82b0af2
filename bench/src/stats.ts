/** Order statistics for benchmark samples: median, percentiles, and the spread we report. */

import * as z from 'zod';

/** The five-number summary of a sample. */
export const Spread = z.object({
  min: z.number(),
  p25: z.number(),
  p50: z.number(),
  p75: z.number(),
  max: z.number(),
});
export type Spread = z.infer<typeof Spread>;

function sorted(values: readonly number[]): number[] {
  if (values.length === 0) throw new RangeError('statistics of an empty sample');
  for (const v of values) {
    if (!Number.isFinite(v)) throw new RangeError(`not a finite sample value: ${v}`);
  }
  return [...values].sort((a, b) => a - b);
}

function percentileOfSorted(ascending: readonly number[], p: number): number {
  // Linear interpolation between closest ranks (the "R-7" definition, as in NumPy and spreadsheets).
  const rank = (p / 100) * (ascending.length - 1);
  const lower = Math.floor(rank);
  const upper = Math.ceil(rank);
  const lo = ascending[lower]!;
  const hi = ascending[upper]!;
  return lo + (hi - lo) * (rank - lower);
}

/**
 * The p-th percentile, interpolated linearly between closest ranks.
 *
 * @param values - a non-empty sample of finite numbers
 * @param p - 0 to 100
 * @returns the percentile
 */
export function percentile(values: readonly number[], p: number): number {
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile out of range: ${p}`);
  return percentileOfSorted(sorted(values), p);
}

/**
 * The median (the 50th percentile; the mean of the two middle values for an even count).
 *
 * @param values - a non-empty sample of finite numbers
 * @returns the median
 */
export function median(values: readonly number[]): number {
  return percentile(values, 50);
}

/**
 * Min, quartiles and max of a sample.
 *
 * @param values - a non-empty sample of finite numbers
 * @returns the summary
 */
export function spread(values: readonly number[]): Spread {
  const ascending = sorted(values);
  return {
    min: ascending[0]!,
    p25: percentileOfSorted(ascending, 25),
    p50: percentileOfSorted(ascending, 50),
    p75: percentileOfSorted(ascending, 75),
    max: ascending[ascending.length - 1]!,
  };
}

/**
 * Applies a monotonic decreasing function (such as µs/call → calls/s) to a spread, swapping the ends.
 *
 * @param s - the spread
 * @param f - a decreasing function
 * @returns the spread of the transformed sample
 */
export function mapDecreasing(s: Spread, f: (value: number) => number): Spread {
  return { min: f(s.max), p25: f(s.p75), p50: f(s.p50), p75: f(s.p25), max: f(s.min) };
}

/**
 * Rounds to a number of significant digits, for readable JSON.
 *
 * @param value - the number
 * @param digits - significant digits (default 4)
 * @returns the rounded number
 */
export function round(value: number, digits = 4): number {
  if (value === 0 || !Number.isFinite(value)) return value;
  return Number(value.toPrecision(digits));
}

/**
 * A spread with every field rounded to significant digits.
 *
 * @param s - the spread
 * @param digits - significant digits
 * @returns the rounded spread
 */
export function roundSpread(s: Spread, digits = 4): Spread {
  return {
    min: round(s.min, digits),
    p25: round(s.p25, digits),
    p50: round(s.p50, digits),
    p75: round(s.p75, digits),
    max: round(s.max, digits),
  };
}

/**
 * The largest error over calls in their share of the total: relative to the true share (in %), and in
 * percentage points.
 *
 * @param measured - each call's figure as measured
 * @param truth - each call's true figure, in the same order
 * @returns the largest relative error (%) and the largest error in points
 */
export function shareErrors(
  measured: readonly number[],
  truth: readonly number[],
): { relative: number; points: number } {
  const measuredTotal = measured.reduce((a, b) => a + b, 0);
  const trueTotal = truth.reduce((a, b) => a + b, 0);
  let relative = 0;
  let points = 0;
  for (let i = 0; i < truth.length; i++) {
    const shareTrue = (truth[i] ?? 0) / trueTotal;
    const shareMeasured = measuredTotal > 0 ? (measured[i] ?? 0) / measuredTotal : 0;
    relative = Math.max(relative, (Math.abs(shareMeasured - shareTrue) / shareTrue) * 100);
    points = Math.max(points, Math.abs(shareMeasured - shareTrue) * 100);
  }
  return { relative, points };
}

/**
 * The median of each figure over samples, rounded.
 *
 * @param samples - the samples, each with every figure
 * @param figures - which figures
 * @param digits - significant digits kept
 * @returns the medians, by figure
 */
export function mediansOf<K extends string>(
  samples: readonly Readonly<Record<K, number>>[],
  figures: readonly K[],
  digits = 3,
): Record<K, number> {
  const medians = {} as Record<K, number>;
  for (const figure of figures) medians[figure] = round(median(samples.map((s) => s[figure])), digits);
  return medians;
}
