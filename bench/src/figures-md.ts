/**
 * The generated sections of BENCHMARKS.md for the figures that are not bare-vs-guarded timings:
 * targets, cleanup latency, reclamation, leak detection, recovery, false positives, CPU attribution,
 * sampler cost, memory per call, flood isolation and the soak. Each section has a short method note.
 */

import { table } from './md-table.js';
import { methodNote } from './method-notes.js';
import type { ResultsFile } from './results.js';

type Obj = Readonly<Record<string, unknown>>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const major = (file: ResultsFile): string => file.environment.node.replace(/^v/, '').split('.')[0] ?? '?';

function scenario(file: ResultsFile, name: string): Obj | undefined {
  const result = file.scenarios[name];
  return isObj(result) && result.value !== null ? result : undefined;
}

/** `o[key]` for a key that may contain dots (scenario names). */
function entry(o: unknown, key: string): unknown {
  return isObj(o) ? o[key] : undefined;
}

function at(o: unknown, path: string): unknown {
  let v: unknown = o;
  for (const key of path.split('.')) v = isObj(v) ? v[key] : undefined;
  return v;
}

/** A number with `digits` significant digits (never more decimals than needed), or `–`. */
function num(v: unknown, digits = 3): string {
  if (typeof v !== 'number' || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const text =
    Math.abs(v) >= 10 ** digits ? Math.round(v).toLocaleString('en-US') : String(Number(v.toPrecision(digits)));
  return text.replace('-', '−');
}

const int = (v: unknown): string => (typeof v === 'number' ? Math.round(v).toLocaleString('en-US') : '–');
const rate = (v: unknown): string => (typeof v === 'number' ? v.toFixed(4) : '–');
const load = (o: Obj | undefined): string => {
  const b = o?.backgroundCores;
  return typeof b === 'number' ? b.toFixed(1) : '–';
};

function withFiles(files: readonly ResultsFile[], name: string): [ResultsFile, Obj][] {
  return files.flatMap((f) => {
    const s = scenario(f, name);
    return s === undefined ? [] : [[f, s] as [ResultsFile, Obj]];
  });
}

interface Target {
  readonly figure: string;
  readonly ours: string;
  readonly spec: string;
  readonly value: (files: ResultsFile) => number | undefined;
  readonly show: (v: number) => string;
  readonly meetsOurs: (v: number) => boolean;
  readonly meetsSpec: ((v: number) => boolean) | undefined;
}

const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

const TARGETS: readonly Target[] = [
  {
    figure: 'cleanup, 50 handles: p99',
    ours: 'p99 ≤ 5 ms',
    spec: '–',
    value: (f) => n(at(scenario(f, 'cleanup'), 'handles50.p99Ms')),
    show: (v) => `${num(v)} ms`,
    meetsOurs: (v) => v <= 5,
    meetsSpec: undefined,
  },
  {
    figure: 'cleanup, 50 handles: mean',
    ours: '–',
    spec: 'average < 50 ms',
    value: (f) => n(at(scenario(f, 'cleanup'), 'handles50.meanMs')),
    show: (v) => `${num(v)} ms`,
    meetsOurs: () => true,
    meetsSpec: (v) => v < 50,
  },
  {
    figure: 'reclamationRate',
    ours: '1.0',
    spec: '> 0.95',
    value: (f) => n(scenario(f, 'reclamationRate')?.reclamationRate),
    show: rate,
    meetsOurs: (v) => v >= 1,
    meetsSpec: (v) => v > 0.95,
  },
  {
    figure: 'falsePositiveRate',
    ours: '0',
    spec: '< 0.01',
    value: (f) => n(scenario(f, 'falsePositiveRate')?.falsePositiveRate),
    show: rate,
    meetsOurs: (v) => v === 0,
    meetsSpec: (v) => v < 0.01,
  },
  {
    figure: 'leakDetection.precision',
    ours: '1.0',
    spec: '> 0.99',
    value: (f) => n(scenario(f, 'leakDetection')?.precision),
    show: rate,
    meetsOurs: (v) => v >= 1,
    meetsSpec: (v) => v > 0.99,
  },
  {
    figure: 'leakDetection.recall',
    ours: '1.0',
    spec: '> 0.99',
    value: (f) => n(scenario(f, 'leakDetection')?.recall),
    show: rate,
    meetsOurs: (v) => v >= 1,
    meetsSpec: (v) => v > 0.99,
  },
  {
    figure: 'recoveryRate',
    ours: '≥ 0.995',
    spec: '> 0.90',
    value: (f) => n(scenario(f, 'recoveryRate')?.recoveryRate),
    show: rate,
    meetsOurs: (v) => v >= 0.995,
    meetsSpec: (v) => v > 0.9,
  },
  {
    figure: 'cpuAttribution.singleErrorPct',
    ours: '≤ 5 %',
    spec: '–',
    value: (f) => n(scenario(f, 'cpuAttribution')?.singleErrorPct),
    show: (v) => `${num(v)} %`,
    meetsOurs: (v) => v <= 5,
    meetsSpec: undefined,
  },
  {
    figure: 'cpuAttribution.concurrentMaxErrorPct',
    ours: '≤ 10 %',
    spec: '–',
    value: (f) => n(scenario(f, 'cpuAttribution')?.concurrentMaxErrorPct),
    show: (v) => `${num(v)} %`,
    meetsOurs: (v) => v <= 10,
    meetsSpec: undefined,
  },
  {
    figure: 'sampler.idleCpuPct',
    ours: '≤ 0.2 % of a core',
    spec: '–',
    value: (f) => n(scenario(f, 'sampler')?.idleCpuPct),
    show: (v) => `${num(v)} %`,
    meetsOurs: (v) => v <= 0.2,
    meetsSpec: undefined,
  },
  {
    figure: 'scale.bytesPerCall (probes on)',
    ours: '≤ 2 KB',
    spec: '–',
    value: (f) => n(at(scenario(f, 'scale'), 'bytesPerCall.probesOn.bytesPerCall')),
    show: (v) => `${int(v)} B`,
    meetsOurs: (v) => v <= 2048,
    meetsSpec: undefined,
  },
];

function targetsSection(files: readonly ResultsFile[]): string {
  const header = ['figure', 'our target', 'specification', ...files.map((f) => `Node ${major(f)}`)];
  const rows = TARGETS.map((t) => [
    t.figure,
    t.ours,
    t.spec,
    ...files.map((f) => {
      const v = t.value(f);
      if (v === undefined) return '–';
      const verdicts = [
        t.ours === '–' ? undefined : `ours ${t.meetsOurs(v) ? 'met' : 'not met'}`,
        t.meetsSpec === undefined ? undefined : `spec ${t.meetsSpec(v) ? 'met' : 'not met'}`,
      ].filter((x) => x !== undefined);
      return `${t.show(v)} (${verdicts.join(', ')})`;
    }),
  ]);
  return ['## Targets', '', methodNote('targets'), '', table(header, rows)].join('\n');
}

function cleanupSection(files: readonly ResultsFile[]): string {
  const rows: string[][] = [];
  for (const key of ['handles1', 'handles10', 'handles50', 'handles200', 'tempDir1000']) {
    for (const [f, s] of withFiles(files, 'cleanup')) {
      const e = s[key];
      if (!isObj(e)) continue;
      const mix = e.mix;
      rows.push([
        key,
        major(f),
        isObj(mix) ? `${int(mix.files)} / ${int(mix.sockets)} / ${int(mix.timers)} / ${int(mix.child)}` : '1000 files',
        `${num(e.p50Ms)} / ${num(e.p99Ms)} / ${num(e.maxMs)}`,
        num(e.meanMs),
        isObj(e.stepP99Ms)
          ? Object.entries(e.stepP99Ms)
              .map(([step, v]) => `${step} ${num(v, 2)}`)
              .join(', ')
          : '–',
        `${num(at(e, 'report.p50Ms'))} / ${num(at(e, 'report.p99Ms'))}`,
        int(e.samples),
        `${int(e.survived)} / ${int(e.groundTruthResidue)} / ${int(e.samplerCacheFds)}`,
        load(s),
      ]);
    }
  }
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
}

function reclamationSection(files: readonly ResultsFile[]): string {
  const entries = withFiles(files, 'reclamationRate');
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
    entries.map(([f, s]) => [
      major(f),
      rate(s.reclamationRate),
      rate(s.reclamationRateExcludingSamplerCache),
      `${int(s.scenarios)} × ${int(s.repetitions)}`,
      int(s.leaked),
      int(s.reclaimed),
      `${int(s.guardLeaked)} (${int(s.expectedHandles)})`,
      int(s.bodyErrors),
      load(s),
      num(s.seconds),
    ]),
  );
  const names: string[] = [];
  for (const [, s] of entries) {
    if (isObj(s.byScenario)) for (const name of Object.keys(s.byScenario)) if (!names.includes(name)) names.push(name);
  }
  const perScenario = table(
    [
      'scenario',
      ...entries.flatMap(([f]) => [
        `Node ${major(f)}: reclaimed / leaked units`,
        `Node ${major(f)}: guard handles (expected); residue`,
      ]),
    ],
    names.map((name) => [
      name,
      ...entries.flatMap(([, s]) => {
        const e = entry(s.byScenario, name);
        if (!isObj(e)) return ['–', '–'];
        const residue = isObj(e.residue) && Object.keys(e.residue).length > 0 ? `; ${JSON.stringify(e.residue)}` : '';
        const errors = Array.isArray(e.errors) && e.errors.length > 0 ? `; ${e.errors.length} body errors` : '';
        return [
          `${int(e.reclaimed)} / ${int(e.leaked)}`,
          `${int(e.guardLeaked)} (${int(e.expectedHandles)})${residue}${errors}`,
        ];
      }),
    ]),
  );
  const outside: string[] = [];
  for (const [, s] of entries) {
    if (isObj(s.outsideCoverage))
      for (const k of Object.keys(s.outsideCoverage)) if (!outside.includes(k)) outside.push(k);
  }
  const outsideTable = table(
    [
      'kind (not in the probe table)',
      ...entries.map(([f]) => `Node ${major(f)}: reclaimed / leaked units; calls with a leak event`),
    ],
    outside.map((name) => [
      name,
      ...entries.map(([, s]) => {
        const e = entry(s.outsideCoverage, name);
        return isObj(e) ? `${int(e.reclaimed)} / ${int(e.leaked)}; ${int(e.leakEvents)} of ${int(e.calls)}` : '–';
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
}

function detectionSection(files: readonly ResultsFile[]): string {
  const entries = withFiles(files, 'leakDetection');
  return [
    '## Leak detection',
    '',
    methodNote('leakDetection'),
    '',
    table(
      ['Node', 'precision', 'recall', 'TP', 'FP', 'FN', 'TN', 'leaky / clean scenarios × repetitions', 'body errors'],
      entries.map(([f, s]) => [
        major(f),
        rate(s.precision),
        rate(s.recall),
        int(s.truePositives),
        int(s.falsePositives),
        int(s.falseNegatives),
        int(s.trueNegatives),
        `${int(s.leakyScenarios)} / ${int(s.cleanScenarios)} × ${int(s.repetitions)}`,
        int(s.bodyErrors),
      ]),
    ),
    '',
    ...entries.flatMap(([f, s]) => {
      const wrong = Array.isArray(s.misclassified) ? (s.misclassified as unknown[]).map(String) : [];
      return [
        wrong.length === 0 ? `Misclassified on Node ${major(f)}: none.` : `Misclassified on Node ${major(f)}:`,
        ...(wrong.length === 0 ? [] : ['', ...wrong.map((w) => `- ${w}`)]),
        '',
      ];
    }),
  ].join('\n');
}

function recoverySection(files: readonly ResultsFile[]): string {
  const entries = withFiles(files, 'recoveryRate');
  const faults: string[] = [];
  for (const [, s] of entries) {
    if (isObj(s.byFault)) for (const k of Object.keys(s.byFault)) if (!faults.includes(k)) faults.push(k);
  }
  const toolFaults = faults.filter((k) => !k.startsWith('leak: '));
  const leakFaults = faults.filter((k) => k.startsWith('leak: '));
  const rowFor = (label: string, keys: readonly string[]): string[] => [
    label,
    ...entries.flatMap(([, s]) => {
      let count = 0;
      let ok = 0;
      let gAttempts = 0;
      let gSuccesses = 0;
      const notes: string[] = [];
      for (const k of keys) {
        const e = entry(s.byFault, k);
        if (!isObj(e)) continue;
        count += Number(e.faults);
        ok += Number(e.recovered);
        gAttempts += Number(e.guardRecoveryAttempts ?? 0);
        gSuccesses += Number(e.guardRecoverySuccesses ?? 0);
        if (Array.isArray(e.examples)) notes.push(...(e.examples as unknown[]).map(String));
      }
      return [`${int(ok)} / ${int(count)}`, `${int(gSuccesses)} / ${int(gAttempts)}`, notes.slice(0, 1).join('')];
    }),
  ];
  const guardRows = entries.flatMap(([f, s]) =>
    isObj(s.guardRecovery)
      ? Object.entries(s.guardRecovery).map(([tool, g]) => [
          major(f),
          tool,
          `${int(at(g, 'successes'))} / ${int(at(g, 'attempts'))}`,
          rate(at(g, 'rate')),
          int(at(g, 'cleanups')),
          int(at(g, 'handlesClosed')),
          int(at(g, 'handlesSurvived')),
        ])
      : [],
  );
  return [
    '## Recovery after faults',
    '',
    methodNote('recoveryRate'),
    '',
    table(
      ['Node', 'recovery rate', 'faults', 'recovered', 'fault kinds', 'other load (cores)', 'seconds'],
      entries.map(([f, s]) => [
        major(f),
        rate(s.recoveryRate),
        int(s.faults),
        int(s.recovered),
        int(s.faultKinds),
        load(s),
        num(s.seconds),
      ]),
    ),
    '',
    table(
      [
        'fault',
        ...entries.flatMap(([f]) => [
          `Node ${major(f)}: recovered`,
          `Node ${major(f)}: guard's recovery events (success / all)`,
          `Node ${major(f)}: first failure`,
        ]),
      ],
      [
        ...toolFaults.map((k) => rowFor(k, [k])),
        rowFor(`leaks (${leakFaults.length} corpus kinds, returning or throwing)`, leakFaults),
      ],
    ),
    '',
    'The guard’s own recovery figures at the end of the run:',
    '',
    table(
      ['Node', 'tool', 'recovery (successes / attempts)', 'rate', 'cleanups', 'handles closed', 'survived'],
      guardRows,
    ),
  ].join('\n');
}

function falsePositiveSection(files: readonly ResultsFile[]): string {
  const entries = withFiles(files, 'falsePositiveRate');
  return [
    '## False limit violations',
    '',
    methodNote('falsePositiveRate'),
    '',
    ...entries.flatMap(([f, s]) => {
      const flagged = Array.isArray(s.flagged) ? (s.flagged as unknown[]).map(String) : [];
      return flagged.length === 0
        ? []
        : [`Calls above warn on Node ${major(f)} (first ten):`, '', ...flagged.map((x) => `- ${x}`), ''];
    }),
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
      entries.map(([f, s]) => {
        const share = (key: string): string =>
          `${num(at(s, `measuredPeakShareOfLimit.${key}.p99`))} / ${num(at(s, `measuredPeakShareOfLimit.${key}.max`))}`;
        return [
          major(f),
          rate(s.falsePositiveRate),
          rate(s.falsePositiveRateExcludingTrueOverruns),
          int(s.calls),
          `${int(s.aboveWarn)} (${int(s.aboveWarnReallyOver)})`,
          int(s.warns),
          isObj(s.aboveWarnByLimit) && Object.keys(s.aboveWarnByLimit).length > 0
            ? JSON.stringify(s.aboveWarnByLimit)
            : '–',
          `${int(s.refusedOrStopped)} (${int(s.emergencies)} emergencies)`,
          `${share('executionTimeMs')}; ${share('fileHandles')}; ${share('memoryMbAsEstimatedByGuard')}`,
          load(s),
          num(s.seconds),
        ];
      }),
    ),
  ].join('\n');
}

/**
 * One row per child of a scenario that records its children in `rounds`: Node, child, the named figures, the
 * machine's other load.
 */
function roundRows(files: readonly ResultsFile[], name: string, figures: readonly string[]): string[][] {
  return withFiles(files, name).flatMap(([f, s]) =>
    (Array.isArray(s.rounds) ? (s.rounds as unknown[]) : [])
      .filter(isObj)
      .map((r, i) => [
        major(f),
        String(i + 1),
        ...figures.map((figure) => num(r[figure])),
        typeof r.backgroundCores === 'number' ? r.backgroundCores.toFixed(1) : '–',
      ]),
  );
}

function cpuSection(files: readonly ResultsFile[]): string {
  const rows = roundRows(files, 'cpuAttribution', [
    'singleErrorPct',
    'singleSignedErrorPct',
    'singleErrorVsWallPct',
    'concurrentMaxErrorPct',
    'concurrentMaxErrorPp',
    'concurrentMaxAbsoluteErrorPct',
    'concurrentMaxErrorVsWallPct',
  ]);
  return [
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
      rows,
    ),
  ].join('\n');
}

function memoryAttributionSection(files: readonly ResultsFile[]): string {
  const rows = roundRows(files, 'memoryAttribution', [
    'singleSignedErrorPct',
    'proportionalMaxShareErrorPct',
    'proportionalTotalErrorPct',
    'uncorrelatedMisattributedPct',
    'interleavedMaxShareErrorPct',
  ]);
  return [
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
      rows,
    ),
  ].join('\n');
}

function samplerSection(files: readonly ResultsFile[]): string {
  const entries = withFiles(files, 'sampler');
  return [
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
      entries.map(([f, s]) => [
        major(f),
        num(s.idleCpuPct),
        num(s.activeCpuPct),
        num(s.idleCpuPctNoWatchdog),
        num(s.activeCpuPctNoWatchdog),
        `${typeof s.backgroundCores === 'number' ? s.backgroundCores.toFixed(1) : '–'} / ${typeof s.backgroundCoresMax === 'number' ? s.backgroundCoresMax.toFixed(1) : '–'}`,
        num(s.referenceIntervalCpuPct),
      ]),
    ),
  ].join('\n');
}

function memorySection(files: readonly ResultsFile[]): string {
  const rows = files.flatMap((f) => {
    const b = at(scenario(f, 'scale'), 'bytesPerCall');
    if (!isObj(b)) return [];
    return [
      [
        major(f),
        int(at(b, 'probesOn.bytesPerCall')),
        int(at(b, 'probesOff.bytesPerCall')),
        `${num(at(b, 'probesOn.retainedAfterEndBytesPerCall'))} / ${num(at(b, 'probesOff.retainedAfterEndBytesPerCall'))}`,
        int(b.calls),
        int(b.rounds),
      ],
    ];
  });
  return [
    '## Memory per call in flight',
    '',
    methodNote('scale.bytesPerCall'),
    '',
    table(['Node', 'bytes per call, probes on', 'probes off', 'after end, on / off', 'calls', 'children'], rows),
  ].join('\n');
}

/** How the flood table names each run. */
const FLOOD_VARIANT_NAMES = {
  bare: 'bare',
  guarded: 'guarded',
  guardedRefusalsAtOnce: 'guarded, refusals at once',
} as const;

function floodSection(files: readonly ResultsFile[]): string {
  const rows = withFiles(files, 'floodIsolation').flatMap(([f, s]) =>
    (['bare', 'guarded', 'guardedRefusalsAtOnce'] as const).flatMap((variant) => {
      const v = s[variant];
      if (v === undefined) return []; // a results file from before the variant existed
      const flooder = at(v, 'flooder');
      const outcomes = isObj(flooder)
        ? Object.entries(flooder)
            .map(([k, n]) => `${k} ${int(n)}`)
            .join(', ')
        : '–';
      return [
        [
          major(f),
          FLOOD_VARIANT_NAMES[variant],
          `${num(at(v, 'quiet.p50Ms'))} / ${num(at(v, 'quiet.p99Ms'))} / ${num(at(v, 'quiet.maxMs'))}`,
          `${num(at(v, 'flood.p50Ms'))} / ${num(at(v, 'flood.p99Ms'))} / ${num(at(v, 'flood.maxMs'))}`,
          `${int(at(v, 'quiet.calls'))} / ${int(at(v, 'flood.calls'))}`,
          `${int(at(v, 'quiet.errors'))} / ${int(at(v, 'flood.errors'))}`,
          outcomes,
          load(s),
        ],
      ];
    }),
  );
  const throttled = withFiles(files, 'floodIsolation')
    .map(([f, s]) => `Node ${major(f)}: ${int(s.othersThrottled)}`)
    .join('; ');
  return [
    '## Flood isolation',
    '',
    `${methodNote('floodIsolation')} Throttle events of the guard that named one of the four sessions or their tool: ${throttled || '–'}.`,
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
}

function soakSection(files: readonly ResultsFile[]): string {
  const rows = withFiles(files, 'soak').map(([f, s]) => {
    const res = (key: string): string =>
      `${num(at(s, `resources.baseline.${key}`), 4)} → ${num(at(s, `resources.end.${key}`), 4)}`;
    const poolBaseline = at(s, 'resources.undiciPoolConnections.baseline');
    const poolEnd = at(s, 'resources.undiciPoolConnections.end');
    const pool =
      typeof poolBaseline === 'number' && typeof poolEnd === 'number' && poolEnd > poolBaseline
        ? ` (${poolEnd - poolBaseline} more in undici’s pool)`
        : '';
    return [
      major(f),
      s.ok === true ? 'passed' : 'failed',
      `${int(at(s, 'calls.answered'))} of ${int(at(s, 'calls.target'))}`,
      `${num(s.seconds)} s, ${int(s.callsPerSec)} calls/s`,
      `${res('fds')}${pool}`,
      res('handles'),
      `${res('heapObjectsMb')} (heapUsed ${res('heapUsedMb')})`,
      `${int(at(s, 'cleanup.events'))} (${int(at(s, 'cleanup.callsLeftOpen'))} + ${int(at(s, 'cleanup.callsTempOnly'))})`,
      int(at(s, 'cleanup.auditEntries')),
      `${int(at(s, 'knownIssues.procStatFdsOfExitedProcesses'))} / ${int(at(s, 'knownIssues.survivorsRemovedAfterwards'))}`,
      int(at(s, 'sessions.opened')),
      load(s),
    ];
  });
  const failures = withFiles(files, 'soak').flatMap(([f, s]) =>
    Array.isArray(s.failures) && s.failures.length > 0 ? [`- Node ${major(f)}: ${s.failures.join('; ')}`] : [],
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
}

/**
 * The sections for the figures of the non-overhead scenarios, in order; empty sections are left out.
 *
 * @param files - every results file, oldest Node first
 * @returns markdown
 */
export function figureSections(files: readonly ResultsFile[]): string {
  const has = (name: string): boolean => files.some((f) => scenario(f, name) !== undefined);
  const sections: string[] = [targetsSection(files)];
  if (has('cleanup')) sections.push(cleanupSection(files));
  if (has('reclamationRate')) sections.push(reclamationSection(files));
  if (has('leakDetection')) sections.push(detectionSection(files));
  if (has('recoveryRate')) sections.push(recoverySection(files));
  if (has('falsePositiveRate')) sections.push(falsePositiveSection(files));
  if (has('cpuAttribution')) sections.push(cpuSection(files));
  if (has('memoryAttribution')) sections.push(memoryAttributionSection(files));
  if (has('sampler')) sections.push(samplerSection(files));
  if (files.some((f) => isObj(at(scenario(f, 'scale'), 'bytesPerCall')))) sections.push(memorySection(files));
  if (has('floodIsolation')) sections.push(floodSection(files));
  if (has('soak')) sections.push(soakSection(files));
  return sections.join('\n\n');
}
