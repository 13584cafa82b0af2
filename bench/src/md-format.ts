/**
 * How BENCHMARKS.md prints figures in table cells. A figure the run could not compute is null in the results file
 * (a rate over nothing, a latency without calls, the machine's other load off Linux) and prints as `–`.
 */

import type { Spread } from './stats.js';

/**
 * A number with `digits` significant digits (never more decimals than needed), thousands separated from
 * 10^digits up, with a true minus sign.
 *
 * @param value - the figure, or null
 * @param digits - significant digits
 * @returns e.g. `0.183`, `19.1`, `1,848`, `−0.0738`; `–` for null
 */
export function num(value: number | null, digits = 3): string {
  if (value === null) return '–';
  if (value === 0) return '0';
  const text =
    Math.abs(value) >= 10 ** digits
      ? Math.round(value).toLocaleString('en-US')
      : String(Number(value.toPrecision(digits)));
  return text.replace('-', '−');
}

/**
 * A count, rounded, thousands separated.
 *
 * @param value - the count
 * @returns e.g. `10,000`
 */
export function int(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/**
 * A rate in [0, 1], four decimals.
 *
 * @param value - the rate, or null
 * @returns e.g. `1.0000`, `0.0002`; `–` for null
 */
export function rate(value: number | null): string {
  return value === null ? '–' : value.toFixed(4);
}

/**
 * Cores other processes kept busy, one decimal.
 *
 * @param value - the other load, or null (off Linux)
 * @returns e.g. `0.8`; `–` for null
 */
export function cores(value: number | null): string {
  return value === null ? '–' : value.toFixed(1);
}

/**
 * Microseconds: no decimal from 100 up, one below, with a true minus sign.
 *
 * @param value - µs
 * @returns e.g. `1148`, `27.5`, `−7.5`
 */
export function micros(value: number): string {
  return (Math.abs(value) >= 100 ? value.toFixed(0) : value.toFixed(1)).replace('-', '−');
}

/**
 * The interquartile range of a spread.
 *
 * @param spread - the spread
 * @param format - how to print each end
 * @returns `<p25> to <p75>`
 */
export function quartiles(spread: Spread, format: (value: number) => string): string {
  return `${format(spread.p25)} to ${format(spread.p75)}`;
}
