#!/usr/bin/env node
/**
 * The benchmark runner: `node bench/dist/run.js [--scenario <name>]... [--quick]`. Runs the scenarios
 * on this Node, writes bench/results/node<major>.json and regenerates BENCHMARKS.md from every
 * results file present. Progress goes to stderr, a summary to stdout.
 */

import { parseArgs } from 'node:util';

// The operator log (a stderr line per leak or stop) is off in the scenarios, which leak and stop on purpose,
// thousands of times; the scenario processes inherit this. Set the variable to measure with it.
process.env.MCP_RESOURCE_GUARD_LOG_LEVEL ??= 'silent';

import { updateBenchmarksMd } from './benchmarks-md.js';
import { runChildProcess, runTaskProcess } from './child-process.js';
import { describeEnvironment, nodeMajor } from './environment.js';
import {
  BENCHMARKS_MD,
  REPO_ROOT,
  type ResultsFile,
  readAllResults,
  readResults,
  resultsPath,
  writeResults,
} from './results.js';
import type { OverheadResult, RunContext, Scenario } from './scenario.js';
import { findScenario, scenarios } from './scenarios/index.js';

const USAGE = `usage: node bench/dist/run.js [options]
  --scenario <name>         run only this scenario (repeatable); its entry replaces the one in the results file
  --quick                   a smoke test of the harness: 2 short rounds, nothing written
  --child-node-option <opt> pass a Node option to every child (repeatable), e.g. --cpu-prof
  --list                    list the scenarios
  --render                  only regenerate BENCHMARKS.md from the results files present
  --help                    this text`;

function overheadLine(name: string, r: OverheadResult): string {
  const added = r.spread.addedMicros;
  return (
    `${name}: bare ${Math.round(r.bareCallsPerSec)} calls/s, guarded ${Math.round(r.guardedCallsPerSec)} calls/s, ` +
    `ratio ${r.ratio.toFixed(3)}, added ${r.addedMicrosP50.toFixed(1)} µs/call ` +
    `(p25 ${added.p25.toFixed(1)}, p75 ${added.p75.toFixed(1)}), added CPU ${r.addedCpuMicrosP50.toFixed(1)} µs/call`
  );
}

function summaryLines<R>(scenario: Scenario<R>, result: R): string[] {
  return [
    ...(scenario.overheads?.(result) ?? []).map(([name, r]) => overheadLine(name, r)),
    ...(scenario.notMeasured?.(result) ?? []).map(([name, r]) => `${name}: null (${r.reason})`),
    ...(scenario.summarize?.(result) ?? []),
  ];
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      'child-node-option': { type: 'string', multiple: true },
      list: { type: 'boolean', default: false },
      render: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.list) {
    for (const s of scenarios) {
      console.log(`${s.name.padEnd(20)} ${s.onRequest === true ? '(only with --scenario) ' : ''}${s.description}`);
    }
    return 0;
  }
  if (values.render) {
    await updateBenchmarksMd(BENCHMARKS_MD, await readAllResults(scenarios));
    console.error(`updated ${BENCHMARKS_MD}`);
    return 0;
  }
  const names = values.scenario ?? scenarios.filter((s) => s.onRequest !== true).map((s) => s.name);
  const selected = names.map((name) => {
    const scenario = findScenario(name);
    if (scenario === undefined) throw new Error(`unknown scenario "${name}"; --list shows them`);
    return scenario;
  });
  const full = values.scenario === undefined;
  const quick = values.quick;
  const nodeOptions = values['child-node-option'] ?? [];

  const environment = describeEnvironment(REPO_ROOT);
  const log = (message: string): void => console.error(`[bench ${process.version}] ${message}`);
  log(`${environment.cpuModel} × ${environment.cpus}, load ${environment.loadAverage.join(' ')}`);
  const ctx: RunContext = {
    quick,
    log,
    runChild: (request) => runChildProcess(request, { nodeOptions }),
    runTask: (request, output, options) => runTaskProcess(request, output, options, nodeOptions),
  };

  const started = performance.now();
  const results: Record<string, unknown> = {};
  const summary: string[] = [];
  for (const scenario of selected) {
    log(`${scenario.name}: ${scenario.description}`);
    const result = await scenario.run(ctx);
    results[scenario.name] = result;
    summary.push(...summaryLines(scenario, result));
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  log(`done in ${seconds} s`);

  for (const line of summary) console.log(line);
  if (quick) {
    log('--quick: nothing written');
    return 0;
  }

  const path = resultsPath(nodeMajor());
  const previous = await readResults(path);
  if (!full && previous !== undefined && previous.environment.node !== environment.node) {
    log(`${path} was measured on ${previous.environment.node}; its other scenarios are kept as they were`);
  }
  // A full run replaces every result but those of the scenarios that run only on request.
  const kept = Object.entries(previous?.scenarios ?? {}).filter(
    ([name]) => !full || findScenario(name)?.onRequest === true,
  );
  const merged = { ...Object.fromEntries(kept), ...results };
  const ordered: Record<string, unknown> = {};
  for (const s of scenarios) if (merged[s.name] !== undefined) ordered[s.name] = merged[s.name];
  const file: ResultsFile = {
    schema: 1,
    environment,
    suiteSeconds: full ? seconds : (previous?.suiteSeconds ?? null),
    lastRun: { scenarios: selected.map((s) => s.name), seconds },
    scenarios: ordered,
  };
  await writeResults(path, file);
  log(`wrote ${path}`);
  await updateBenchmarksMd(BENCHMARKS_MD, await readAllResults(scenarios));
  log(`updated ${BENCHMARKS_MD}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    if (error instanceof Error && error.stack !== undefined) console.error(error.stack);
    process.exitCode = 1;
  },
);
