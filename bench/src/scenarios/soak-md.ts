/** The soak section of BENCHMARKS.md. */

import { cores, int, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { type SoakResult, soak } from './soak.js';

/** A reading of the baseline and of the end, to four significant digits. */
function baselineToEnd(r: SoakResult, figure: keyof SoakResult['resources']['baseline']): string {
  return `${num(r.resources.baseline[figure], 4)} → ${num(r.resources.end[figure], 4)}`;
}

export const soakSection: Section = section(soak, (results) => {
  const rows = results.map(({ node, result: r }) => {
    const pool = r.resources.undiciPoolConnections;
    const poolAdded = pool.end > pool.baseline ? ` (${pool.end - pool.baseline} more in undici’s pool)` : '';
    return [
      String(node),
      r.ok ? 'passed' : 'failed',
      `${int(r.calls.answered)} of ${int(r.calls.target)}`,
      `${num(r.seconds)} s, ${int(r.callsPerSec)} calls/s`,
      `${baselineToEnd(r, 'fds')}${poolAdded}`,
      baselineToEnd(r, 'handles'),
      `${baselineToEnd(r, 'heapObjectsMb')} (heapUsed ${baselineToEnd(r, 'heapUsedMb')})`,
      `${int(r.cleanup.events)} (${int(r.cleanup.callsLeftOpen)} + ${int(r.cleanup.callsTempOnly)})`,
      int(r.cleanup.auditEntries),
      `${int(r.knownIssues.procStatFdsOfExitedProcesses)} / ${int(r.knownIssues.survivorsRemovedAfterwards)}`,
      int(r.sessions.opened),
      cores(r.backgroundCores),
    ];
  });
  const failures = results.flatMap(({ node, result }) =>
    result.failures.length > 0 ? [`- Node ${node}: ${result.failures.join('; ')}`] : [],
  );
  return [
    '## Soak',
    '',
    methodNote('soak'),
    '',
    table(
      [
        'Node',
        'verdict (known issues apart)',
        'calls answered',
        'duration',
        'descriptors (stat fds included)',
        'live handles',
        'objects in the heap after gc (MB)',
        'cleanups (left open + temp)',
        'audit entries',
        'known issues (stat fds / survivors)',
        'sessions',
        'other load (cores)',
      ],
      rows,
    ),
    ...(failures.length === 0 ? [] : ['', 'Failures:', '', ...failures]),
  ].join('\n');
});
