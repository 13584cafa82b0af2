/** The false limit violations section of BENCHMARKS.md. */

import { cores, int, num, rate } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { type FalsePositiveRateResult, falsePositiveRate } from './false-positive-rate.js';

/** p99 / max over calls of the guard's peak against a limit. */
function peakShare(
  r: FalsePositiveRateResult,
  limit: keyof FalsePositiveRateResult['measuredPeakShareOfLimit'],
): string {
  const share = r.measuredPeakShareOfLimit[limit];
  return `${num(share.p99)} / ${num(share.max)}`;
}

export const falsePositiveRateSection: Section = section(falsePositiveRate, (results) =>
  [
    '## False limit violations',
    '',
    methodNote('falsePositiveRate'),
    '',
    ...results.flatMap(({ node, result: { flagged } }) =>
      flagged.length === 0
        ? []
        : [`Calls above warn on Node ${node} (first ten):`, '', ...flagged.map((x) => `- ${x}`), ''],
    ),
    table(
      [
        'Node',
        'false-positive rate',
        'without real overruns',
        'calls',
        'above warn (really over)',
        'warned only',
        'by limit',
        'refused or stopped',
        'peak share p99 / max: time, files, memory (guard’s estimate)',
        'other load (cores)',
        'seconds',
      ],
      results.map(({ node, result: r }) => [
        String(node),
        rate(r.falsePositiveRate),
        rate(r.falsePositiveRateExcludingTrueOverruns),
        int(r.calls),
        `${int(r.aboveWarn)} (${int(r.aboveWarnReallyOver)})`,
        int(r.warns),
        Object.keys(r.aboveWarnByLimit).length > 0 ? JSON.stringify(r.aboveWarnByLimit) : 'none',
        `${int(r.refusedOrStopped)} (${int(r.emergencies)} emergencies)`,
        `${peakShare(r, 'executionTimeMs')}; ${peakShare(r, 'fileHandles')}; ${peakShare(r, 'memoryMbAsEstimatedByGuard')}`,
        cores(r.backgroundCores),
        num(r.seconds),
      ]),
    ),
  ].join('\n'),
);
