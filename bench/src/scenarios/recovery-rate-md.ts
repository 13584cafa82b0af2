/** The recovery section of BENCHMARKS.md. */

import { cores, int, num, rate } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { type RecoveryRateResult, recoveryRate } from './recovery-rate.js';

/** The leaky tool's faults are named after the corpus scenario: `leak: <name>`. */
const isLeak = (fault: string): boolean => fault.startsWith('leak: ');

/**
 * A result's figures over some kinds of fault: recovered, the guard's recovery events, its first failure.
 *
 * @returns the three cells, or `not measured` where the result has none of these faults
 */
function faultCells(result: RecoveryRateResult, faults: readonly string[]): string[] {
  const tallies = faults.flatMap((fault) => result.byFault[fault] ?? []);
  if (tallies.length === 0) return ['not measured', 'not measured', 'not measured'];
  const sum = (figure: (t: (typeof tallies)[number]) => number): number =>
    tallies.reduce((total, t) => total + figure(t), 0);
  return [
    `${int(sum((t) => t.recovered))} / ${int(sum((t) => t.faults))}`,
    `${int(sum((t) => t.guardRecoverySuccesses))} / ${int(sum((t) => t.guardRecoveryAttempts))}`,
    tallies.flatMap((t) => t.examples)[0] ?? '',
  ];
}

export const recoveryRateSection: Section = section(recoveryRate, (results) => {
  const faults = [...new Set(results.flatMap(({ result }) => Object.keys(result.byFault)))];
  const toolFaults = faults.filter((fault) => !isLeak(fault));
  const leakFaults = faults.filter(isLeak);
  const guardRows = results.flatMap(({ node, result }) =>
    Object.entries(result.guardRecovery).map(([tool, g]) => [
      String(node),
      tool,
      `${int(g.successes)} / ${int(g.attempts)}`,
      rate(g.rate),
      int(g.cleanups),
      int(g.handlesClosed),
      int(g.handlesSurvived),
    ]),
  );
  return [
    '## Recovery after faults',
    '',
    methodNote('recoveryRate'),
    '',
    table(
      ['Node', 'recovery rate', 'faults', 'recovered', 'fault kinds', 'other load (cores)', 'seconds'],
      results.map(({ node, result: r }) => [
        String(node),
        rate(r.recoveryRate),
        int(r.faults),
        int(r.recovered),
        int(r.faultKinds),
        cores(r.backgroundCores),
        num(r.seconds),
      ]),
    ),
    '',
    table(
      [
        'fault',
        ...results.flatMap(({ node }) => [
          `Node ${node}: recovered`,
          `Node ${node}: guard's recovery events (success / all)`,
          `Node ${node}: first failure`,
        ]),
      ],
      [
        ...toolFaults.map((fault) => [fault, ...results.flatMap(({ result }) => faultCells(result, [fault]))]),
        [
          `leaks (${leakFaults.length} corpus kinds, returning or throwing)`,
          ...results.flatMap(({ result }) => faultCells(result, leakFaults)),
        ],
      ],
    ),
    '',
    'The guard’s own recovery figures at the end of the run:',
    '',
    table(
      ['Node', 'tool', 'recovery (successes / attempts)', 'rate', 'cleanups', 'handles closed', 'survived'],
      guardRows,
    ),
  ].join('\n');
});
