/** Bare vs guarded: alternated child processes, paired by round, summarised as throughput, ratio and added µs. */

import type { ChildResult, JsonObject, LoopSettings, OverheadResult, RunContext, VariantSample } from './scenario.js';
import { mapDecreasing, median, round, roundSpread, type Spread, spread } from './stats.js';

/** One bare-vs-guarded comparison. */
export interface ComparisonPlan {
  /** The scenario whose `measure` the children run. */
  readonly scenario: string;
  /** For progress lines (e.g. `scale.tools1000`). */
  readonly label: string;
  readonly params: JsonObject;
  readonly loop: LoopSettings;
  /** Rounds; each runs one bare child, then one guarded child. */
  readonly rounds: number;
}

/** One round: a bare child and the guarded child that ran right after it. */
export interface RoundPair {
  readonly bare: Pick<VariantSample, 'microsPerCall' | 'cpuMicrosPerCall'>;
  readonly guarded: Pick<VariantSample, 'microsPerCall' | 'cpuMicrosPerCall'>;
}

/** The figures of an {@link OverheadResult} that come from the samples. */
export type PairSummary = Omit<
  OverheadResult,
  'backgroundCores' | 'rounds' | 'samples' | 'settings' | 'measuredAt' | 'seconds'
>;

const perSecond = (micros: number): number => 1e6 / micros;
const signed = (micros: number): string => `${micros >= 0 ? '+' : ''}${micros.toFixed(1)}`;

/**
 * Summarises paired rounds. The children of a round ran back to back, so slow drifts in the machine's
 * load affect both sides of a pair alike; differences and ratios are taken within each pair first.
 *
 * @param pairs - the rounds, in run order (at least one)
 * @returns the headline figures and their spread, unrounded
 */
export function summarisePairs(pairs: readonly RoundPair[]): PairSummary {
  if (pairs.length === 0) throw new RangeError('no rounds to summarise');
  const bare = pairs.map((p) => p.bare.microsPerCall);
  const guarded = pairs.map((p) => p.guarded.microsPerCall);
  const added = pairs.map((p) => p.guarded.microsPerCall - p.bare.microsPerCall);
  const addedCpu = pairs.map((p) => p.guarded.cpuMicrosPerCall - p.bare.cpuMicrosPerCall);
  const ratios = pairs.map((p) => p.bare.microsPerCall / p.guarded.microsPerCall);
  return {
    bareCallsPerSec: perSecond(median(bare)),
    guardedCallsPerSec: perSecond(median(guarded)),
    ratio: median(ratios),
    addedMicrosP50: median(added),
    bareMicrosPerCall: median(bare),
    guardedMicrosPerCall: median(guarded),
    addedCpuMicrosP50: median(addedCpu),
    bareCpuMicrosPerCall: median(pairs.map((p) => p.bare.cpuMicrosPerCall)),
    guardedCpuMicrosPerCall: median(pairs.map((p) => p.guarded.cpuMicrosPerCall)),
    spread: {
      bareCallsPerSec: mapDecreasing(spread(bare), perSecond),
      guardedCallsPerSec: mapDecreasing(spread(guarded), perSecond),
      ratio: spread(ratios),
      addedMicros: spread(added),
      addedCpuMicros: spread(addedCpu),
    },
  };
}

function roundSummary(s: PairSummary): PairSummary {
  const r4 = (v: number): number => round(v);
  const r3 = (v: number): number => round(v, 3);
  const spreads = s.spread;
  const rs = (x: Spread, digits = 4): Spread => roundSpread(x, digits);
  return {
    bareCallsPerSec: r4(s.bareCallsPerSec),
    guardedCallsPerSec: r4(s.guardedCallsPerSec),
    ratio: r4(s.ratio),
    addedMicrosP50: r3(s.addedMicrosP50),
    bareMicrosPerCall: r4(s.bareMicrosPerCall),
    guardedMicrosPerCall: r4(s.guardedMicrosPerCall),
    addedCpuMicrosP50: r3(s.addedCpuMicrosP50),
    bareCpuMicrosPerCall: r4(s.bareCpuMicrosPerCall),
    guardedCpuMicrosPerCall: r4(s.guardedCpuMicrosPerCall),
    spread: {
      bareCallsPerSec: rs(spreads.bareCallsPerSec),
      guardedCallsPerSec: rs(spreads.guardedCallsPerSec),
      ratio: rs(spreads.ratio),
      addedMicros: rs(spreads.addedMicros, 3),
      addedCpuMicros: rs(spreads.addedCpuMicros, 3),
    },
  };
}

function describeRound(bare: ChildResult, guarded: ChildResult): string {
  const b = bare.microsPerCall;
  const g = guarded.microsPerCall;
  const load = (c: ChildResult): string => (c.backgroundCores === null ? '?' : c.backgroundCores.toFixed(1));
  return (
    `µs/call bare ${b.toFixed(1)}, guarded ${g.toFixed(1)} (${signed(g - b)}; CPU ` +
    `${signed(guarded.cpuMicrosPerCall - bare.cpuMicrosPerCall)}); other load ${load(bare)} / ${load(guarded)} cores`
  );
}

/**
 * Runs the plan: for each round a bare child then a guarded child, one process at a time.
 *
 * @param ctx - the runner's context
 * @param plan - what to compare
 * @returns the result, rounded for the results file
 */
export async function compareBareGuarded(ctx: RunContext, plan: ComparisonPlan): Promise<OverheadResult> {
  const started = performance.now();
  const pairs: RoundPair[] = [];
  const background: (number | null)[] = [];
  const request = { scenario: plan.scenario, params: plan.params, loop: plan.loop };
  for (let r = 1; r <= plan.rounds; r++) {
    const bare = await ctx.runChild({ ...request, variant: 'bare' });
    const guarded = await ctx.runChild({ ...request, variant: 'guarded' });
    if (!(guarded.guardCalls !== null && guarded.guardCalls >= guarded.calls)) {
      throw new Error(`${plan.label}: the guard recorded ${guarded.guardCalls} calls of ${guarded.calls} timed`);
    }
    pairs.push({ bare, guarded });
    background.push(bare.backgroundCores, guarded.backgroundCores);
    ctx.log(`${plan.label} round ${r}/${plan.rounds}: ${describeRound(bare, guarded)}`);
  }
  const loads = background.filter((b): b is number => b !== null);
  return {
    ...roundSummary(summarisePairs(pairs)),
    backgroundCores: loads.length === background.length ? roundSpread(spread(loads), 2) : null,
    rounds: plan.rounds,
    samples: {
      bareMicrosPerCall: pairs.map((p) => round(p.bare.microsPerCall)),
      guardedMicrosPerCall: pairs.map((p) => round(p.guarded.microsPerCall)),
      bareCpuMicrosPerCall: pairs.map((p) => round(p.bare.cpuMicrosPerCall)),
      guardedCpuMicrosPerCall: pairs.map((p) => round(p.guarded.cpuMicrosPerCall)),
    },
    settings: { loop: plan.loop, params: plan.params },
    measuredAt: new Date().toISOString(),
    seconds: round((performance.now() - started) / 1000, 3),
  };
}
