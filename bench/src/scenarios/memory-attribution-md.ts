/** The memory attribution section of BENCHMARKS.md. */

import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { childRows, type Section, section } from '../scenario-md.js';
import { memoryAttribution } from './memory-attribution.js';

export const memoryAttributionSection: Section = section(memoryAttribution, (results) =>
  [
    '## Memory attribution',
    '',
    methodNote('memoryAttribution'),
    '',
    table(
      [
        'Node',
        'child',
        'single, signed error %',
        'proportional: max share error %',
        'total error %',
        'uncorrelated: share charged to the call that allocated nothing %',
        'interleaved: max share error %',
        'other load (cores)',
      ],
      childRows(
        results,
        (r) => r.rounds,
        (child) => [
          child.singleSignedErrorPct,
          child.proportionalMaxShareErrorPct,
          child.proportionalTotalErrorPct,
          child.uncorrelatedMisattributedPct,
          child.interleavedMaxShareErrorPct,
        ],
      ),
    ),
  ].join('\n'),
);
