import { type Excess, excess, type GroundTruth, type GroundTruthOptions, readGroundTruth } from './ground-truth.js';
import { sleep } from './sleep.js';

/** How {@link steadyReading} waits. */
export interface SteadyOptions extends GroundTruthOptions {
  /** How long to wait at most (default 2000 ms). */
  readonly timeoutMs?: number;
  /** Between readings (default 50 ms). */
  readonly stepMs?: number;
  /** How many readings in a row must be the same (default 3). */
  readonly repeats?: number;
}

const same = (a: GroundTruth, b: GroundTruth): boolean => excess(a, b).total === 0 && excess(b, a).total === 0;

/**
 * Waits until `repeats` readings in a row, `stepMs` apart, are the same (threads, pipes and the test runner's own
 * timers have settled: nothing is opening or closing), for `timeoutMs` at the most, and returns the last. Not a time
 * limit: on a process that never settles it returns the reading then, for a baseline as good as there is.
 *
 * @param options - what to count, and how to wait
 * @returns the last reading
 */
export async function steadyReading(options: SteadyOptions = {}): Promise<GroundTruth> {
  const { timeoutMs = 2000, stepMs = 50, repeats = 3 } = options;
  const deadline = performance.now() + timeoutMs;
  let last = readGroundTruth(options);
  for (let alike = 1; alike < repeats && performance.now() < deadline; ) {
    await sleep(stepMs);
    const now = readGroundTruth(options);
    alike = same(last, now) ? alike + 1 : 1;
    last = now;
  }
  return last;
}

/** How {@link settleTo} waits. */
export interface SettleOptions extends GroundTruthOptions {
  /** The excess waited for (default none: back to the baseline). */
  readonly expected?: Readonly<Record<string, number>>;
  /**
   * Items reported but not waited for (default `procStatFds`: the pidusage cache lasts a minute, see
   * {@link isProcStatFd}).
   */
  readonly ignore?: readonly string[];
  /** How long to wait at most (default 5000 ms). */
  readonly timeoutMs?: number;
  /** Between readings (default 50 ms). */
  readonly stepMs?: number;
  /** How many readings in a row must show the expected excess (default 2). */
  readonly repeats?: number;
}

/**
 * Waits until the excess over `baseline` is `expected` on `repeats` readings in a row, `stepMs` apart (pipes of a
 * killed child, a terminated worker's descriptors and a destroyed socket close a little after a cleanup resolves),
 * for `timeoutMs` at the most, and returns the excess then. Not a time limit: the caller asserts on what it returns.
 *
 * @param baseline - the reading to compare with
 * @param options - what to count (as for the baseline), what to wait for, and how long
 * @returns the last reading's excess
 */
export async function settleTo(baseline: GroundTruth, options: SettleOptions = {}): Promise<Excess> {
  const { expected = {}, ignore = ['procStatFds'], timeoutMs = 5000, stepMs = 50, repeats = 2 } = options;
  const awaited = Object.entries(expected).filter(([key]) => !ignore.includes(key));
  const matches = (e: Excess): boolean => {
    const pending = Object.entries(e.items).filter(([key]) => !ignore.includes(key));
    return pending.length === awaited.length && awaited.every(([key, n]) => e.items[key] === n);
  };
  const deadline = performance.now() + timeoutMs;
  let last = excess(baseline, readGroundTruth(options));
  for (let held = matches(last) ? 1 : 0; held < repeats && performance.now() < deadline; ) {
    await sleep(stepMs);
    last = excess(baseline, readGroundTruth(options));
    held = matches(last) ? held + 1 : 0;
  }
  return last;
}
