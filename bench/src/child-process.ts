/** Runs one scenario variant in a fresh Node process and reads its JSON answer from stdout. */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type * as z from 'zod';
import { machineBusyMicros } from './machine-load.js';
import {
  type ChildRequest,
  type ChildResult,
  checked,
  type TaskEnvelope,
  type TaskOptions,
  type TaskRequest,
  type TaskResult,
  type VariantSample,
} from './scenario.js';

/** The child entry point, next to this file in dist/. */
const CHILD_SCRIPT = fileURLToPath(new URL('./child.js', import.meta.url));

/** How children are started. */
export interface ChildOptions {
  /** Node options for the child (e.g. `--cpu-prof`), before the script. */
  readonly nodeOptions?: readonly string[];
  /** Killed after this long. */
  readonly timeoutMs?: number;
}

function isNumberArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'number' && Number.isFinite(v));
}

function parseSample(request: ChildRequest, stdout: string): VariantSample {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`child ${request.scenario}/${request.variant} printed no JSON on stdout: ${stdout.slice(0, 200)}`);
  }
  const s = parsed as Partial<Record<keyof VariantSample, unknown>>;
  if (
    typeof parsed !== 'object' ||
    parsed === null ||
    s.variant !== request.variant ||
    typeof s.microsPerCall !== 'number' ||
    !(s.microsPerCall > 0) ||
    !isNumberArray(s.batchMicrosPerCall) ||
    typeof s.cpuMicrosPerCall !== 'number' ||
    !isNumberArray(s.batchCpuMicrosPerCall) ||
    typeof s.calls !== 'number' ||
    typeof s.totalCalls !== 'number' ||
    !(s.guardCalls === null || typeof s.guardCalls === 'number') ||
    typeof s.processCpuMicros !== 'number'
  ) {
    throw new Error(
      `child ${request.scenario}/${request.variant} answered an unexpected shape: ${stdout.slice(0, 200)}`,
    );
  }
  return parsed as VariantSample;
}

/**
 * Starts Node (the runner's own binary) with `args`, waits for it to exit, and returns what it printed
 * on stdout; its stderr goes to ours.
 *
 * @param args - Node options, the script and its arguments
 * @param label - names the child in errors
 * @param timeoutMs - it is killed after this
 * @returns its stdout
 * @throws when it cannot start, times out or exits non-zero
 */
function runNodeForStdout(args: readonly string[], label: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${label} exited with ${signal ?? `code ${code}`}`));
      else resolve(Buffer.concat(chunks).toString('utf8'));
    });
  });
}

/**
 * How many cores other processes kept busy since `busyBefore`, given the child's own CPU time.
 *
 * @param busyBefore - machine busy time at the start, or null where unreadable
 * @param started - `performance.now()` at the start
 * @param processCpuMicros - the child's own CPU time
 * @returns the other load (null where unreadable) and the wall time in µs
 */
function otherLoadSince(
  busyBefore: number | null,
  started: number,
  processCpuMicros: number,
): { backgroundCores: number | null; wallMicros: number } {
  const busyAfter = machineBusyMicros();
  const wallMicros = (performance.now() - started) * 1000;
  if (busyBefore === null || busyAfter === null) return { backgroundCores: null, wallMicros };
  const others = Math.max(0, busyAfter - busyBefore - processCpuMicros);
  return { backgroundCores: Math.round((others / wallMicros) * 100) / 100, wallMicros };
}

/**
 * Starts `node dist/child.js '<request JSON>'` with the runner's own Node binary, waits for it to
 * exit, and parses the one JSON object it prints. The child's stderr goes to ours. Also estimates how
 * much other work the machine did meanwhile.
 *
 * @param request - what to measure
 * @param options - Node options and time limit
 * @returns the child's sample
 * @throws when the child fails, times out or answers something else
 */
export async function runChildProcess(request: ChildRequest, options: ChildOptions = {}): Promise<ChildResult> {
  const { nodeOptions = [], timeoutMs = 120_000 } = options;
  const busyBefore = machineBusyMicros();
  const started = performance.now();
  const stdout = await runNodeForStdout(
    [...nodeOptions, CHILD_SCRIPT, JSON.stringify(request)],
    `child ${request.scenario}/${request.variant}`,
    timeoutMs,
  );
  const sample = parseSample(request, stdout);
  return { ...sample, backgroundCores: otherLoadSince(busyBefore, started, sample.processCpuMicros).backgroundCores };
}

function parseEnvelope(request: TaskRequest, stdout: string): TaskEnvelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(stdout);
  } catch {
    throw new Error(`task ${request.scenario}/${request.task} printed no JSON on stdout: ${stdout.slice(0, 200)}`);
  }
  const e = parsed as Partial<TaskEnvelope>;
  if (typeof parsed !== 'object' || parsed === null || !('result' in e) || typeof e.processCpuMicros !== 'number') {
    throw new Error(`task ${request.scenario}/${request.task} answered an unexpected shape: ${stdout.slice(0, 200)}`);
  }
  return { result: e.result, processCpuMicros: e.processCpuMicros };
}

/**
 * Starts `node [options] dist/child.js --task '<request JSON>'` with the runner's own Node binary,
 * waits for it to exit, and parses the one JSON object it prints. The child's stderr goes to ours.
 * Also estimates how much other work the machine did meanwhile, as {@link runChildProcess} does.
 *
 * @param request - the scenario, task and parameters
 * @param output - the shape of what the task returns
 * @param options - Node options and time limit
 * @param baseNodeOptions - Node options given to every child (from the command line)
 * @returns the task's result, the other load, and the child's wall time
 * @throws when the child fails, times out or answers something else
 */
export async function runTaskProcess<T>(
  request: TaskRequest,
  output: z.ZodType<T>,
  options: TaskOptions = {},
  baseNodeOptions: readonly string[] = [],
): Promise<TaskResult<T>> {
  const { nodeOptions = [], timeoutMs = 300_000 } = options;
  const busyBefore = machineBusyMicros();
  const started = performance.now();
  const stdout = await runNodeForStdout(
    [...baseNodeOptions, ...nodeOptions, CHILD_SCRIPT, '--task', JSON.stringify(request)],
    `task ${request.scenario}/${request.task}`,
    timeoutMs,
  );
  const envelope = parseEnvelope(request, stdout);
  const { backgroundCores, wallMicros } = otherLoadSince(busyBefore, started, envelope.processCpuMicros);
  const result = checked(output, envelope.result, `the result of task ${request.scenario}/${request.task}`);
  return { result, backgroundCores, seconds: Math.round(wallMicros / 1e4) / 100 };
}
