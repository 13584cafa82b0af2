/** The flood isolation section of BENCHMARKS.md. */

import { cores, int, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { type FloodIsolationResult, floodIsolation, type PhaseLatency } from './flood-isolation.js';

/** The runs compared, as the table names them. */
const VARIANTS = [
  ['bare', 'bare'],
  ['guarded', 'guarded'],
  ['guardedRefusalsAtOnce', 'guarded, refusals at once'],
] as const satisfies readonly (readonly [keyof FloodIsolationResult, string])[];

/** p50 / p99 / max of a phase, in ms. */
const latencies = (p: PhaseLatency): string => `${num(p.p50Ms)} / ${num(p.p99Ms)} / ${num(p.maxMs)}`;

export const floodIsolationSection: Section = section(floodIsolation, (results) => {
  const rows = results.flatMap(({ node, result }) =>
    VARIANTS.map(([variant, label]) => {
      const v = result[variant];
      if (v === undefined) return [String(node), label, 'not measured'];
      return [
        String(node),
        label,
        latencies(v.quiet),
        latencies(v.flood),
        `${int(v.quiet.calls)} / ${int(v.flood.calls)}`,
        `${int(v.quiet.errors)} / ${int(v.flood.errors)}`,
        Object.entries(v.flooder)
          .map(([outcome, n]) => `${outcome} ${int(n)}`)
          .join(', '),
        cores(result.backgroundCores),
      ];
    }),
  );
  const throttled = results.map(({ node, result }) => `Node ${node}: ${int(result.othersThrottled)}`).join('; ');
  return [
    '## Flood isolation',
    '',
    `${methodNote('floodIsolation')} Throttle events of the guard that named one of the four sessions or their tool: ${throttled}.`,
    'Measured and reported, not a target: the machine is shared.',
    '',
    table(
      [
        'Node',
        'variant',
        'others p50 / p99 / max, no flood (ms)',
        'under the flood (ms)',
        'others’ calls (no flood / flood)',
        'others’ errors',
        'flooder’s calls, by outcome',
        'other load (cores)',
      ],
      rows,
    ),
  ].join('\n');
});
