/** What a result was measured on: Node, CPU, date, git commit. */

import { execFileSync } from 'node:child_process';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import * as z from 'zod';

/** Recorded in every results file. */
export const Environment = z.object({
  /** `process.version`, e.g. `v20.20.2`. */
  node: z.string(),
  v8: z.string(),
  platform: z.string(),
  arch: z.string(),
  cpuModel: z.string(),
  cpus: z.number(),
  totalMemoryMb: z.number(),
  /** 1, 5 and 15 minute load averages when the run started: how busy the shared machine was. */
  loadAverage: z.array(z.number()),
  /** ISO date and time the run started. */
  date: z.string(),
  /** `git rev-parse HEAD`, or null outside a git checkout. */
  commit: z.string().nullable(),
  /** Whether the work tree had uncommitted changes (outside bench/results and BENCHMARKS.md). */
  dirty: z.boolean().nullable(),
});
export type Environment = z.infer<typeof Environment>;

function git(repoRoot: string, args: readonly string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/**
 * Describes this process's Node and machine, and the repository's commit.
 *
 * @param repoRoot - the repository's root directory
 * @returns the environment
 */
export function describeEnvironment(repoRoot: string): Environment {
  const status = git(repoRoot, ['status', '--porcelain', '--', '.', ':!bench/results', ':!BENCHMARKS.md']);
  return {
    node: process.version,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    cpus: availableParallelism(),
    totalMemoryMb: Math.round(totalmem() / 2 ** 20),
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
    date: new Date().toISOString(),
    commit: git(repoRoot, ['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
  };
}

/**
 * The major version of this Node, e.g. 20.
 *
 * @returns the major version
 */
export function nodeMajor(): number {
  return Number(process.versions.node.split('.')[0]);
}
