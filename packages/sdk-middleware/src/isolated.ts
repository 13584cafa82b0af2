/** `isolated()`: a tool callback that runs the tool's handler module in a warm pool of worker threads, with hard limits. */

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { ErrorCode, ResourceGuardError, tryGetCallContext } from '@mcp-resource-guard/core';
import { TrackedCall } from '@mcp-resource-guard/core/internal';
import { runIsolated } from './isolated-call.js';
import { isSdkExtra, sdkRequestOf } from './sdk-request.js';
import { type PoolSettings, WorkerPool } from './worker-pool.js';

/**
 * How much old-generation heap a worker gets beyond the call's `maxMemoryMb`: the worker's own runtime (Node's
 * bootstrap, the guard, the handler module), so that the cap never strikes before the call's own memory reaches
 * its limit. V8 cannot start an isolate in a few MiB: this is also the floor.
 *
 * @example
 * ```ts
 * import { WORKER_HEAP_ALLOWANCE_MB } from '@mcp-resource-guard/sdk-middleware';
 * // A tool with maxMemoryMb: 256 runs in workers whose old generation is capped at 272 MiB.
 * const capMb = 256 + WORKER_HEAP_ALLOWANCE_MB;
 * ```
 */
export const WORKER_HEAP_ALLOWANCE_MB = 16;

/**
 * V8's resource limits of an isolated tool's workers (Node's `Worker` `resourceLimits`). The old generation's cap
 * is the call's `maxMemoryMb` plus {@link WORKER_HEAP_ALLOWANCE_MB} unless given here.
 *
 * @example
 * ```ts
 * import type { IsolatedResourceLimits } from '@mcp-resource-guard/sdk-middleware';
 * const limits: IsolatedResourceLimits = { stackSizeMb: 8, maxYoungGenerationSizeMb: 32 };
 * ```
 */
export interface IsolatedResourceLimits {
  /** The old generation's cap, in MiB, whatever the call's `maxMemoryMb`. */
  readonly maxOldGenerationSizeMb?: number;
  /** The young generation's, in MiB (V8's default otherwise). */
  readonly maxYoungGenerationSizeMb?: number;
  /** The code range, in MiB. */
  readonly codeRangeSizeMb?: number;
  /** The thread's stack, in MiB (Node's default: 4). */
  readonly stackSizeMb?: number;
}

/**
 * Options of {@link isolated}.
 *
 * @example
 * ```ts
 * import { type IsolatedOptions, isolated } from '@mcp-resource-guard/sdk-middleware';
 * const options: IsolatedOptions = { minWorkers: 2, maxWorkers: 4, idleTimeoutMs: 60_000, graceMs: 50 };
 * const resize = isolated(new URL('./resize.js', import.meta.url), options);
 * ```
 */
export interface IsolatedOptions {
  /** Workers kept started, ready for a call, from the first call on. Default 1. */
  readonly minWorkers?: number;
  /** Workers at most, each running one call at a time; more calls wait in a queue. Default: the CPUs, at most 4. */
  readonly maxWorkers?: number;
  /** How long a worker beyond `minWorkers` stays idle before it is ended, in ms. Default 30 000. */
  readonly idleTimeoutMs?: number;
  /**
   * How long a stopped call's handler has to settle after its signal aborts (a limit, a cancel, a deactivation,
   * the session's close) before its worker is terminated, in ms. Default 100.
   */
  readonly graceMs?: number;
  /** How often the worker's heap and CPU are read while a call runs, in ms. Default 25. */
  readonly statsIntervalMs?: number;
  /** V8's resource limits of the workers. */
  readonly resourceLimits?: IsolatedResourceLimits;
  /** Node options of the workers (`execArgv`); default: the process's. */
  readonly execArgv?: readonly string[];
}

/**
 * The tool callback {@link isolated} returns: give it to `server.registerTool(name, config, callback)` (or the
 * older `server.tool(...)`) of SDK v1 or v2. Keep it to close its pool.
 *
 * @example
 * ```ts
 * import { type IsolatedTool, isolated } from '@mcp-resource-guard/sdk-middleware';
 * const resize: IsolatedTool = isolated(new URL('./resize.js', import.meta.url));
 * console.error(resize.workers()); // { size: 0, idle: 0, queued: 0 } until the first call
 * await resize.close();
 * ```
 */
export interface IsolatedTool {
  /**
   * The callback the SDK calls: `(args, extra)`, or `(extra)` for a tool without an input schema. Typed loosely so
   * that it fits both SDK major versions' callback types; it resolves with the handler's `CallToolResult`.
   */
  // biome-ignore lint/suspicious/noExplicitAny: it must be assignable to both SDKs' tool callback types, unimported
  (argsOrExtra: any, extra?: any): Promise<any>;
  /** The pool's workers now: alive, idle, and calls waiting for one. */
  workers(): { readonly size: number; readonly idle: number; readonly queued: number };
  /**
   * Ends the pool's workers; calls waiting for one fail, later calls are refused.
   *
   * @returns a promise that settles once every worker has exited
   */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function invalid(path: string, value: unknown, hint: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.InvalidConfig,
    message: 'Invalid isolated() option',
    hint,
    path,
    value,
  });
}

function count(options: IsolatedOptions, key: 'minWorkers' | 'maxWorkers', fallback: number, min: number): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min) throw invalid(key, value, `Use a whole number ≥ ${min}.`);
  return value;
}

function duration(
  options: IsolatedOptions,
  key: 'idleTimeoutMs' | 'graceMs' | 'statsIntervalMs',
  fallback: number,
): number {
  const value = options[key];
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || (key === 'statsIntervalMs' && value < 1)) {
    throw invalid(key, value, 'Use a finite number of milliseconds ≥ 0 (≥ 1 for statsIntervalMs).');
  }
  return value;
}

function moduleUrl(module: URL | string): string {
  let url: URL;
  if (module instanceof URL) url = module;
  else if (typeof module === 'string' && module.startsWith('file:')) url = new URL(module);
  else if (typeof module === 'string' && module.startsWith('/')) url = pathToFileURL(module);
  else {
    throw invalid(
      'module',
      module,
      "Pass the handler module's file URL, as new URL('./tool.js', import.meta.url), or an absolute path.",
    );
  }
  if (url.protocol !== 'file:' || !existsSync(fileURLToPath(url))) {
    throw invalid('module', url.href, 'Pass the URL of an existing file: the module that default-exports the handler.');
  }
  return url.href;
}

function resourceLimits(options: IsolatedOptions): IsolatedResourceLimits {
  const given = options.resourceLimits ?? {};
  if (typeof given !== 'object' || given === null) throw invalid('resourceLimits', given, 'Use an object.');
  for (const [key, value] of Object.entries(given)) {
    if (!['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'].includes(key)) {
      throw invalid(
        `resourceLimits.${key}`,
        value,
        'Known keys: maxOldGenerationSizeMb, maxYoungGenerationSizeMb, codeRangeSizeMb, stackSizeMb.',
      );
    }
    const floor = key === 'maxOldGenerationSizeMb' ? WORKER_HEAP_ALLOWANCE_MB : 0;
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= floor) {
      throw invalid(`resourceLimits.${key}`, value, `Use a number of MiB > ${floor}.`);
    }
  }
  return given;
}

/**
 * The worker's entry point, built. Run from the TypeScript sources (the workspace's own tests), the built file
 * beside them in `dist` is used: a worker thread runs JavaScript.
 */
function workerEntry(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../dist/isolated-worker.js', here) : new URL('./isolated-worker.js', here);
}

/**
 * Makes a tool callback that runs the tool's handler in a worker thread, from a warm pool of its own. The handler
 * is the default export of `module`, `(args, ctx) => result` ({@link IsolatedHandler}); arguments and results are
 * structured-cloned. Behind `resourceMiddleware()`, the tool's limits become hard: `maxMemoryMb` caps the worker's
 * heap (a call that reaches the cap is stopped with the memory-limit error), and every stop of the call (its time
 * limit, another limit, an emergency, the client's cancel, the tool's deactivation, the session's close) aborts the
 * handler's signal and terminates the worker if it has not settled within `graceMs`, even in a synchronous loop;
 * the pool replaces it. The call's memory and CPU are the worker's own heap and thread clock (`measurement:
 * 'exact'`), what it opens is attributed to the call and closed at its end as in-process, and `getCallContext()`
 * works in the handler. Options are validated here; a bad one throws `INVALID_CONFIG`.
 *
 * @param module - the handler module's file URL (`new URL('./tool.js', import.meta.url)`) or absolute path
 * @param options - the pool and the grace
 * @returns the tool callback
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` for a module that does not exist or a bad option
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { isolated, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * import * as z from 'zod';
 * const server = withMiddleware(new McpServer({ name: 'images', version: '1.0.0' }));
 * server.use(resourceMiddleware({ tools: { resize: { perCall: { maxMemoryMb: 256, maxExecutionTimeMs: 10_000 } } } }));
 * const resize = isolated(new URL('./resize.js', import.meta.url), { maxWorkers: 2 });
 * server.registerTool('resize', { inputSchema: { width: z.number() } }, resize);
 * ```
 */
export function isolated(module: URL | string, options: IsolatedOptions = {}): IsolatedTool {
  if (typeof options !== 'object' || options === null) throw invalid('options', options, 'Use an object.');
  const href = moduleUrl(module);
  const maxWorkers = count(options, 'maxWorkers', Math.min(4, Math.max(1, availableParallelism())), 1);
  const minWorkers = count(options, 'minWorkers', Math.min(1, maxWorkers), 0);
  if (minWorkers > maxWorkers) throw invalid('minWorkers', minWorkers, `Use at most maxWorkers (${maxWorkers}).`);
  const idleTimeoutMs = duration(options, 'idleTimeoutMs', 30_000);
  const graceMs = duration(options, 'graceMs', 100);
  const statsIntervalMs = duration(options, 'statsIntervalMs', 25);
  const { maxOldGenerationSizeMb, ...otherLimits } = resourceLimits(options);
  if (
    options.execArgv !== undefined &&
    !(Array.isArray(options.execArgv) && options.execArgv.every((a) => typeof a === 'string'))
  ) {
    throw invalid('execArgv', options.execArgv, 'Use an array of strings.');
  }
  const settings: PoolSettings = {
    module: href,
    entry: workerEntry(),
    minWorkers,
    maxWorkers,
    idleTimeoutMs,
    resourceLimits: otherLimits,
    heapReportMs:
      typeof (Worker.prototype as { getHeapStatistics?: unknown }).getHeapStatistics === 'function'
        ? 0
        : statsIntervalMs,
    execArgv: options.execArgv,
  };
  const pool = new WorkerPool(settings);

  const callback = function isolatedTool(argsOrExtra: unknown, extra?: unknown): Promise<unknown> {
    const withoutArgs = extra === undefined && isSdkExtra(argsOrExtra);
    const args = withoutArgs ? undefined : argsOrExtra;
    const sdk = sdkRequestOf(withoutArgs ? argsOrExtra : extra);
    const context = tryGetCallContext();
    const call = context instanceof TrackedCall ? context : undefined;
    const limit = call?.limits.maxMemoryMb;
    const heapCapMb =
      maxOldGenerationSizeMb ?? (limit === undefined ? undefined : Math.ceil(limit) + WORKER_HEAP_ALLOWANCE_MB);
    return runIsolated({ pool, call, sdk, args, heapCapMb, graceMs, statsIntervalMs });
  };
  const close = (): Promise<void> => pool.close();
  return Object.assign(callback, {
    workers: () => ({ size: pool.size, idle: pool.idle, queued: pool.queued }),
    close,
    [Symbol.asyncDispose]: close,
  }) as IsolatedTool;
}
