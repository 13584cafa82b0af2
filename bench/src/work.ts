/** The "realistic" tool's work: a fixed amount of CPU, a few awaits, one small file read. */

import { mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { median } from './stats.js';

/**
 * A fixed amount of CPU work (xorshift steps). The result depends on every step, so the loop cannot
 * be optimised away.
 *
 * @param iterations - how much work
 * @returns a value derived from all the work
 */
export function spin(iterations: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x;
}

/** Where calibration results go, so that no call to {@link spin} is dead code. */
const sink = { value: 0 };

/**
 * How many {@link spin} iterations take `targetMs` of CPU on this Node, measured once. Calibrated in
 * the runner and handed to every child, so bare and guarded do exactly the same work.
 *
 * @param targetMs - the work's duration to aim for
 * @returns the iteration count
 */
export function calibrateSpin(targetMs: number): number {
  const probe = 200_000;
  for (let i = 0; i < 50; i++) sink.value ^= spin(probe); // warm up (optimised code)
  const trials: number[] = [];
  for (let i = 0; i < 31; i++) {
    const start = performance.now();
    sink.value ^= spin(probe);
    trials.push(performance.now() - start);
  }
  // The fastest quartile is the least disturbed by other load on the machine.
  const fastest = trials.sort((a, b) => a - b).slice(0, 8);
  return Math.max(1, Math.round((probe * targetMs) / median(fastest)));
}

let calibrated: number | undefined;

/**
 * {@link spin} iterations for ~1 ms of CPU, calibrated on first use in this process and then reused,
 * so every scenario of one run does the same work.
 *
 * @returns the iteration count
 */
export function spinIterationsPerMs(): number {
  calibrated ??= calibrateSpin(1);
  return calibrated;
}

/** The realistic tool's per-call parameters. */
export interface RealisticWork {
  /** {@link spin} iterations, ~1 ms of CPU (from {@link calibrateSpin}). */
  readonly spinIterations: number;
  /** A small file to open, read and close. */
  readonly file: string;
}

const READ_BYTES = 4096;

/**
 * One realistic call: ~1 ms of CPU, ten awaits (resolved promises and `setImmediate`, alternating),
 * and one `fs.promises` open / read / close of a small file.
 *
 * @param work - the calibrated work and the file
 * @returns a small value derived from the work
 */
export async function realisticCall(work: RealisticWork): Promise<number> {
  let acc = spin(work.spinIterations);
  for (let i = 0; i < 10; i++) {
    if (i % 2 === 0) await Promise.resolve();
    else await new Promise<void>((resolve) => setImmediate(resolve));
  }
  const handle = await open(work.file, 'r');
  try {
    const { bytesRead } = await handle.read(Buffer.alloc(READ_BYTES), 0, READ_BYTES, 0);
    acc ^= bytesRead;
  } finally {
    await handle.close();
  }
  return acc & 0xff;
}

/** The tool name the realistic scenarios call. */
export const REALISTIC_TOOL = 'realistic';

/**
 * Registers the realistic tool (one integer argument, validated by the SDK as usual).
 *
 * @param server - the server
 * @param work - the calibrated work and the file
 */
export function registerRealisticTool(server: McpServer, work: RealisticWork): void {
  server.registerTool(
    REALISTIC_TOOL,
    { description: '~1 ms of CPU, ten awaits, one small file read', inputSchema: { id: z.number().int() } },
    async ({ id }) => {
      const value = await realisticCall(work);
      return { content: [{ type: 'text', text: `${id}:${value}` }] };
    },
  );
}

/** A temp directory holding the file the realistic tool reads. */
export interface TempFile {
  readonly path: string;
  remove(): Promise<void>;
}

/**
 * Creates a small temp file (4 KiB).
 *
 * @returns its path, and a function removing it
 */
export async function createTempFile(): Promise<TempFile> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-resource-guard-bench-'));
  const path = join(dir, 'data.bin');
  await writeFile(path, Buffer.alloc(READ_BYTES, 0x61));
  return { path, remove: () => rm(dir, { recursive: true, force: true }) };
}
