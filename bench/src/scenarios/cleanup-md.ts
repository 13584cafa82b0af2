/** The cleanup latency section of BENCHMARKS.md. */

import { cores, int, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { CLEANUP_SIZES, cleanup } from './cleanup.js';

export const cleanupSection: Section = section(cleanup, (results) => {
  const rows = CLEANUP_SIZES.flatMap((size) =>
    results.map(({ node, result }) => {
      const e = result[size];
      return [
        size,
        String(node),
        'mix' in e
          ? `${int(e.mix.files)} / ${int(e.mix.sockets)} / ${int(e.mix.timers)} / ${int(e.mix.child)}`
          : '1000 files',
        `${num(e.p50Ms)} / ${num(e.p99Ms)} / ${num(e.maxMs)}`,
        num(e.meanMs),
        Object.entries(e.stepP99Ms)
          .map(([step, v]) => `${step} ${num(v, 2)}`)
          .join(', '),
        `${num(e.report.p50Ms)} / ${num(e.report.p99Ms)}`,
        int(e.samples),
        `${int(e.survived)} / ${int(e.groundTruthResidue)} / ${int(e.samplerCacheFds)}`,
        cores(result.backgroundCores),
      ];
    }),
  );
  return [
    '## Cleanup latency',
    '',
    methodNote('cleanup'),
    '',
    table(
      [
        'figure',
        'Node',
        'files / sockets / timers / child',
        'end→settled p50 / p99 / max (ms)',
        'mean (ms)',
        'p99 by step (ms)',
        'report durationMs p50 / p99',
        'samples',
        'survivors / residue / cache fds',
        'other load (cores)',
      ],
      rows,
    ),
  ].join('\n');
});
