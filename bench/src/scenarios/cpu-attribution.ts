/**
 * cpuAttribution: known CPU burns (a fixed amount of work calibrated once, the same iteration count in
 * every child) inside guarded calls; the true CPU of each call is process CPU time (`process.cpuUsage()`)
 * read around each of its burn segments and summed; the guard's figure is `call.usage().cpuTimeMs`.
 * One call alone, then 8 concurrent calls burning in the ratios 1:2:…:8, interleaved by awaits.
 */

import * as z from 'zod';
import { loadCore } from '../core.js';
import { inChildren, runInChildren, type Scenario } from '../scenario.js';
import { median, mediansOf, round, shareErrors } from '../stats.js';
import { calibrateSpin, spin } from '../work.js';

const NAME = 'cpuAttribution';
const SEGMENTS = 10;
const CONCURRENT_SEGMENTS = 5;
const CONCURRENT = 8;

/** Where burn results go, so that no call to {@link spin} is dead code. */
const sink = { value: 0 };

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What one call's burns cost: process CPU time and wall time, summed over its segments. */
interface Burned {
  readonly cpuMs: number;
  readonly wallMs: number;
}

/**
 * Burns `segments` × `iterations` of work, awaiting between segments.
 *
 * @returns process CPU time (the truth) and wall time spent in the burn segments
 */
async function burn(segments: number, iterations: number): Promise<Burned> {
  let cpuMicros = 0;
  let wallMs = 0;
  for (let s = 0; s < segments; s++) {
    const before = process.cpuUsage();
    const start = performance.now();
    sink.value ^= spin(iterations);
    wallMs += performance.now() - start;
    const spent = process.cpuUsage(before);
    cpuMicros += spent.user + spent.system;
    await yieldToLoop();
  }
  return { cpuMs: cpuMicros / 1000, wallMs };
}

/** The headline figures, in %: a child's medians over its repetitions, and the medians over children. */
const CpuHeadlines = z.object({
  /** |guard − true| / true of one call alone. */
  singleErrorPct: z.number(),
  /** 8 calls at once: the largest error in a call's share of the total, relative to its true share. */
  concurrentMaxErrorPct: z.number(),
  /** The same in percentage points. */
  concurrentMaxErrorPp: z.number(),
  /** 8 calls at once: the largest |guard − true| / true. */
  concurrentMaxAbsoluteErrorPct: z.number(),
  /** (guard − true) / true of one call alone. */
  singleSignedErrorPct: z.number(),
  /** 8 calls at once: (guard − true) / true of their total. */
  concurrentTotalErrorPct: z.number(),
  /** As `singleErrorPct`, against the wall time of the burn segments. */
  singleErrorVsWallPct: z.number(),
  /** As `concurrentMaxErrorPct`, against the wall time of the burn segments. */
  concurrentMaxErrorVsWallPct: z.number(),
});

/** What each child was asked to do. */
const CpuSettings = z.object({
  segments: z.number(),
  segmentIterations: z.number(),
  concurrentSegments: z.number(),
  unitIterations: z.number(),
  repetitions: z.number(),
  concurrent: z.number(),
});

/** What one child returns. */
const CpuChild = CpuHeadlines.extend({
  /** Per repetition: `singleErrorPct`, `concurrentMaxErrorPct`. */
  singleSamples: z.array(z.number()),
  concurrentSamples: z.array(z.number()),
  /** Keeps the burns from being optimised away. */
  sink: z.number(),
});
type CpuChild = z.infer<typeof CpuChild>;

/** The headline figures are medians over the children. */
export const CpuAttributionResult = inChildren(CpuHeadlines, CpuChild, CpuSettings);
export type CpuAttributionResult = z.infer<typeof CpuAttributionResult>;

export const cpuAttribution: Scenario<CpuAttributionResult> = {
  name: NAME,
  description:
    'Known CPU burns (xorshift work calibrated once in the runner) in guarded calls: one call alone (10 segments of ~5 ms), and 8 concurrent calls burning 1:2:…:8 (5 segments of 2 ms × i), interleaved by setImmediate awaits; true CPU = process CPU time around each burn segment, summed per call; guard = `usage().cpuTimeMs`.',
  result: CpuAttributionResult,
  async run(ctx) {
    const segmentIterations = calibrateSpin(5);
    const unitIterations = calibrateSpin(2);
    const rounds = ctx.quick ? 1 : 3;
    const repetitions = ctx.quick ? 3 : 12;
    const children = await runInChildren(
      ctx,
      rounds,
      { scenario: NAME, task: 'attribution', params: { segmentIterations, unitIterations, repetitions } },
      CpuChild,
      {},
      (c) =>
        `single ${c.singleErrorPct} %, concurrent max ${c.concurrentMaxErrorPct} %; other load ${c.backgroundCores} cores`,
    );
    return {
      ...mediansOf(children, CpuHeadlines.keyof().options),
      rounds: children,
      settings: {
        segments: SEGMENTS,
        segmentIterations,
        concurrentSegments: CONCURRENT_SEGMENTS,
        unitIterations,
        repetitions,
        concurrent: CONCURRENT,
      },
      measuredAt: new Date().toISOString(),
    };
  },
  summarize(r) {
    return [
      `${NAME}: single ${r.singleErrorPct} % (signed ${r.singleSignedErrorPct} %; vs wall time ${r.singleErrorVsWallPct} %), ` +
        `concurrent max share error ${r.concurrentMaxErrorPct} % relative / ${r.concurrentMaxErrorPp} pp ` +
        `(vs wall ${r.concurrentMaxErrorVsWallPct} %), max absolute ${r.concurrentMaxAbsoluteErrorPct} %`,
    ];
  },
  async task(request): Promise<CpuChild> {
    const segmentIterations = Number(request.params.segmentIterations);
    const unitIterations = Number(request.params.unitIterations);
    const repetitions = Number(request.params.repetitions);
    const core = await loadCore();
    const guard = core.createResourceGuard();
    // Warm-up: optimised spin, probes installed, first-call costs paid.
    for (let i = 0; i < 3; i++) {
      const call = await guard.admit({ toolName: 'burn' });
      await call.run(() => burn(2, segmentIterations));
      call.end('ok');
    }
    const single: number[] = [];
    const singleSigned: number[] = [];
    const singleVsWall: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const call = await guard.admit({ toolName: 'burn' });
      const burned = await call.run(() => burn(SEGMENTS, segmentIterations));
      const guardMs = call.usage().cpuTimeMs;
      call.end('ok');
      single.push((Math.abs(guardMs - burned.cpuMs) / burned.cpuMs) * 100);
      singleSigned.push(((guardMs - burned.cpuMs) / burned.cpuMs) * 100);
      singleVsWall.push((Math.abs(guardMs - burned.wallMs) / burned.wallMs) * 100);
    }
    const maxRelative: number[] = [];
    const maxPp: number[] = [];
    const maxAbsolute: number[] = [];
    const totalError: number[] = [];
    const maxRelativeVsWall: number[] = [];
    for (let r = 0; r < repetitions; r++) {
      const calls = await Promise.all(
        Array.from({ length: CONCURRENT }, (_, i) => guard.admit({ toolName: `burn${i + 1}` })),
      );
      const burned = await Promise.all(
        calls.map((call, i) => call.run(() => burn(CONCURRENT_SEGMENTS, (i + 1) * unitIterations))),
      );
      const guardMs = calls.map((call) => call.usage().cpuTimeMs);
      for (const call of calls) call.end('ok');
      const trueMs = burned.map((b) => b.cpuMs);
      const byCpu = shareErrors(guardMs, trueMs);
      maxRelative.push(byCpu.relative);
      maxPp.push(byCpu.points);
      maxRelativeVsWall.push(
        shareErrors(
          guardMs,
          burned.map((b) => b.wallMs),
        ).relative,
      );
      let absolute = 0;
      for (let i = 0; i < CONCURRENT; i++) {
        absolute = Math.max(absolute, (Math.abs((guardMs[i] ?? 0) - (trueMs[i] ?? 0)) / (trueMs[i] ?? 1)) * 100);
      }
      maxAbsolute.push(absolute);
      const trueTotal = trueMs.reduce((a, b) => a + b, 0);
      totalError.push(((guardMs.reduce((a, b) => a + b, 0) - trueTotal) / trueTotal) * 100);
    }
    await guard.close();
    return {
      singleErrorPct: round(median(single), 3),
      singleSignedErrorPct: round(median(singleSigned), 3),
      singleErrorVsWallPct: round(median(singleVsWall), 3),
      concurrentMaxErrorPct: round(median(maxRelative), 3),
      concurrentMaxErrorPp: round(median(maxPp), 3),
      concurrentMaxAbsoluteErrorPct: round(median(maxAbsolute), 3),
      concurrentTotalErrorPct: round(median(totalError), 3),
      concurrentMaxErrorVsWallPct: round(median(maxRelativeVsWall), 3),
      singleSamples: single.map((v) => round(v, 3)),
      concurrentSamples: maxRelative.map((v) => round(v, 3)),
      sink: sink.value & 1,
    };
  },
};
