/** Runs one scenario variant in a fresh Node process and reads its JSON answer from stdout. */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { machineBusyMicros } from './machine-load.js';
import type { ChildRequest, ChildResult, VariantSample } from './scenario.js';

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
 * Starts `node dist/child.js '<request JSON>'` with the runner's own Node binary, waits for it to
 * exit, and parses the one JSON object it prints. The child's stderr goes to ours. Also estimates how
 * much other work the machine did meanwhile.
 *
 * @param request - what to measure
 * @param options - Node options and time limit
 * @returns the child's sample
 * @throws when the child fails, times out or answers something else
 */
export function runChildProcess(request: ChildRequest, options: ChildOptions = {}): Promise<ChildResult> {
  const { nodeOptions = [], timeoutMs = 120_000 } = options;
  const busyBefore = machineBusyMicros();
  const started = performance.now();
  const withBackground = (sample: VariantSample): ChildResult => {
    const busyAfter = machineBusyMicros();
    const wallMicros = (performance.now() - started) * 1000;
    if (busyBefore === null || busyAfter === null) return { ...sample, backgroundCores: null };
    const others = Math.max(0, busyAfter - busyBefore - sample.processCpuMicros);
    return { ...sample, backgroundCores: Math.round((others / wallMicros) * 100) / 100 };
  };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeOptions, CHILD_SCRIPT, JSON.stringify(request)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child ${request.scenario}/${request.variant} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`child ${request.scenario}/${request.variant} exited with ${signal ?? `code ${code}`}`));
        return;
      }
      try {
        resolve(withBackground(parseSample(request, Buffer.concat(chunks).toString('utf8'))));
      } catch (error) {
        reject(error);
      }
    });
  });
}
