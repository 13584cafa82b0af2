/**
 * memoryAttribution: how close the per-call memory figure (`usage().memoryMb`) comes to what each call really
 * holds. Guarded calls (core API, default sampling) allocate buffers of known size in segments separated by
 * waits longer than the sampling interval, keep them, and read their figure once two more samples have passed.
 * The truth of a call is the bytes it holds. Three cases:
 * - single: one call holding 32 MB;
 * - proportional: 4 calls at once holding 8, 16, 24, 32 MB, whose CPU goes with what they allocate (each
 *   buffer is written through), the case the method is built for;
 * - uncorrelated: 2 calls at once, one burning CPU and allocating nothing, the other allocating 32 MB with
 *   next to no CPU (`Buffer.allocUnsafe`), the case that apportioning by CPU share gets wrong;
 * - interleaved: 4 calls at once taking turns in 400 short steps each (`setImmediate` between steps), each
 *   step keeping a 4, 8, 12 or 16 KiB array: slices of a few µs, shorter than the allocation window's
 *   minimum, the case where the windows are coarsest.
 * The child runs with `--expose-gc` and settles the heap before each repetition (garbage collected and array
 * buffers swept), so that what an earlier repetition dropped is not freed in the middle of the next one: these
 * figures are the method's error alone. In a server, garbage of calls that have ended is freed while others
 * run, and takes from their figures (never below zero).
 */

import { settleHeap } from '@mcp-resource-guard/test-support';
import * as z from 'zod';
import { loadCore } from '../core.js';
import { inChildren, runInChildren, type Scenario } from '../scenario.js';
import { median, mediansOf, round, shareErrors } from '../stats.js';
import { calibrateSpin, spin } from '../work.js';

const NAME = 'memoryAttribution';
const MB = 1024 * 1024;
const SEGMENTS = 8;
/** Longer than the default sampling interval (50 ms), so that every segment is sampled. */
const SEGMENT_GAP_MS = 60;
/** Two more sampling intervals after the last allocation before the figure is read. */
const HOLD_MS = 120;

/** Where burn results go, so that no call to {@link spin} is dead code. */
const sink = { value: 0 };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Allocates `totalMb` in {@link SEGMENTS} buffers, one per segment, burning `spinIterations` of CPU in each,
 * and keeps them until the figure has been read.
 *
 * @param write - whether each buffer is written through (CPU in proportion to its size: a zero-filled
 *   buffer costs next to nothing, its pages are only mapped), or left untouched (`Buffer.allocUnsafe`)
 */
async function hold(totalMb: number, spinIterations: number, write: boolean): Promise<Buffer[]> {
  const kept: Buffer[] = [];
  const bytes = Math.round((totalMb * MB) / SEGMENTS);
  for (let s = 0; s < SEGMENTS; s++) {
    if (bytes > 0) kept.push(write ? Buffer.allocUnsafe(bytes).fill(0x5a) : Buffer.allocUnsafe(bytes));
    if (spinIterations > 0) sink.value ^= spin(spinIterations);
    await sleep(SEGMENT_GAP_MS);
  }
  await sleep(HOLD_MS);
  return kept;
}

/** Signed error of `guardMb` against `trueMb`, in % of the truth. */
const signedPct = (guardMb: number, trueMb: number): number => ((guardMb - trueMb) / trueMb) * 100;

const SINGLE_MB = 32;
const PROPORTIONAL_MB = [8, 16, 24, 32];
const UNCORRELATED_MB = 32;
const INTERLEAVED_STEPS = 400;
const INTERLEAVED_KIB = [4, 8, 12, 16];

/** Keeps `kib` KiB per step for {@link INTERLEAVED_STEPS} steps, yielding to the other calls between steps. */
async function interleave(kib: number): Promise<Uint8Array[]> {
  const kept: Uint8Array[] = [];
  for (let step = 0; step < INTERLEAVED_STEPS; step++) {
    kept.push(new Uint8Array(kib * 1024));
    await new Promise((resolve) => setImmediate(resolve));
  }
  await sleep(HOLD_MS);
  return kept;
}

/** The headline figures, in %: a child's medians over its repetitions, and the medians over children. */
const MemoryHeadlines = z.object({
  /** One call holding 32 MB: (guard − true) / true. */
  singleSignedErrorPct: z.number(),
  /** 4 calls holding 8 to 32 MB: the largest error in a call's share of the total, relative to its true share. */
  proportionalMaxShareErrorPct: z.number(),
  /** The same calls: (guard − true) / true of their total. */
  proportionalTotalErrorPct: z.number(),
  /** The share of the total charged to the call that allocated nothing (the truth is 0). */
  uncorrelatedMisattributedPct: z.number(),
  /** 4 calls taking turns in short steps: the largest share error. */
  interleavedMaxShareErrorPct: z.number(),
});

/** What each child was asked to do. */
const MemorySettings = z.object({
  segments: z.number(),
  segmentGapMs: z.number(),
  holdMs: z.number(),
  singleMb: z.number(),
  proportionalMb: z.array(z.number()),
  uncorrelatedMb: z.number(),
  interleavedSteps: z.number(),
  interleavedKib: z.array(z.number()),
  burnIterations: z.number(),
  repetitions: z.number(),
});

/** What one child returns. */
const MemoryChild = MemoryHeadlines.extend({
  /** Per repetition, the guard's figures in MB. */
  samples: z.array(
    z.object({
      interleaved: z.array(z.number()),
      single: z.number(),
      proportional: z.array(z.number()),
      uncorrelated: z.array(z.number()),
    }),
  ),
  /** Keeps the burns from being optimised away. */
  sink: z.number(),
});
type MemoryChild = z.infer<typeof MemoryChild>;

/** The headline figures are medians over the children. */
export const MemoryAttributionResult = inChildren(MemoryHeadlines, MemoryChild, MemorySettings);
export type MemoryAttributionResult = z.infer<typeof MemoryAttributionResult>;

export const memoryAttribution: Scenario<MemoryAttributionResult> = {
  name: NAME,
  description:
    'Guarded calls (core API, default sampling) hold buffers of known size, allocated in 8 segments 60 ms apart, and read `usage().memoryMb` two sampling intervals after the last: one call holding 32 MB; 4 calls at once holding 8/16/24/32 MB with CPU in proportion (buffers written through); 2 calls at once, one burning CPU and allocating nothing, the other allocating 32 MB with next to no CPU; 4 calls taking turns in 400 short steps keeping 4/8/12/16 KiB each. Truth: the bytes each call holds.',
  result: MemoryAttributionResult,
  async run(ctx) {
    // ~2 ms of CPU per segment for the call that burns without allocating.
    const burnIterations = calibrateSpin(2);
    const rounds = ctx.quick ? 1 : 3;
    const repetitions = ctx.quick ? 2 : 8;
    const children = await runInChildren(
      ctx,
      rounds,
      { scenario: NAME, task: 'attribution', params: { burnIterations, repetitions } },
      MemoryChild,
      { nodeOptions: ['--expose-gc'] },
      (c) =>
        `single ${c.singleSignedErrorPct} %, proportional max share error ${c.proportionalMaxShareErrorPct} %, ` +
        `uncorrelated: ${c.uncorrelatedMisattributedPct} % of the allocator's memory charged to the burner; ` +
        `other load ${c.backgroundCores} cores`,
    );
    return {
      ...mediansOf(children, MemoryHeadlines.keyof().options),
      rounds: children,
      settings: {
        segments: SEGMENTS,
        segmentGapMs: SEGMENT_GAP_MS,
        holdMs: HOLD_MS,
        singleMb: SINGLE_MB,
        proportionalMb: PROPORTIONAL_MB,
        uncorrelatedMb: UNCORRELATED_MB,
        interleavedSteps: INTERLEAVED_STEPS,
        interleavedKib: INTERLEAVED_KIB,
        burnIterations,
        repetitions,
      },
      measuredAt: new Date().toISOString(),
    };
  },
  summarize(r) {
    return [
      `${NAME}: single ${r.singleSignedErrorPct} % (signed), proportional max share error ` +
        `${r.proportionalMaxShareErrorPct} % (total ${r.proportionalTotalErrorPct} %), uncorrelated ` +
        `${r.uncorrelatedMisattributedPct} % of the allocator's memory charged to the CPU burner, interleaved ` +
        `max share error ${r.interleavedMaxShareErrorPct} %`,
    ];
  },
  async task(request): Promise<MemoryChild> {
    const burnIterations = Number(request.params.burnIterations);
    const repetitions = Number(request.params.repetitions);
    const core = await loadCore();
    const guard = core.createResourceGuard({ watchdog: false });
    const measure = async (
      bodies: readonly (() => Promise<readonly Uint8Array[]>)[],
    ): Promise<{ guardMb: number[]; trueMb: number[] }> => {
      await settleHeap();
      const calls = await Promise.all(bodies.map((_, i) => guard.admit({ toolName: `alloc${i}` })));
      const kept = await Promise.all(calls.map((call, i) => call.run(bodies[i]!)));
      const guardMb = calls.map((call) => call.usage().memoryMb);
      const trueMb = kept.map((buffers) => buffers.reduce((sum, b) => sum + b.byteLength, 0) / MB);
      for (const call of calls) call.end('ok');
      await Promise.all(calls.map((call) => call.settled));
      return { guardMb, trueMb };
    };
    // Warm-up: probes installed, sampler running, first-call costs paid.
    const holding = (mb: number, spinIterations: number, write: boolean) => (): Promise<readonly Uint8Array[]> =>
      hold(mb, spinIterations, write);
    await measure([holding(4, 0, true)]);

    const single: number[] = [];
    const proportionalShare: number[] = [];
    const proportionalTotal: number[] = [];
    const misattributed: number[] = [];
    const interleavedShare: number[] = [];
    const samples: MemoryChild['samples'] = [];
    for (let r = 0; r < repetitions; r++) {
      const one = await measure([holding(SINGLE_MB, 0, true)]);
      single.push(signedPct(one.guardMb[0]!, one.trueMb[0]!));

      const many = await measure(PROPORTIONAL_MB.map((mb) => holding(mb, 0, true)));
      proportionalShare.push(shareErrors(many.guardMb, many.trueMb).relative);
      const guardTotal = many.guardMb.reduce((a, b) => a + b, 0);
      const trueTotal = many.trueMb.reduce((a, b) => a + b, 0);
      proportionalTotal.push(signedPct(guardTotal, trueTotal));

      const odd = await measure([holding(0, burnIterations, false), holding(UNCORRELATED_MB, 0, false)]);
      const charged = odd.guardMb[0]! + odd.guardMb[1]!;
      misattributed.push(charged > 0 ? (odd.guardMb[0]! / charged) * 100 : 0);
      const turns = await measure(INTERLEAVED_KIB.map((kib) => () => interleave(kib)));
      interleavedShare.push(shareErrors(turns.guardMb, turns.trueMb).relative);
      samples.push({
        interleaved: turns.guardMb.map((v) => round(v, 3)),
        single: round(one.guardMb[0]!, 2),
        proportional: many.guardMb.map((v) => round(v, 2)),
        uncorrelated: odd.guardMb.map((v) => round(v, 2)),
      });
    }
    await guard.close();
    return {
      singleSignedErrorPct: round(median(single), 3),
      proportionalMaxShareErrorPct: round(median(proportionalShare), 3),
      proportionalTotalErrorPct: round(median(proportionalTotal), 3),
      uncorrelatedMisattributedPct: round(median(misattributed), 3),
      interleavedMaxShareErrorPct: round(median(interleavedShare), 3),
      samples,
      sink: sink.value & 1,
    };
  },
};
