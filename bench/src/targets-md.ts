/**
 * The targets section of BENCHMARKS.md: our targets and the specification's, each against the figure of its
 * scenario's result on every Node version.
 */

import { int, num, rate } from './md-format.js';
import { table } from './md-table.js';
import { methodNote } from './method-notes.js';
import type { NodeResults } from './results.js';
import type { Scenario } from './scenario.js';
import { cleanup } from './scenarios/cleanup.js';
import { cpuAttribution } from './scenarios/cpu-attribution.js';
import { falsePositiveRate } from './scenarios/false-positive-rate.js';
import { isolation } from './scenarios/isolation.js';
import { leakDetection } from './scenarios/leak-detection.js';
import { reclamationRate } from './scenarios/reclamation-rate.js';
import { recoveryRate } from './scenarios/recovery-rate.js';
import { sampler } from './scenarios/sampler.js';
import { scale } from './scenarios/scale.js';

/** A target: what it says, and whether a figure meets it. */
interface Goal {
  readonly text: string;
  met(value: number): boolean;
}

/** A row of the targets table, its scenario's result type hidden. */
interface Target {
  readonly figure: string;
  /** Our target and the specification's, or `–` where there is none. */
  readonly ours: string;
  readonly spec: string;
  /** The figure on a Node version and the verdicts, `not measured`, or `–` where the run could not compute it. */
  cell(file: NodeResults): string;
}

/**
 * A target on a figure of a scenario's result.
 *
 * @param scenario - the scenario
 * @param t - the figure's name, how to read and print it, our target and the specification's (at least one)
 * @returns the table row
 */
function target<R>(
  scenario: Scenario<R>,
  t: {
    readonly figure: string;
    readonly ours?: Goal;
    readonly spec?: Goal;
    value(result: R): number | null;
    show(value: number): string;
  },
): Target {
  return {
    figure: t.figure,
    ours: t.ours?.text ?? '–',
    spec: t.spec?.text ?? '–',
    cell(file) {
      const result = file.resultOf(scenario);
      if (result === undefined) return 'not measured';
      const v = t.value(result);
      if (v === null) return '–';
      const verdicts = [
        t.ours === undefined ? [] : [`ours ${t.ours.met(v) ? 'met' : 'not met'}`],
        t.spec === undefined ? [] : [`spec ${t.spec.met(v) ? 'met' : 'not met'}`],
      ].flat();
      return `${t.show(v)} (${verdicts.join(', ')})`;
    },
  };
}

const ms = (v: number): string => `${num(v)} ms`;
const pct = (v: number): string => `${num(v)} %`;

const TARGETS: readonly Target[] = [
  target(cleanup, {
    figure: 'cleanup, 50 handles: p99',
    ours: { text: 'p99 ≤ 5 ms', met: (v) => v <= 5 },
    value: (r) => r.handles50.p99Ms,
    show: ms,
  }),
  target(cleanup, {
    figure: 'cleanup, 50 handles: mean',
    spec: { text: 'average < 50 ms', met: (v) => v < 50 },
    value: (r) => r.handles50.meanMs,
    show: ms,
  }),
  target(reclamationRate, {
    figure: 'reclamationRate',
    ours: { text: '1.0', met: (v) => v >= 1 },
    spec: { text: '> 0.95', met: (v) => v > 0.95 },
    value: (r) => r.reclamationRate,
    show: rate,
  }),
  target(falsePositiveRate, {
    figure: 'falsePositiveRate',
    ours: { text: '0', met: (v) => v === 0 },
    spec: { text: '< 0.01', met: (v) => v < 0.01 },
    value: (r) => r.falsePositiveRate,
    show: rate,
  }),
  target(leakDetection, {
    figure: 'leakDetection.precision',
    ours: { text: '1.0', met: (v) => v >= 1 },
    spec: { text: '> 0.99', met: (v) => v > 0.99 },
    value: (r) => r.precision,
    show: rate,
  }),
  target(leakDetection, {
    figure: 'leakDetection.recall',
    ours: { text: '1.0', met: (v) => v >= 1 },
    spec: { text: '> 0.99', met: (v) => v > 0.99 },
    value: (r) => r.recall,
    show: rate,
  }),
  target(recoveryRate, {
    figure: 'recoveryRate',
    ours: { text: '≥ 0.995', met: (v) => v >= 0.995 },
    spec: { text: '> 0.90', met: (v) => v > 0.9 },
    value: (r) => r.recoveryRate,
    show: rate,
  }),
  target(cpuAttribution, {
    figure: 'cpuAttribution.singleErrorPct',
    ours: { text: '≤ 5 %', met: (v) => v <= 5 },
    value: (r) => r.singleErrorPct,
    show: pct,
  }),
  target(cpuAttribution, {
    figure: 'cpuAttribution.concurrentMaxErrorPct',
    ours: { text: '≤ 10 %', met: (v) => v <= 10 },
    value: (r) => r.concurrentMaxErrorPct,
    show: pct,
  }),
  target(isolation, {
    figure: 'isolation: CPU figure, largest error of a call of ≥ 100 ms',
    ours: { text: '≤ 1 %', met: (v) => v <= 1 },
    value: (r) => Math.max(...r.attribution.cases.filter((c) => c.cpuMs >= 100).map((c) => c.cpuMaxErrorPct)),
    show: pct,
  }),
  target(isolation, {
    figure: 'isolation: CPU figure, largest total error of a case',
    ours: { text: '≤ 1 %', met: (v) => v <= 1 },
    value: (r) => r.attribution.cpuMaxTotalErrorPct,
    show: pct,
  }),
  target(isolation, {
    figure: 'isolation: memory figure, largest error of a call',
    ours: { text: '≤ 1 %', met: (v) => v <= 1 },
    value: (r) => r.attribution.memoryMaxErrorPct,
    show: pct,
  }),
  target(sampler, {
    figure: 'sampler.idleCpuPct',
    ours: { text: '≤ 0.2 % of a core', met: (v) => v <= 0.2 },
    value: (r) => r.idleCpuPct,
    show: pct,
  }),
  target(scale, {
    figure: 'scale.bytesPerCall (probes on)',
    ours: { text: '≤ 2 KB', met: (v) => v <= 2048 },
    value: (r) => r.bytesPerCall.probesOn.bytesPerCall,
    show: (v) => `${int(v)} B`,
  }),
];

/**
 * The targets section.
 *
 * @param files - every results file, oldest Node first
 * @returns markdown
 */
export function targetsSection(files: readonly NodeResults[]): string {
  return [
    '## Targets',
    '',
    methodNote('targets'),
    '',
    table(
      ['figure', 'our target', 'specification', ...files.map((f) => `Node ${f.node}`)],
      TARGETS.map((t) => [t.figure, t.ours, t.spec, ...files.map((f) => t.cell(f))]),
    ),
  ].join('\n');
}
