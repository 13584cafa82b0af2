/** The CPU attribution section of BENCHMARKS.md. */

import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { childRows, type Section, section } from '../scenario-md.js';
import { cpuAttribution } from './cpu-attribution.js';

export const cpuAttributionSection: Section = section(cpuAttribution, (results) =>
  [
    '## CPU attribution',
    '',
    methodNote('cpuAttribution'),
    '',
    table(
      [
        'Node',
        'child',
        'single error %',
        'single signed %',
        'single vs wall %',
        'concurrent max share error %',
        'in points',
        'max abs %',
        'share error vs wall %',
        'other load (cores)',
      ],
      childRows(
        results,
        (r) => r.rounds,
        (child) => [
          child.singleErrorPct,
          child.singleSignedErrorPct,
          child.singleErrorVsWallPct,
          child.concurrentMaxErrorPct,
          child.concurrentMaxErrorPp,
          child.concurrentMaxAbsoluteErrorPct,
          child.concurrentMaxErrorVsWallPct,
        ],
      ),
    ),
  ].join('\n'),
);
