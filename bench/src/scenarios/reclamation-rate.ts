/** reclamationRate: of what leaky calls really left open (ground truth), the share the guard's cleanup gave back. */

import { loadCore } from '../core.js';
import { createCorpusRunner } from '../corpus-run.js';
import { availableLeakCases, closeSharedLeftovers, LEAK_CASES, OUTSIDE_COVERAGE_CASES } from '../leak-corpus.js';
import type { Json, JsonObject, Scenario } from '../scenario.js';
import { round } from '../stats.js';

const NAME = 'reclamationRate';
const REPETITIONS = 20;
const QUICK_REPETITIONS = 2;

interface CaseTotals {
  leaked: number;
  reclaimed: number;
  guardLeaked: number;
  expected: number;
  survivedByGuard: number;
  residue: Record<string, number>;
  repetitions: number;
  errors: string[];
}

function sumKinds(kinds: Readonly<Record<string, number>>): number {
  return Object.values(kinds).reduce((a, b) => a + b, 0);
}

export const reclamationRate: Scenario = {
  name: NAME,
  description:
    'Leak corpus (every kind the probes cover, and mixes), each scenario repeated in fresh calls on one guard; ground truth (open fds, live handles by type, marked processes, temp-root entries) before the call, at its end and after its cleanup.',
  async run(ctx) {
    const repetitions = ctx.quick ? QUICK_REPETITIONS : REPETITIONS;
    const { result, backgroundCores, seconds } = await ctx.runTask({
      scenario: NAME,
      task: 'corpus',
      params: { repetitions },
    });
    ctx.log(
      `${NAME}: rate ${String(result.reclamationRate)} over ${String(result.leaked)} leaked units (${seconds} s)`,
    );
    return { ...result, backgroundCores, seconds, measuredAt: new Date().toISOString() };
  },
  summarize(result) {
    const r = result as JsonObject;
    return [
      `${NAME}: ${String(r.reclamationRate)} (${String(r.reclaimed)} of ${String(r.leaked)} ground-truth units, ` +
        `${String(r.scenarios)} scenarios × ${String(r.repetitions)}; guard reported ${String(r.guardLeaked)} handles)`,
    ];
  },
  async task(request) {
    const repetitions = Number(request.params.repetitions);
    const core = await loadCore();
    const runner = await createCorpusRunner(core);
    const cases = availableLeakCases(runner.env);
    const byScenario: Record<string, Json> = {};
    const outsideCoverage: Record<string, Json> = {};
    let leaked = 0;
    let reclaimed = 0;
    let guardLeaked = 0;
    let guardClosed = 0;
    let expectedHandles = 0;
    let bodyErrors = 0;
    let leakedExclCache = 0;
    let reclaimedExclCache = 0;
    try {
      for (const leakCase of cases) {
        const options = runner.optionsFor(leakCase.processes);
        // Warm-up: lazily created process-wide things (thread pool, DNS, undici pool) join the baseline.
        await runner.run(leakCase.leak);
        let baseline = await runner.baseline(options);
        const totals: CaseTotals = {
          leaked: 0,
          reclaimed: 0,
          guardLeaked: 0,
          expected: 0,
          survivedByGuard: 0,
          residue: {},
          repetitions: 0,
          errors: [],
        };
        for (let rep = 0; rep < repetitions; rep++) {
          const call = await runner.run(leakCase.leak, { options, baseline });
          if (call.error !== undefined) totals.errors.push(call.error);
          const atEnd = call.atEnd?.total ?? 0;
          const left = call.remaining?.total ?? 0;
          // Descriptors on /proc/<pid>/stat belong to the guard's own child sampler (pidusage's cache).
          const cacheAtEnd = call.atEnd?.items.procStatFds ?? 0;
          const cacheLeft = call.remaining?.items.procStatFds ?? 0;
          leakedExclCache += atEnd - cacheAtEnd;
          reclaimedExclCache += Math.max(0, atEnd - cacheAtEnd - (left - cacheLeft));
          totals.leaked += atEnd;
          totals.reclaimed += Math.max(0, atEnd - left);
          totals.guardLeaked += call.guardLeaked;
          totals.expected += sumKinds(leakCase.kinds);
          totals.survivedByGuard += call.cleanup?.survived ?? 0;
          guardClosed += (call.cleanup?.attempted ?? 0) - (call.cleanup?.survived ?? 0);
          totals.repetitions++;
          for (const [item, n] of Object.entries(call.remaining?.items ?? {})) {
            totals.residue[item] = (totals.residue[item] ?? 0) + n;
          }
          // Something stayed: measure the next repetition from where the process is now.
          if (left > 0) baseline = await runner.baseline(options);
        }
        leaked += totals.leaked;
        reclaimed += totals.reclaimed;
        guardLeaked += totals.guardLeaked;
        expectedHandles += totals.expected;
        byScenario[leakCase.name] = {
          leaked: totals.leaked,
          reclaimed: totals.reclaimed,
          rate: totals.leaked === 0 ? null : round(totals.reclaimed / totals.leaked),
          guardLeaked: totals.guardLeaked,
          expectedHandles: totals.expected,
          guardSurvivors: totals.survivedByGuard,
          residue: totals.residue,
          errors: totals.errors,
        };
        bodyErrors += totals.errors.length;
        console.error(
          `[${NAME}] ${leakCase.name}: ${totals.reclaimed}/${totals.leaked} units, guard ${totals.guardLeaked}/${totals.expected} handles` +
            (Object.keys(totals.residue).length > 0 ? `, residue ${JSON.stringify(totals.residue)}` : ''),
        );
      }
      // Kinds outside the probes' documented coverage: measured the same way, reported apart.
      for (const c of OUTSIDE_COVERAGE_CASES) {
        const options = runner.optionsFor(false);
        const baseline = await runner.baseline(options);
        let atEnd = 0;
        let left = 0;
        let events = 0;
        const reps = Math.min(repetitions, 3);
        for (let rep = 0; rep < reps; rep++) {
          const call = await runner.run(c.run, { options, baseline, settleMs: 300 });
          atEnd += call.atEnd?.total ?? 0;
          left += call.remaining?.total ?? 0;
          if (call.leakEvent) events++;
          await closeSharedLeftovers();
        }
        outsideCoverage[c.name] = {
          leaked: atEnd,
          reclaimed: Math.max(0, atEnd - left),
          leakEvents: events,
          calls: reps,
        };
      }
    } finally {
      await runner.close();
    }
    const skipped = LEAK_CASES.filter((c) => !cases.includes(c)).map((c) => c.name);
    return {
      reclamationRate: leaked === 0 ? null : round(reclaimed / leaked),
      reclamationRateExcludingSamplerCache: leakedExclCache === 0 ? null : round(reclaimedExclCache / leakedExclCache),
      leakedExcludingSamplerCache: leakedExclCache,
      scenarios: cases.length,
      repetitions,
      leaked,
      reclaimed,
      guardLeaked,
      guardClosed,
      expectedHandles,
      bodyErrors,
      skipped,
      byScenario,
      outsideCoverage,
    };
  },
};
