/** The cleanup engine: closes a call's handles in the specification's order, bounded in time, and verifies. */

import { CLEANUP_STEPS, type CleanupStepName, type HandleKind } from './handle-kind.js';
import type { TrackedHandle } from './handle-registry.js';
import { nativeClearTimeout, nativeSetTimeout } from './native-timers.js';

/**
 * Why a cleanup ran.
 *
 * - `end`: the call ended holding only its own temp dir, removed by contract.
 * - `leak`: the call ended (any outcome) still holding handles.
 * - `limit`, `timeout`: the guard stopped the call at a limit.
 * - `cancelled`: the client cancelled, or the transport closed.
 * - `session_closed`: the guard was told the call's session ended.
 * - `deactivated`, `unregistered`: the tool was deactivated or removed with calls in flight.
 * - `emergency`: the tool passed the emergency level.
 * - `closed`: the guard was closed.
 *
 * @example
 * ```ts
 * import { type CleanupReason, createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * const byReason = new Map<CleanupReason, number>();
 * guard.on('cleanup', (r) => {
 *   byReason.set(r.reason, (byReason.get(r.reason) ?? 0) + 1);
 *   if (r.reason === 'leak') console.error(`${r.toolName} ended with handles open; closed:`, r.closed);
 * });
 * ```
 */
export type CleanupReason =
  | 'end'
  | 'leak'
  | 'limit'
  | 'timeout'
  | 'cancelled'
  | 'deactivated'
  | 'unregistered'
  | 'emergency'
  | 'session_closed'
  | 'closed';

/**
 * Time bounds of a cleanup.
 *
 * @example
 * ```ts
 * import { type CleanupTimings, closeHandles, HandleRegistry } from '@mcp-resource-guard/core/internal';
 * // Sockets get 100 ms to finish gracefully; each step gives up after one second.
 * const timings: CleanupTimings = { graceMs: 100, stepTimeoutMs: 1000 };
 * const registry = new HandleRegistry();
 * const result = await closeHandles(registry.list(), timings, () => performance.now());
 * ```
 */
export interface CleanupTimings {
  /**
   * How long a graceful close (socket end, SIGTERM) may take before the forced one (destroy, SIGKILL).
   * A close with no forced form (a temp dir's removal, a tracked `[Symbol.asyncDispose]`) is waited for
   * up to `stepTimeoutMs`.
   */
  readonly graceMs: number;
  /** How long one step of the sequence may take in all; what is still open then is reported as failed. */
  readonly stepTimeoutMs: number;
}

/**
 * What a cleanup did.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type HandleCleanupResult } from '@mcp-resource-guard/core';
 * function report(result: HandleCleanupResult): void {
 *   for (const step of result.steps) console.error(`${step.name}: ${step.handles} handles in ${step.durationMs} ms`);
 *   if (result.survived > 0) console.error('still open:', result.survivors, result.errors);
 * }
 * // Every cleanup report of the guard is a HandleCleanupResult.
 * createResourceGuard().on('cleanup', report);
 * ```
 */
export interface HandleCleanupResult {
  /** Handles it tried to close. */
  readonly attempted: number;
  /** Handles closed, by kind. */
  readonly closed: Readonly<Partial<Record<HandleKind, number>>>;
  /** Handles still open afterwards, by kind. */
  readonly failed: Readonly<Partial<Record<HandleKind, number>>>;
  /** How many handles survived (sum of `failed`). */
  readonly survived: number;
  /** The first few survivors, for the report. */
  readonly survivors: readonly { readonly kind: HandleKind; readonly label: string | undefined }[];
  /** The first few errors thrown by closers. */
  readonly errors: readonly { readonly kind: HandleKind; readonly message: string }[];
  /** Time spent per step, in milliseconds, for the steps that had work. */
  readonly steps: readonly { readonly name: CleanupStepName; readonly handles: number; readonly durationMs: number }[];
}

const MAX_LISTED = 10;

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Resolves `'done'` when `promise` settles (rejections propagate), `'timeout'` after `ms`. */
function bounded(promise: Promise<unknown>, ms: number): Promise<'done' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = nativeSetTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise.then(() => 'done' as const), timeout]).finally(() => nativeClearTimeout(timer));
}

/** Calls `fn` now (so that closes start in the order asked) and turns its outcome into a promise. */
function invoke(fn: () => void | Promise<void>): Promise<void> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Closes handles in the specification's sequence: files (newest first), network (graceful, then forced
 * after the grace period), memory and custom disposables, CPU (timers, child processes TERM then KILL,
 * workers), temp storage. A failing closer never stops the others; each step is bounded in time; every
 * handle is checked afterwards.
 *
 * @param handles - the handles, oldest first
 * @param timings - grace period and step bound
 * @param now - the clock, in milliseconds
 * @returns what was closed, what survived, and how long each step took
 * @example
 * ```ts
 * import { createServer } from 'node:net';
 * import { closeHandles, HandleRegistry, serverCloser, timerCloser } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * registry.add('server', serverCloser(createServer().listen(0)), 'listener');
 * let pending = true;
 * const timer = setTimeout(() => (pending = false), 60_000);
 * registry.add('timer', timerCloser(() => clearTimeout(timer), () => pending), 'poll');
 * // Network first, then CPU (timers), each step bounded.
 * const result = await closeHandles(registry.list(), { graceMs: 200, stepTimeoutMs: 2000 }, () => performance.now());
 * console.error(result.closed, result.survived); // { server: 1, timer: 1 } 0
 * ```
 */
export async function closeHandles(
  handles: readonly TrackedHandle[],
  timings: CleanupTimings,
  now: () => number,
): Promise<HandleCleanupResult> {
  const errors: { kind: HandleKind; message: string }[] = [];
  const steps: { name: CleanupStepName; handles: number; durationMs: number }[] = [];
  const noteError = (kind: HandleKind, error: unknown): void => {
    if (errors.length < MAX_LISTED) errors.push({ kind, message: describeError(error) });
  };

  const isClosed = (handle: TrackedHandle): boolean => {
    try {
      return handle.closer.isClosed();
    } catch (error) {
      noteError(handle.kind, error);
      return false;
    }
  };

  const closeOne = async (handle: TrackedHandle, started: Promise<void>): Promise<void> => {
    const { closer } = handle;
    try {
      // With nothing to force, the close may take the whole step (bounded by stepTimeoutMs below).
      await (closer.forceClose === undefined ? started : bounded(started, timings.graceMs));
    } catch (error) {
      noteError(handle.kind, error);
    }
    if (isClosed(handle) || closer.forceClose === undefined) return;
    const force = closer.forceClose.bind(closer);
    try {
      await invoke(force);
    } catch (error) {
      noteError(handle.kind, error);
    }
  };

  for (const step of CLEANUP_STEPS) {
    const inStep: TrackedHandle[] = [];
    for (let i = handles.length - 1; i >= 0; i--) {
      const handle = handles[i] as TrackedHandle;
      if (step.kinds.includes(handle.kind)) inStep.push(handle);
    }
    if (inStep.length === 0) continue;
    const stepStart = now();
    // Closes start newest first, synchronously, in this order; they then complete concurrently.
    const pending = inStep.map((handle) => {
      if (isClosed(handle)) return Promise.resolve();
      return closeOne(handle, invoke(handle.closer.close.bind(handle.closer)));
    });
    await bounded(Promise.allSettled(pending), timings.stepTimeoutMs);
    steps.push({ name: step.name, handles: inStep.length, durationMs: now() - stepStart });
  }

  const closed: Partial<Record<HandleKind, number>> = {};
  const failed: Partial<Record<HandleKind, number>> = {};
  const survivors: { kind: HandleKind; label: string | undefined }[] = [];
  let survived = 0;
  for (const handle of handles) {
    if (isClosed(handle)) {
      closed[handle.kind] = (closed[handle.kind] ?? 0) + 1;
    } else {
      failed[handle.kind] = (failed[handle.kind] ?? 0) + 1;
      survived++;
      if (survivors.length < MAX_LISTED) survivors.push({ kind: handle.kind, label: handle.label });
    }
  }
  return { attempted: handles.length, closed, failed, survived, survivors, errors, steps };
}

/**
 * The report of one call's cleanup: why it ran, what it closed, what survived, how long it took.
 *
 * @example
 * ```ts
 * import { type CleanupReport, createResourceGuard } from '@mcp-resource-guard/core';
 * function log(r: CleanupReport): void {
 *   const closed = `closed ${r.attempted - r.survived}/${r.attempted} in ${r.durationMs.toFixed(1)} ms`;
 *   console.error(`${r.toolName} ${r.callId} (${r.reason}, ${r.mode}): ${closed}`);
 * }
 * createResourceGuard().on('cleanup', log);
 * ```
 */
export interface CleanupReport extends HandleCleanupResult {
  readonly reason: CleanupReason;
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  /** The task of a task-augmented call. */
  readonly taskId: string | undefined;
  /** Whether the handles were closed (`close`) or only reported (`report`, the `leaks: 'report'` option). */
  readonly mode: 'close' | 'report';
  /** Wall time of the whole cleanup, in milliseconds. */
  readonly durationMs: number;
}
