/** leakDetection: does the guard emit a `leak` event for exactly the calls that leak? Precision and recall. */

import * as z from 'zod';
import { loadCore } from '../core.js';
import { createCorpusRunner } from '../corpus-run.js';
import { availableLeakCases, CLEAN_ONLY_CASES, closeSharedLeftovers } from '../leak-corpus.js';
import { type Scenario, TaskRun, withTaskRun } from '../scenario.js';
import { round } from '../stats.js';

const NAME = 'leakDetection';
const REPETITIONS = 5;
const QUICK_REPETITIONS = 1;

/** One corpus scenario: its calls, and those the guard emitted a `leak` event for. */
const Classified = z.discriminatedUnion('leaky', [
  z.object({ leaky: z.literal(true), detected: z.number(), calls: z.number(), errors: z.array(z.string()) }),
  z.object({
    leaky: z.literal(false),
    detected: z.number(),
    calls: z.number(),
    /** Handles of the leak events, by kind, over its calls. */
    kinds: z.record(z.string(), z.number()),
    errors: z.array(z.string()),
  }),
]);

/** What the task returns. Counts are of calls; a call whose body threw is not classified. */
const Detection = z.object({
  /** Null when no call was flagged. */
  precision: z.number().nullable(),
  /** Null when no leaky call was classified. */
  recall: z.number().nullable(),
  truePositives: z.number(),
  falsePositives: z.number(),
  falseNegatives: z.number(),
  trueNegatives: z.number(),
  leakyScenarios: z.number(),
  cleanScenarios: z.number(),
  repetitions: z.number(),
  bodyErrors: z.number(),
  /** The scenarios with a call classified wrongly, described. */
  misclassified: z.array(z.string()),
  byScenario: z.record(z.string(), Classified),
});
type Detection = z.infer<typeof Detection>;

export const LeakDetectionResult = Detection.extend(TaskRun.shape);
export type LeakDetectionResult = z.infer<typeof LeakDetectionResult>;

interface Tally {
  truePositives: number;
  falsePositives: number;
  falseNegatives: number;
  trueNegatives: number;
}

export const leakDetection: Scenario<LeakDetectionResult> = {
  name: NAME,
  description:
    'Every leak-corpus scenario (leaky) and the same operations done properly plus clean patterns (keep-alive pools, unref’d timers, runShared, detach, share) (clean), each repeated in fresh calls on one guard; a call counts as detected when the guard emits a `leak` event for it.',
  result: LeakDetectionResult,
  async run(ctx) {
    const repetitions = ctx.quick ? QUICK_REPETITIONS : REPETITIONS;
    const run = await ctx.runTask({ scenario: NAME, task: 'classify', params: { repetitions } }, Detection);
    ctx.log(`${NAME}: precision ${run.result.precision}, recall ${run.result.recall} (${run.seconds} s)`);
    return withTaskRun(run);
  },
  summarize(r) {
    return [
      `${NAME}: precision ${r.precision}, recall ${r.recall} (TP ${r.truePositives}, FP ${r.falsePositives}, ` +
        `FN ${r.falseNegatives}, TN ${r.trueNegatives}); misclassified: ${r.misclassified.length === 0 ? 'none' : r.misclassified.join('; ')}`,
    ];
  },
  async task(request): Promise<Detection> {
    const repetitions = Number(request.params.repetitions);
    const core = await loadCore();
    const runner = await createCorpusRunner(core);
    const tally: Tally = { truePositives: 0, falsePositives: 0, falseNegatives: 0, trueNegatives: 0 };
    const misclassified: string[] = [];
    let bodyErrors = 0;
    const byScenario: Detection['byScenario'] = {};
    const leaky = availableLeakCases(runner.env);
    const clean = [
      ...leaky.map((c) => ({ name: `${c.name} — done properly`, run: c.clean })),
      ...CLEAN_ONLY_CASES.map((c) => ({ name: c.name, run: c.run })),
    ];
    try {
      for (const c of leaky) {
        let detected = 0;
        let calls = 0;
        const errors: string[] = [];
        for (let rep = 0; rep < repetitions; rep++) {
          const call = await runner.run(c.leak);
          // A body that failed may not have opened what it leaks: it is reported, not classified.
          if (call.error !== undefined) {
            errors.push(call.error);
            continue;
          }
          calls++;
          if (call.leakEvent) detected++;
        }
        tally.truePositives += detected;
        tally.falseNegatives += calls - detected;
        bodyErrors += errors.length;
        if (detected < calls) misclassified.push(`${c.name} (missed ${calls - detected}/${calls})`);
        byScenario[c.name] = { leaky: true, detected, calls, errors };
      }
      for (const c of clean) {
        let flagged = 0;
        let calls = 0;
        const errors: string[] = [];
        const kinds: Record<string, number> = {};
        for (let rep = 0; rep < repetitions; rep++) {
          const call = await runner.run(c.run);
          await closeSharedLeftovers();
          if (call.error !== undefined) {
            errors.push(call.error);
            continue;
          }
          calls++;
          if (call.leakEvent) flagged++;
          for (const [kind, n] of Object.entries(call.guardKinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
        }
        tally.falsePositives += flagged;
        tally.trueNegatives += calls - flagged;
        bodyErrors += errors.length;
        if (flagged > 0) {
          misclassified.push(`${c.name} (flagged ${flagged}/${calls}: ${JSON.stringify(kinds)})`);
        }
        byScenario[c.name] = { leaky: false, detected: flagged, calls, kinds, errors };
      }
    } finally {
      await runner.close();
    }
    const { truePositives: tp, falsePositives: fp, falseNegatives: fn } = tally;
    return {
      precision: tp + fp === 0 ? null : round(tp / (tp + fp)),
      recall: tp + fn === 0 ? null : round(tp / (tp + fn)),
      ...tally,
      leakyScenarios: leaky.length,
      cleanScenarios: clean.length,
      repetitions,
      bodyErrors,
      misclassified,
      byScenario,
    };
  },
};
