/** The memory per call in flight section of BENCHMARKS.md (`scale.bytesPerCall`; the scale timings are overheads). */

import { int, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { scale } from './scale.js';

export const bytesPerCallSection: Section = section(scale, (results) =>
  [
    '## Memory per call in flight',
    '',
    methodNote('scale.bytesPerCall'),
    '',
    table(
      ['Node', 'bytes per call, probes on', 'probes off', 'after end, on / off', 'calls', 'children'],
      results.map(({ node, result: { bytesPerCall: b } }) => [
        String(node),
        int(b.probesOn.bytesPerCall),
        int(b.probesOff.bytesPerCall),
        `${num(b.probesOn.retainedAfterEndBytesPerCall)} / ${num(b.probesOff.retainedAfterEndBytesPerCall)}`,
        int(b.calls),
        int(b.rounds),
      ]),
    ),
  ].join('\n'),
);
