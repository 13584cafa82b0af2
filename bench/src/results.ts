/** The results files (bench/results/node<major>.json): where they live, writing one, reading them all. */

import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Environment } from './environment.js';
import type { ScenarioResult } from './scenario.js';

/** bench/ (this file is in bench/dist/). */
export const BENCH_DIR: string = fileURLToPath(new URL('..', import.meta.url));
export const REPO_ROOT: string = join(BENCH_DIR, '..');
export const RESULTS_DIR: string = join(BENCH_DIR, 'results');
export const BENCHMARKS_MD: string = join(REPO_ROOT, 'BENCHMARKS.md');

/** One Node version's results. */
export interface ResultsFile {
  readonly schema: 1;
  /** Of the latest run that wrote this file. */
  readonly environment: Environment;
  /** Wall-clock seconds of the latest run of the whole suite, child start-up included. */
  readonly suiteSeconds: number | null;
  /** The latest run: which scenarios it ran (all of them, or those named with --scenario) and how long it took. */
  readonly lastRun: { readonly scenarios: readonly string[]; readonly seconds: number };
  /** By scenario name, in the registry's order. */
  readonly scenarios: { readonly [name: string]: ScenarioResult };
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

function isResultsFile(value: unknown): value is ResultsFile {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Partial<Record<keyof ResultsFile, unknown>>;
  return (
    v.schema === 1 &&
    typeof v.environment === 'object' &&
    v.environment !== null &&
    typeof (v.environment as { node?: unknown }).node === 'string' &&
    typeof v.scenarios === 'object' &&
    v.scenarios !== null
  );
}

/**
 * Reads a results file.
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
  const parsed: unknown = JSON.parse(text);
  if (!isResultsFile(parsed)) throw new Error(`${path} is not a results file (schema 1)`);
  return parsed;
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
 * Every results file in bench/results, oldest Node first.
 *
 * @returns the files' contents
 */
export async function readAllResults(): Promise<ResultsFile[]> {
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
  const files: ResultsFile[] = [];
  for (const major of majors) {
    const results = await readResults(resultsPath(major));
    if (results !== undefined) files.push(results);
  }
  return files;
}
