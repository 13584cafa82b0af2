/**
 * overhead.probes: what each probe costs. The realistic tool over InMemoryTransport (as overhead.realistic),
 * bare against guarded with no probe, with one probe alone, and with all of them.
 */

import * as z from 'zod';
import { compareBareGuarded } from '../compare.js';
import { realisticMeasure } from '../realistic-scenario.js';
import { type JsonObject, type LoopSettings, OverheadResult, type Scenario } from '../scenario.js';
import { spinIterationsPerMs } from '../work.js';
import { driveInMemory } from './overhead-realistic.js';

const NAME = 'overhead.probes';
const FULL: LoopSettings = { warmupMs: 500, batchMs: 200, batches: 5, concurrency: 8 };
const QUICK: LoopSettings = { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 8 };
const PROBES = ['files', 'network', 'timers', 'processes', 'cpu', 'memory'] as const;
const NONE: JsonObject = Object.fromEntries(PROBES.map((p) => [p, false]));

/** The configurations: none, each probe alone, all. */
const CONFIGS: readonly (readonly [string, JsonObject])[] = [
  ['none', NONE],
  ...PROBES.map((p): [string, JsonObject] => [p, { ...NONE, [p]: true }]),
  ['all', Object.fromEntries(PROBES.map((p) => [p, true]))],
  // The lean configuration of the README: what it takes to track and clean up handles, without per-call CPU and memory.
  ['lean', { files: true, network: true, timers: true, processes: true, cpu: false, memory: false }],
];

/** A comparison per configuration, by its label (`none`, `files`, ..., `all`), in run order. */
export const ProbesResult = z.record(z.string(), OverheadResult);
export type ProbesResult = z.infer<typeof ProbesResult>;

export const overheadProbes: Scenario<ProbesResult> = {
  name: NAME,
  description:
    'What each probe costs: the realistic tool over InMemoryTransport, 8 calls in flight, bare against guarded with no probe (`none`: the guard, ALS and the sampler only), each probe alone, all of them, and the lean configuration (`lean`: all but `cpu` and `memory`).',
  result: ProbesResult,
  async run(ctx) {
    const spinIterations = spinIterationsPerMs();
    const out: ProbesResult = {};
    for (const [label, probes] of CONFIGS) {
      out[label] = await compareBareGuarded(ctx, {
        scenario: NAME,
        label: `${NAME}.${label}`,
        params: { spinIterations, probes },
        loop: ctx.quick ? QUICK : FULL,
        rounds: ctx.quick ? 1 : 4,
      });
    }
    return out;
  },
  overheads: (result) => Object.entries(result).map(([label, r]) => [`${NAME}.${label}`, r]),
  measure: realisticMeasure(driveInMemory),
};
