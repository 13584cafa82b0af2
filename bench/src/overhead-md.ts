/**
 * The bare-vs-guarded comparisons in BENCHMARKS.md: the settings of the scenarios that make them, and the overhead
 * table, a row per comparison (`overhead.trivial`, `scale.tools1`, ...) and Node version.
 */

import { cores, int, micros, quartiles } from './md-format.js';
import { table } from './md-table.js';
import type { NodeResults } from './results.js';
import type { Figure, OverheadResult, Scenario } from './scenario.js';

/**
 * The comparisons in a scenario's result on one Node version.
 *
 * @returns `[figure name, comparison]`, none when the Node version has no result of the scenario
 */
function overheadsOn<R>(file: NodeResults, scenario: Scenario<R>): readonly Figure<OverheadResult>[] {
  const result = file.resultOf(scenario);
  return result === undefined ? [] : (scenario.overheads?.(result) ?? []);
}

/**
 * The settings of the scenarios that compare bare and guarded, from the newest Node version that ran each.
 *
 * @param files - every results file, oldest Node first
 * @param scenarios - every scenario, in the registry's order
 * @returns the table
 */
export function settingsTable(files: readonly NodeResults[], scenarios: readonly Scenario<unknown>[]): string {
  const rows = scenarios.flatMap((scenario) => {
    const first = [...files]
      .reverse()
      .map((file) => overheadsOn(file, scenario)[0])
      .find((figure) => figure !== undefined);
    if (first === undefined) return [];
    const [, { settings, rounds }] = first;
    const { loop } = settings;
    return [
      [
        scenario.name,
        scenario.description,
        String(loop.concurrency),
        `${loop.warmupMs} ms, then ${loop.batches} × ${loop.batchMs} ms`,
        String(rounds),
      ],
    ];
  });
  return table(['scenario', 'what', 'calls in flight', 'per child: warm-up, timed batches', 'rounds'], rows);
}

function overheadRow(figure: string, node: number, r: OverheadResult): string[] {
  const ratio = (n: number): string => n.toFixed(3);
  return [
    figure,
    String(node),
    `${int(r.bareCallsPerSec)} (${quartiles(r.spread.bareCallsPerSec, int)})`,
    `${int(r.guardedCallsPerSec)} (${quartiles(r.spread.guardedCallsPerSec, int)})`,
    `${ratio(r.ratio)} (${quartiles(r.spread.ratio, ratio)})`,
    `${micros(r.addedMicrosP50)} (${quartiles(r.spread.addedMicros, micros)})`,
    `${micros(r.addedCpuMicrosP50)} (${quartiles(r.spread.addedCpuMicros, micros)})`,
    `${micros(r.bareMicrosPerCall)} → ${micros(r.guardedMicrosPerCall)}`,
    r.backgroundCores === null ? cores(null) : `${cores(r.backgroundCores.p50)} (max ${cores(r.backgroundCores.max)})`,
    String(r.rounds),
  ];
}

/**
 * Every comparison, by figure, then by Node version; a Node version without the figure gets a row that says so.
 *
 * @param files - every results file, oldest Node first
 * @param scenarios - every scenario, in the registry's order
 * @returns the table
 */
export function overheadTable(files: readonly NodeResults[], scenarios: readonly Scenario<unknown>[]): string {
  const byFigure = new Map<string, Map<number, OverheadResult>>();
  for (const scenario of scenarios) {
    for (const file of files) {
      for (const [figure, result] of overheadsOn(file, scenario)) {
        const byNode = byFigure.get(figure) ?? new Map<number, OverheadResult>();
        byFigure.set(figure, byNode.set(file.node, result));
      }
    }
  }
  const rows = [...byFigure].flatMap(([figure, byNode]) =>
    files.map(({ node }) => {
      const result = byNode.get(node);
      return result === undefined ? [figure, String(node), 'not measured'] : overheadRow(figure, node, result);
    }),
  );
  return table(
    [
      'scenario',
      'Node',
      'bare calls/s',
      'guarded calls/s',
      'guarded/bare',
      'added µs/call',
      'added CPU µs/call',
      'µs/call bare → guarded',
      'other load (cores)',
      'rounds',
    ],
    rows,
  );
}
