/** The reclamation section of BENCHMARKS.md. */

import { cores, int, num, rate } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { reclamationRate } from './reclamation-rate.js';

/** The keys of every record in `records`, in the order first seen. */
const keysOf = (records: readonly Readonly<Record<string, unknown>>[]): string[] => [
  ...new Set(records.flatMap((r) => Object.keys(r))),
];

export const reclamationRateSection: Section = section(reclamationRate, (results) => {
  const summary = table(
    [
      'Node',
      'reclamation rate',
      'without the sampler’s /proc cache',
      'scenarios × repetitions',
      'ground-truth units leaked',
      'reclaimed',
      'handles in leak events (expected)',
      'body errors',
      'other load (cores)',
      'seconds',
    ],
    results.map(({ node, result: r }) => [
      String(node),
      rate(r.reclamationRate),
      rate(r.reclamationRateExcludingSamplerCache),
      `${int(r.scenarios)} × ${int(r.repetitions)}`,
      int(r.leaked),
      int(r.reclaimed),
      `${int(r.guardLeaked)} (${int(r.expectedHandles)})`,
      int(r.bodyErrors),
      cores(r.backgroundCores),
      num(r.seconds),
    ]),
  );
  const perScenario = table(
    [
      'scenario',
      ...results.flatMap(({ node }) => [
        `Node ${node}: reclaimed / leaked units`,
        `Node ${node}: guard handles (expected); residue`,
      ]),
    ],
    keysOf(results.map(({ result }) => result.byScenario)).map((name) => [
      name,
      ...results.flatMap(({ result }) => {
        const e = result.byScenario[name];
        if (e === undefined) return ['not measured', 'not measured'];
        const residue = Object.keys(e.residue).length > 0 ? `; ${JSON.stringify(e.residue)}` : '';
        const errors = e.errors.length > 0 ? `; ${e.errors.length} body errors` : '';
        return [
          `${int(e.reclaimed)} / ${int(e.leaked)}`,
          `${int(e.guardLeaked)} (${int(e.expectedHandles)})${residue}${errors}`,
        ];
      }),
    ]),
  );
  const outside = keysOf(results.map(({ result }) => result.outsideCoverage));
  const outsideTable = table(
    [
      'kind (not in the probe table)',
      ...results.map(({ node }) => `Node ${node}: reclaimed / leaked units; calls with a leak event`),
    ],
    outside.map((name) => [
      name,
      ...results.map(({ result }) => {
        const e = result.outsideCoverage[name];
        return e === undefined
          ? 'not measured'
          : `${int(e.reclaimed)} / ${int(e.leaked)}; ${int(e.leakEvents)} of ${int(e.calls)}`;
      }),
    ]),
  );
  return [
    '## Reclamation of leaked resources',
    '',
    methodNote('reclamationRate'),
    '',
    summary,
    '',
    perScenario,
    ...(outside.length === 0
      ? []
      : [
          '',
          'Leaks of kinds the core README’s probe table does not list, measured the same way (3 calls each, 300 ms to settle) and',
          'kept out of the figures above: where the automatic coverage ends.',
          '',
          outsideTable,
        ]),
  ].join('\n');
});
