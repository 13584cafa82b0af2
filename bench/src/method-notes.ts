/**
 * The method notes of BENCHMARKS.md: one markdown file a section in bench/methods/, read when the document is
 * generated. They hold prose only; what a note says about the figures of a run is written by its section's renderer.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BENCH_DIR } from './results.js';

/** bench/methods/. */
export const METHODS_DIR: string = join(BENCH_DIR, 'methods');

/**
 * A method note, as BENCHMARKS.md prints it.
 *
 * @param name - the file's name without `.md`, e.g. `cleanup`
 * @returns its text, without the trailing newline
 * @throws when the file is missing
 */
export function methodNote(name: string): string {
  return readFileSync(join(METHODS_DIR, `${name}.md`), 'utf8').trimEnd();
}
