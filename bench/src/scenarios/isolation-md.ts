/** The isolated tools section of BENCHMARKS.md. */

import { cores, int, micros, num } from '../md-format.js';
import { table } from '../md-table.js';
import { methodNote } from '../method-notes.js';
import { type Section, section } from '../scenario-md.js';
import { isolation } from './isolation.js';

const POOL_COLUMNS = [null, 1, 2, 4] as const;

export const isolationSection: Section = section(isolation, (results) => {
  const measuredOn = results
    .map(({ result }) => `Node ${result.node} (commit ${result.commit?.slice(0, 7) ?? 'unknown'})`)
    .join(', ');
  const clocks = results
    .map(
      ({ node, result: { attribution: a } }) =>
        `Node ${node}: ${a.clock}, steps of ${num(a.clockSteps.p50Ms)} ms (median) to ${num(a.clockSteps.maxMs)} ms`,
    )
    .join('; ');
  return [
    '## Isolated tools',
    '',
    methodNote('isolation'),
    '',
    `Measured on ${measuredOn}.`,
    '',
    '### Latency of a trivial tool, warm pool',
    '',
    table(
      [
        'Node',
        'child',
        'in-process p50 / p99 (µs)',
        'isolated p50 / p99 (µs)',
        'added p50 / p99 (µs)',
        'CPU per call, in-process / isolated (µs)',
        'added CPU (µs)',
        'other load (cores)',
      ],
      results.flatMap(({ node, result }) =>
        result.latency.rounds.map((c, i) => [
          String(node),
          String(i + 1),
          `${micros(c.inProcessP50Us)} / ${micros(c.inProcessP99Us)}`,
          `${micros(c.isolatedP50Us)} / ${micros(c.isolatedP99Us)}`,
          `${micros(c.addedP50Us)} / ${micros(c.addedP99Us)}`,
          `${micros(c.inProcessCpuUs)} / ${micros(c.isolatedCpuUs)}`,
          micros(c.addedCpuUs),
          cores(c.backgroundCores),
        ]),
      ),
    ),
    '',
    '### Cold start: the first call on a new pool',
    '',
    table(
      ['Node', 'first call p50 (ms)', 'first call max (ms)', 'second call p50 (ms)', 'pools', 'other load (cores)'],
      results.map(({ node, result: { coldStart: c } }) => [
        String(node),
        num(c.firstCallP50Ms),
        num(c.firstCallMaxMs),
        num(c.secondCallP50Ms),
        String(c.repetitions),
        cores(c.backgroundCores),
      ]),
    ),
    '',
    '### CPU and memory figures of isolated calls against the truth',
    '',
    `The thread clock: ${clocks}.`,
    '',
    table(
      [
        'Node',
        'CPU (ms)',
        'kept (MiB)',
        'calls',
        'CPU error: median / largest / total (%)',
        'CPU guard − truth: median / largest (ms)',
        'memory error: median / largest (%)',
        'memory guard − truth, median (KiB)',
      ],
      results.flatMap(({ node, result: { attribution } }) =>
        attribution.cases.map((c) => [
          String(node),
          num(c.cpuMs),
          num(c.holdMb),
          String(c.calls),
          `${num(c.cpuSignedErrorPct)} / ${num(c.cpuMaxErrorPct)} / ${num(c.cpuTotalErrorPct)}`,
          `${num(c.cpuOffsetMs)} / ${num(c.cpuMaxOffsetMs)}`,
          c.memorySignedErrorPct === null ? '–' : `${num(c.memorySignedErrorPct)} / ${num(c.memoryMaxErrorPct)}`,
          num(c.memoryOffsetKib),
        ]),
      ),
    ),
    '',
    '### Throughput',
    '',
    table(
      [
        'Node',
        'tool',
        'in flight',
        ...POOL_COLUMNS.map((w) => (w === null ? 'in-process: calls/s (CPU µs/call)' : `pool of ${w}`)),
        'other load (cores)',
      ],
      results.flatMap(({ node, result: { throughput: t } }) =>
        (['echo', 'burn'] as const).map((workload) => [
          String(node),
          workload === 'echo' ? 'trivial' : '~1 ms of CPU',
          String(t.inFlight),
          ...POOL_COLUMNS.map((workers) => {
            const row = t.rows.find((r) => r.workload === workload && r.workers === workers);
            return row === undefined ? '–' : `${int(row.callsPerSec)} (${micros(row.cpuUsPerCall)})`;
          }),
          cores(t.backgroundCores),
        ]),
      ),
    ),
  ].join('\n');
});
