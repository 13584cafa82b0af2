/** The sampler cost section of BENCHMARKS.md. */

import { cores, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { sampler } from './sampler.js';

export const samplerSection: Section = section(sampler, (results) =>
  [
    '## Cost of the sampler',
    '',
    methodNote('sampler'),
    '',
    table(
      [
        'Node',
        'idle (% of a core)',
        '50 calls in flight',
        'idle, watchdog off',
        '50 calls, watchdog off',
        'other load (cores, median / max)',
        'reference: one 50 ms interval',
      ],
      results.map(({ node, result: r }) => [
        String(node),
        num(r.idleCpuPct),
        num(r.activeCpuPct),
        num(r.idleCpuPctNoWatchdog),
        num(r.activeCpuPctNoWatchdog),
        `${cores(r.backgroundCores)} / ${cores(r.backgroundCoresMax)}`,
        num(r.referenceIntervalCpuPct),
      ]),
    ),
  ].join('\n'),
);
