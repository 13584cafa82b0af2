/**
 * The results files (bench/results/node<major>.json): where they live, writing one, reading one back as written,
 * and reading them all with every scenario's result checked against its type.
 */

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { Environment } from './environment.js';
import { checked, type Scenario } from './scenario.js';

/** bench/ (this file is in bench/dist/). */
export const BENCH_DIR: string = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT: string = join(BENCH_DIR, '..');
export const RESULTS_DIR: string = join(BENCH_DIR, 'results');
export const BENCHMARKS_MD: string = join(REPO_ROOT, 'BENCHMARKS.md');

/** One Node version's results, as written. */
export const ResultsFile = z.object({
  schema: z.literal(1),
  /** Of the latest run that wrote this file. */
  environment: Environment,
  /** Wall-clock seconds of the latest run of the whole suite, child start-up included. */
  suiteSeconds: z.number().nullable(),
  /** The latest run: which scenarios it ran (all of them, or those named with --scenario) and how long it took. */
  lastRun: z.object({ scenarios: z.array(z.string()), seconds: z.number() }),
  /** By scenario name, in the registry's order: each a result of that scenario's type. */
  scenarios: z.record(z.string(), z.unknown()),
});
export type ResultsFile = z.infer<typeof ResultsFile>;

/** One Node version's results, read back: the file, and each scenario's result, checked against its type. */
export interface NodeResults {
  /** The Node major version, e.g. 20. */
  readonly node: number;
  readonly file: ResultsFile;
  /**
   * A scenario's result on this Node.
   *
   * @param scenario - the scenario
   * @returns its result, or undefined when it was not measured on this Node
   */
  resultOf<R>(scenario: Scenario<R>): R | undefined;
}

/**
 * The results file of a Node major version.
 *
 * @param major - e.g. 20
 * @returns bench/results/node20.json
 */
export function resultsPath(major: number): string {
  return join(RESULTS_DIR, `node${major}.json`);
}

/**
 * Reads a results file as it was written; the scenarios' results are not checked (see {@link readAllResults}).
 *
 * @param path - the file
 * @returns its content, or undefined if it is missing
 * @throws when it exists but is not a results file
 */
export async function readResults(path: string): Promise<ResultsFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return checked(ResultsFile, JSON.parse(text), `${path} (a results file, schema 1)`);
}

/**
 * Writes a results file (pretty-printed, one trailing newline).
 *
 * @param path - the file
 * @param results - the content
 */
export async function writeResults(path: string, results: ResultsFile): Promise<void> {
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(path, `${JSON.stringify(results, null, 2)}\n`);
}

/**
 * A results file read back, each scenario's result checked against the type of the scenario of that name.
 *
 * @param path - the file, bench/results/node<major>.json
 * @param file - its content
 * @param scenarios - every scenario
 * @returns the results
 * @throws when the file holds a result of no scenario, a result not of its scenario's type, or the results of
 *   another Node than its name says; the error lists every such place
 */
export function checkResults(path: string, file: ResultsFile, scenarios: readonly Scenario<unknown>[]): NodeResults {
  const problems: string[] = [];
  const node = Number(/^v(\d+)\./.exec(file.environment.node)?.[1]);
  if (!path.endsWith(`node${node}.json`)) problems.push(`it holds the results of Node ${file.environment.node}`);
  for (const [name, result] of Object.entries(file.scenarios)) {
    const scenario = scenarios.find((s) => s.name === name);
    if (scenario === undefined) {
      problems.push(`"${name}" is no scenario's name (a scenario renamed or removed?)`);
      continue;
    }
    const parsed = scenario.result.safeParse(result);
    if (!parsed.success) problems.push(`"${name}" is not of its type:\n${z.prettifyError(parsed.error)}`);
  }
  if (problems.length > 0) throw new Error(`${path}:\n${problems.join('\n')}`);
  return {
    node,
    file,
    resultOf<R>(scenario: Scenario<R>): R | undefined {
      const result = file.scenarios[scenario.name];
      return result === undefined ? undefined : scenario.result.parse(result);
    },
  };
}

/**
 * Every results file in bench/results, oldest Node first, each scenario's result checked against its type.
 *
 * @param scenarios - every scenario
 * @returns the files' contents
 * @throws as {@link checkResults} does
 */
export async function readAllResults(scenarios: readonly Scenario<unknown>[]): Promise<NodeResults[]> {
  let names: string[];
  try {
    names = await readdir(RESULTS_DIR);
  } catch {
    return [];
  }
  const majors = names
    .map((name) => /^node(\d+)\.json$/.exec(name)?.[1])
    .filter((m): m is string => m !== undefined)
    .map(Number)
    .sort((a, b) => a - b);
  const files: NodeResults[] = [];
  for (const major of majors) {
    const path = resultsPath(major);
    const file = await readResults(path);
    if (file !== undefined) files.push(checkResults(path, file, scenarios));
  }
  return files;
}
