/** One tool call as the guard sees it: identity, clock, signal, handles, measured usage, outcome. */

import { type CallContext, callContextStorage, type Disposable, type TrackOptions } from './call-context.js';
import { CallMeter } from './call-meter.js';
import type { CallOutcome } from './call-outcome.js';
import type { CallRequest } from './call-request.js';
import type { CleanupReason, CleanupReport } from './cleanup.js';
import { cpuSlices, restoreSlice, switchSlice } from './cpu-slices.js';
import type { HandleKind } from './handle-kind.js';
import { type HandleCloser, HandleRegistry, type TrackedHandle } from './handle-registry.js';
import type { LeakPolicy } from './leak-policy.js';
import type { LevelTracker } from './level-tracker.js';
import type { LimitName, ResourceLimits } from './resource-limits.js';
import type { MeasuredResource, ResourceUsage } from './resource-usage.js';

/**
 * What the caller of {@link ResourceGuard.admit} knows about a call when it starts.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type StartCallInit } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * const request = new AbortController(); // aborted by the transport on client cancel or close
 * const init: StartCallInit = { toolName: 'search', sessionId: 's1', requestId: 7, signal: request.signal };
 * const call = await guard.admit(init);
 * ```
 */
export interface StartCallInit {
  /** The tool being called. */
  readonly toolName: string;
  /** The MCP session, if any. */
  readonly sessionId?: string | undefined;
  /** The JSON-RPC request id, if any. */
  readonly requestId?: string | number | undefined;
  /** The transport's signal for this request (client cancel, transport close); the call's signal follows it. */
  readonly signal?: AbortSignal | undefined;
  /** The request behind the call, for observers of the call (a tracer); the guard itself reads none of it. */
  readonly request?: CallRequest | undefined;
}

/**
 * Runs a call's work inside something of the caller's (a tracer's active context): given to
 * {@link ToolCall.wrapRuns}, it is called with the work and must call it once, synchronously, and return what it
 * returns.
 *
 * @example
 * ```ts
 * import { AsyncLocalStorage } from 'node:async_hooks';
 * import { type CallRunWrapper, createResourceGuard } from '@mcp-resource-guard/core';
 * const requestIds = new AsyncLocalStorage<string>();
 * const guard = createResourceGuard();
 * guard.on('start', (call) => {
 *   const id = `req-${call.requestId}`;
 *   const wrapper: CallRunWrapper = (work) => requestIds.run(id, work);
 *   call.wrapRuns(wrapper); // the tool's code sees requestIds.getStore() === 'req-7'
 * });
 * ```
 */
export type CallRunWrapper = <T>(work: () => T) => T;

/**
 * The record of a finished call, delivered by the guard's `call` event.
 *
 * @example
 * ```ts
 * import { type CallRecord, createResourceGuard } from '@mcp-resource-guard/core';
 * function log(r: CallRecord): void {
 *   const time = `${r.usage.executionTimeMs.toFixed(0)} ms`;
 *   const leaked = Object.keys(r.leaked).length > 0 ? `, leaked ${JSON.stringify(r.leaked)}` : '';
 *   console.error(`${r.toolName} ${r.outcome} in ${time}, peak ${r.peak.memoryMb.toFixed(1)} MiB${leaked}`);
 * }
 * createResourceGuard().on('call', log);
 * ```
 */
export interface CallRecord {
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  readonly requestId: string | number | undefined;
  /** The task whose life the call's was, for a task-augmented call ({@link ToolCall.markTask}). */
  readonly taskId: string | undefined;
  readonly outcome: CallOutcome;
  /** What the call had used when it ended (handle counts: what it still held then). */
  readonly usage: ResourceUsage;
  /** The most handles of each group it held at once, and the peak of the measured resources. */
  readonly peak: ResourceUsage;
  /** Handles the call still held when it ended, by kind (leaks). */
  readonly leaked: Readonly<Partial<Record<HandleKind, number>>>;
  /** The clock reading at start, in milliseconds. */
  readonly startedAt: number;
  /** The clock reading at end, in milliseconds. */
  readonly endedAt: number;
  /**
   * How its memory and CPU figures were obtained: `estimated` (shares of the process's heap and main-thread time,
   * see the measurement docs) or `exact` (a call run in a worker thread of its own: that thread's heap and CPU clock).
   */
  readonly measurement: 'estimated' | 'exact';
}

/**
 * What {@link TrackedCall.runUntilStopped} resolves with when the guard stopped the call first.
 *
 * @example
 * ```ts
 * import { CALL_STOPPED, createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 1000 } } });
 * const call = await guard.admit({ toolName: 'slow' });
 * const slowWork = () => new Promise<string>((resolve) => setTimeout(() => resolve('done'), 5000));
 * const result = await call.runUntilStopped(slowWork);
 * if (result === CALL_STOPPED) console.error(call.stopReason); // ResourceLimitExceeded, after about 1 s
 * call.end(result === CALL_STOPPED ? 'timeout' : 'ok');
 * ```
 */
export const CALL_STOPPED: unique symbol = Symbol('mcp-resource-guard.call-stopped');

/** The `settled` of every call that left nothing to clean up: one promise, already resolved, for them all. */
const NOTHING_TO_SETTLE: Promise<CleanupReport | undefined> = Promise.resolve(undefined);

/**
 * Whether a call's end started a cleanup that has yet to settle (`call.settled` is then worth awaiting).
 *
 * @param call - an ended call
 * @returns false for a call that left nothing to clean up
 */
export function cleanupPending(call: ToolCall): boolean {
  return call.settled !== NOTHING_TO_SETTLE;
}

/** What a {@link TrackedCall} needs from the guard that owns it. */
export interface CallOwner {
  now(): number;
  /** Records the end of a call; returns its record. */
  finish(call: TrackedCall, outcome: CallOutcome): CallRecord;
  /** A handle was added to a call that had already ended. */
  lateHandle(call: TrackedCall, handle: TrackedHandle): void;
  /** The tool's handler returned or threw. */
  handlerSettled(call: TrackedCall): void;
  /** Creates (once) and returns the call's temp directory. */
  tempDir(call: TrackedCall): string;
  /** The leak policy of the call's tool. */
  leakPolicy(call: TrackedCall): LeakPolicy;
  /** Stops the call as cancelled. */
  cancel(call: TrackedCall, reason: unknown): void;
  /** A limit of the call was hit for certain (not sampled): the call is stopped at once, as at the cleanup level. */
  hardLimit(call: TrackedCall, limitName: LimitName, value: number): void;
}

function disposerOf(value: Disposable): (() => unknown) | undefined {
  const v = value as Record<string | symbol, unknown>;
  for (const key of [Symbol.asyncDispose, Symbol.dispose, 'close', 'destroy'] as const) {
    const fn = v[key];
    if (typeof fn === 'function') return () => (fn as () => unknown).call(value);
  }
  return undefined;
}

/**
 * One tool call, as the guard's core API hands it out ({@link ResourceGuard.admit}): the {@link CallContext} that
 * code inside the call sees, how to run the call's work inside it, how to end it, and what the guard made of it.
 * Ended exactly once by {@link ToolCall.end}.
 *
 * @example
 * ```ts
 * import { readFile } from 'node:fs/promises';
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perCall: { maxFileHandles: 8 } } });
 * const call = await guard.admit({ toolName: 'read_config' });
 * try {
 *   const text = await call.run(() => readFile('package.json', 'utf8')); // the file is attributed to the call
 *   call.end('ok');
 * } catch (e) {
 *   call.end('thrown');
 *   throw e;
 * }
 * await call.settled; // the cleanup of anything it left open
 * ```
 */
export interface ToolCall extends CallContext {
  /** The request's id on its transport, when it has one. */
  readonly requestId: string | number | undefined;
  /** The request behind the call, as given at admission (`StartCallInit.request`). */
  readonly request: CallRequest | undefined;
  /** What the work threw, when it was given to {@link ToolCall.end} (outcome `thrown`). */
  readonly error: unknown;
  /** The per-call limits the call is held to. */
  readonly limits: ResourceLimits;
  /** When the call was admitted, on the guard's clock (milliseconds). */
  readonly startedAt: number;
  /** Whether {@link ToolCall.end} was called. */
  readonly ended: boolean;
  /** The call's record, once ended. */
  readonly record: CallRecord | undefined;
  /** The task whose life this call's is, once {@link ToolCall.markTask} said so. */
  readonly taskId: string | undefined;
  /** Why the guard stopped the call (a {@link ResourceLimitExceeded}, a cancel), or `undefined`. */
  readonly stopReason: unknown;
  /** What stopped it, as a cleanup reason (`timeout`, `limit`, `cancelled`, ...), or `undefined`. */
  readonly stopCause: CleanupReason | undefined;
  /** Settles when the cleanup of what the call left open has finished (at once if it left nothing). */
  readonly settled: Promise<CleanupReport | undefined>;
  /** What the guard does with what the call still holds when it ends (the `leaks` option). */
  readonly leakPolicy: LeakPolicy;
  /**
   * Runs `fn` inside this call's context, so that {@link getCallContext} and the probes see the call.
   *
   * @param fn - the work of the call
   * @returns what `fn` returns
   */
  run<T>(fn: () => T): T;
  /**
   * Runs the tool's work inside the call's context, like {@link ToolCall.run}, and resolves with its result, or
   * with {@link CALL_STOPPED} as soon as the guard stops the call (limit, timeout, cancel, deactivation), whichever
   * comes first. The work may go on after a stop; its late result is ignored. A result that comes after the call's
   * deadline is held against its time limit as it comes (the event loop may have kept the guard from stopping it).
   *
   * @param fn - the work of the call
   * @returns its result, or `CALL_STOPPED`
   */
  runUntilStopped<T>(fn: () => T | PromiseLike<T>): Promise<T | typeof CALL_STOPPED>;
  /**
   * Runs the call's work ({@link ToolCall.run}, {@link ToolCall.runUntilStopped}) inside `wrapper` from now on: a
   * tracer makes its span the active context of the tool's code. Wrappers added later run outside earlier ones.
   * A `start` listener is the place to add one; a call nobody wraps pays nothing for it.
   *
   * @param wrapper - calls the work once, synchronously, and returns what it returns
   */
  wrapRuns(wrapper: CallRunWrapper): void;
  /**
   * Sets a measured figure of the call: what a {@link UsageSource} reports.
   *
   * @param resource - the figure
   * @param value - its value (MiB, percent of one core)
   */
  measure(resource: MeasuredResource, value: number): void;
  /**
   * Says that the call's life is a task's (a task-augmented call, answered with its task while its work goes on):
   * the call then runs until its owner ends it at the task's terminal status, and its record, events and audit
   * entries carry the task's id. The first id given wins.
   *
   * @param taskId - the task's id
   */
  markTask(taskId: string): void;
  /**
   * Stops the call as cancelled by its client (a task's `tasks/cancel`, an expiry): its signal aborts with `reason`,
   * and, ended without an outcome, it ends `cancelled` and what it holds is closed with reason `cancelled`.
   * Nothing happens to a call already stopped or ended.
   *
   * @param reason - the abort reason its code sees (normally a {@link ResourceGuardError})
   */
  cancel(reason: unknown): void;
  /**
   * Ends the call and records it. Idempotent: later calls return the first record.
   *
   * @param outcome - how the call ended; omitted, the guard decides: for a call it stopped, `timeout` (its time
   *   limit), `limit` (another limit, or an emergency) or `cancelled` (a cancel, a closed transport or session, a
   *   deactivated tool); otherwise `ok`
   * @param error - for outcome `thrown`, what the work threw (kept as {@link ToolCall.error} for observers)
   * @returns the record of the call
   */
  end(outcome?: CallOutcome, error?: unknown): CallRecord;
}

/**
 * The guard's own record of a call in flight: the public {@link ToolCall} and what the guard keeps per call (its
 * handles, meters, level trackers, stop). Per-call state is kept small: the registry, the signal's controller and
 * the level trackers are created only when needed. Internal.
 */
export class TrackedCall implements ToolCall {
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  readonly requestId: string | number | undefined;
  readonly request: CallRequest | undefined;
  /** What the work threw, as given to {@link TrackedCall.end}. */
  error: unknown;
  /** Effective per-call limits. */
  readonly limits: ResourceLimits;
  /** Clock reading at start, in milliseconds. */
  readonly startedAt: number;
  /** The call id as a number (for the loop watchdog's shared memory). */
  readonly numericId: number;
  /** What the call used of the measured resources: the slice clock, the probes and the usage sources write it. */
  readonly meter: CallMeter;
  /** Level trackers by limit, created when usage first comes near a limit. */
  trackers: Map<LimitName, LevelTracker> | undefined;
  /** Probe-private per-call state, keyed by the probe. */
  probeState: Map<unknown, unknown> | undefined;
  /** Why the guard stopped the call, as a cleanup reason (set with the stop). */
  stopCause: CleanupReason | undefined;
  /** The task whose life this call's is (a task-augmented call). */
  taskId: string | undefined;
  #owner: CallOwner;
  #upstream: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #onUpstreamAbort: (() => void) | undefined;
  #registry: HandleRegistry | undefined;
  #tracked: Map<Disposable, TrackedHandle> | undefined;
  #peakFiles = 0;
  #peakNetwork = 0;
  #stopReason: unknown;
  #stoppedAt: number | undefined;
  #onStop: ((reason: unknown) => void) | undefined;
  #record: CallRecord | undefined;
  #handlerRunning = false;
  #cpuAtEnd = 0;
  #wrapper: CallRunWrapper | undefined;
  /** Settles when the call's end-of-call cleanup has finished. */
  settled: Promise<CleanupReport | undefined> = NOTHING_TO_SETTLE;

  constructor(owner: CallOwner, callId: string, init: StartCallInit, limits: ResourceLimits) {
    this.#owner = owner;
    this.callId = callId;
    this.numericId = Number(callId) | 0;
    this.meter = new CallMeter(this.numericId);
    this.toolName = init.toolName;
    this.sessionId = init.sessionId;
    this.requestId = init.requestId;
    this.request = init.request;
    this.#upstream = init.signal;
    this.limits = limits;
    this.startedAt = owner.now();
  }

  /**
   * What the guard does with what the call still holds when it ends (`leaks` option): `close`, or `report` (left
   * running, as background work meant to outlive the call).
   */
  get leakPolicy(): LeakPolicy {
    return this.#owner.leakPolicy(this);
  }

  /**
   * Aborted when the transport's signal aborts or the guard stops the call. Created on first read,
   * so calls whose code never looks at it pay nothing for it.
   */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      const controller = new AbortController();
      this.#controller = controller;
      const upstream = this.#upstream;
      if (this.#stopReason !== undefined) controller.abort(this.#stopReason);
      else if (upstream?.aborted) controller.abort(upstream.reason);
      else if (upstream !== undefined && this.#record === undefined) {
        const onAbort = (): void => controller.abort(upstream.reason);
        this.#onUpstreamAbort = onAbort;
        upstream.addEventListener('abort', onAbort, { once: true });
      }
    }
    return this.#controller.signal;
  }

  /** The transport's signal given at admission (client cancel, transport close), if any. */
  get transportSignal(): AbortSignal | undefined {
    return this.#upstream;
  }

  /** True once the call has ended. */
  get ended(): boolean {
    return this.#record !== undefined;
  }

  /** The record, once the call has ended. */
  get record(): CallRecord | undefined {
    return this.#record;
  }

  /** Why the guard stopped the call, if it did. */
  get stopReason(): unknown {
    return this.#stopReason;
  }

  /** Clock reading when the guard stopped the call, if it did. */
  get stoppedAt(): number | undefined {
    return this.#stoppedAt;
  }

  /**
   * Whether the promise returned by the work given to {@link TrackedCall.run} is still pending (it may
   * outlive the call when the handler ignores the signal).
   */
  get handlerRunning(): boolean {
    return this.#handlerRunning;
  }

  /** The handles the call holds now. */
  get handles(): HandleRegistry {
    this.#registry ??= new HandleRegistry();
    return this.#registry;
  }

  /**
   * For a call that has ended while its handler runs on: whether the handler shows it is still running
   * (it keeps using CPU after the end).
   */
  get activeAfterEnd(): boolean {
    const record = this.#record;
    if (record === undefined) return false;
    // Still computing: at least a quarter of the time since the end spent in its code (a completing
    // I/O callback or two is not a runaway handler).
    const cpuSinceEnd = this.meter.cpuTimeMs - this.#cpuAtEnd;
    return cpuSinceEnd > 1 && cpuSinceEnd > 0.25 * (this.#owner.now() - record.endedAt);
  }

  /** Whether the call holds any handle (without creating the registry). */
  get holdsHandles(): boolean {
    return this.#registry !== undefined && this.#registry.size > 0;
  }

  /**
   * What the call has used so far (after it ended: what it had used when it ended).
   *
   * @returns the usage
   */
  usage(): ResourceUsage {
    if (this.#record !== undefined) return this.#record.usage;
    return this.#usageAt(this.#owner.now());
  }

  #usageAt(now: number): ResourceUsage {
    const registry = this.#registry;
    const meter = this.meter;
    return {
      memoryMb: meter.memoryMb,
      cpuPercent: meter.cpuPercent,
      cpuTimeMs: meter.cpuTimeMs,
      fileHandles: registry === undefined ? 0 : registry.fileHandles,
      networkConnections: registry === undefined ? 0 : registry.networkConnections,
      executionTimeMs: now - this.startedAt,
      tempStorageMb: meter.tempStorageMb,
    };
  }

  /**
   * The call's own temp directory: created owner-only under the guard's temp root on first use,
   * measured against `maxTempStorageMb`, removed when the call ends.
   *
   * @returns its absolute path
   */
  tempDir(): string {
    return this.#owner.tempDir(this);
  }

  /**
   * Sets a measured resource (used by usage sources).
   *
   * @param resource - which
   * @param value - its value now
   */
  measure(resource: MeasuredResource, value: number): void {
    this.meter.measure(resource, value);
  }

  /**
   * Runs `fn` inside this call's context, so that {@link getCallContext} and the probes see the call.
   *
   * @param fn - the work of the call
   * @returns what `fn` returns
   */
  run<T>(fn: () => T): T {
    const result = this.#enter(fn);
    if (result instanceof Promise) {
      this.#handlerRunning = true;
      const settled = (): void => this.#handlerSettled();
      result.then(settled, settled);
    }
    return result;
  }

  /**
   * Runs the tool's work inside the call's context, like {@link TrackedCall.run}, and resolves with its
   * result, or with {@link CALL_STOPPED} as soon as the guard stops the call (limit, timeout, cancel,
   * deactivation), whichever comes first. The work may go on after a stop; its late result is ignored.
   *
   * @param fn - the work of the call
   * @returns its result, or `CALL_STOPPED`
   */
  runUntilStopped<T>(fn: () => T | PromiseLike<T>): Promise<T | typeof CALL_STOPPED> {
    return new Promise<T | typeof CALL_STOPPED>((resolve, reject) => {
      if (this.#stopReason !== undefined) {
        resolve(CALL_STOPPED);
        return;
      }
      this.#onStop = () => resolve(CALL_STOPPED);
      let result: T | PromiseLike<T>;
      try {
        result = this.#enter(fn);
      } catch (error) {
        this.#owner.handlerSettled(this);
        reject(error);
        return;
      }
      if (result === null || typeof result !== 'object' || typeof (result as PromiseLike<T>).then !== 'function') {
        // A synchronous handler settles here: past its deadline, the owner stops the call (resolving CALL_STOPPED).
        this.#owner.handlerSettled(this);
        resolve(result as T);
        return;
      }
      this.#handlerRunning = true;
      (result as PromiseLike<T>).then(
        (value) => {
          this.#handlerSettled();
          resolve(value);
        },
        (error: unknown) => {
          this.#handlerSettled();
          reject(error);
        },
      );
    });
  }

  /**
   * Runs the call's work inside `wrapper` from now on (a tracer's active context). Wrappers added later run
   * outside earlier ones.
   *
   * @param wrapper - calls the work once, synchronously, and returns what it returns
   */
  wrapRuns(wrapper: CallRunWrapper): void {
    const inner = this.#wrapper;
    this.#wrapper = inner === undefined ? wrapper : <T>(work: () => T): T => wrapper(() => inner(work));
  }

  #enter<T>(fn: () => T): T {
    const wrapper = this.#wrapper;
    if (wrapper !== undefined) return wrapper(() => this.#enterContext(fn));
    return this.#enterContext(fn);
  }

  #enterContext<T>(fn: () => T): T {
    if (!cpuSlices.enabled) return callContextStorage.run(this, fn);
    const previous = switchSlice(this.meter);
    try {
      return callContextStorage.run(this, fn);
    } finally {
      restoreSlice(previous);
    }
  }

  /**
   * Records a handle the call opened (used by probes). A handle opened after the call ended is handed
   * to the guard, which closes it at once (or reports it, with `leaks: 'report'`).
   *
   * @param kind - what it is
   * @param closer - how to close it
   * @param label - a short description for reports
   * @returns the tracked handle, to release when it closes on its own
   */
  addHandle(kind: HandleKind, closer: HandleCloser, label?: string): TrackedHandle {
    const registry = this.handles;
    const handle = registry.add(kind, closer, label);
    if (registry.fileHandles > this.#peakFiles) this.#peakFiles = registry.fileHandles;
    if (registry.networkConnections > this.#peakNetwork) this.#peakNetwork = registry.networkConnections;
    if (this.#record !== undefined) this.#owner.lateHandle(this, handle);
    return handle;
  }

  /**
   * Forgets a handle that closed on its own or was detached. Idempotent.
   *
   * @param handle - the handle
   */
  releaseHandle(handle: TrackedHandle): void {
    this.#registry?.release(handle);
  }

  /**
   * Asks the guard to dispose of `resource` when the call ends, if it is still tracked then. Untrack it
   * (or make its disposal idempotent) if you close it yourself.
   *
   * @param resource - anything with `[Symbol.asyncDispose]`, `[Symbol.dispose]`, `close()` or `destroy()`
   * @param options - its kind and label
   * @returns the same resource
   */
  track<T extends Disposable>(resource: T, options: TrackOptions = {}): T {
    const dispose = disposerOf(resource);
    if (dispose === undefined) throw new TypeError('track() needs an object with a dispose, close or destroy method');
    let closed = false;
    const closer: HandleCloser = {
      close: async () => {
        await dispose();
        closed = true;
      },
      isClosed: () => closed,
    };
    const handle = this.addHandle(options.kind ?? 'custom', closer, options.label);
    this.#tracked ??= new Map();
    this.#tracked.set(resource, handle);
    return resource;
  }

  /**
   * Stops tracking a resource given to {@link TrackedCall.track}.
   *
   * @param resource - the resource
   * @returns whether it was tracked
   */
  untrack(resource: Disposable): boolean {
    const handle = this.#tracked?.get(resource);
    if (handle === undefined) return false;
    this.#tracked?.delete(resource);
    this.releaseHandle(handle);
    return true;
  }

  markTask(taskId: string): void {
    this.taskId ??= taskId;
  }

  cancel(reason: unknown): void {
    this.#owner.cancel(this, reason);
  }

  /**
   * Reports that one of the call's limits was hit for certain, not as a sample (a worker's heap cap): the guard
   * stops the call at once as at the cleanup level (event, audit, typed error), without waiting for a dwell.
   *
   * @param limitName - the limit hit (`maxMemoryMb`)
   * @param value - the usage that hit it
   */
  exceeded(limitName: LimitName, value: number): void {
    if (this.#record !== undefined || this.#stopReason !== undefined) return;
    this.#owner.hardLimit(this, limitName, value);
  }

  /**
   * Stops the call: its signal aborts with `reason`, and {@link TrackedCall.runUntilStopped} resolves with
   * `CALL_STOPPED`. Idempotent; the first reason wins.
   *
   * @param reason - why (normally a {@link ResourceGuardError})
   */
  stop(reason: unknown): void {
    if (this.#stopReason !== undefined || this.#record !== undefined) return;
    this.#stopReason = reason;
    this.#stoppedAt = this.#owner.now();
    this.#controller?.abort(reason);
    this.#onStop?.(reason);
  }

  /** The work given to {@link TrackedCall.run} has settled (it may do so after the call ended). */
  #handlerSettled(): void {
    if (!this.#handlerRunning) return;
    this.#handlerRunning = false;
    this.#owner.handlerSettled(this);
  }

  /** The record fields measured at the end, for the owner. */
  endSnapshot(now: number): { usage: ResourceUsage; peak: ResourceUsage } {
    const usage = this.#usageAt(now);
    const peak: ResourceUsage = {
      ...usage,
      memoryMb: Math.max(usage.memoryMb, this.meter.peakMemoryMb),
      tempStorageMb: Math.max(usage.tempStorageMb, this.meter.peakTempStorageMb),
      fileHandles: this.#peakFiles,
      networkConnections: this.#peakNetwork,
    };
    return { usage, peak };
  }

  /**
   * Ends the call and records it. Idempotent: later calls return the first record.
   *
   * @param outcome - how the call ended; omitted, the guard decides: for a call it stopped, `timeout` (its time
   *   limit), `limit` (another limit, or an emergency) or `cancelled` (a cancel, a closed transport or session, a
   *   deactivated tool); otherwise `ok`
   * @param error - for outcome `thrown`, what the work threw (kept as {@link TrackedCall.error} for observers)
   * @returns the record of the call
   */
  end(outcome?: CallOutcome, error?: unknown): CallRecord {
    if (this.#record !== undefined) return this.#record;
    if (error !== undefined) this.error = error;
    if (this.#onUpstreamAbort !== undefined) {
      this.#upstream?.removeEventListener('abort', this.#onUpstreamAbort);
      this.#onUpstreamAbort = undefined;
    }
    this.#onStop = undefined;
    this.#cpuAtEnd = this.meter.cpuTimeMs;
    this.#record = this.#owner.finish(this, outcome ?? stoppedOutcome(this.stopCause));
    return this.#record;
  }
}

/** The outcome of a call the guard stopped for `cause`; `ok` for a call it did not stop. */
function stoppedOutcome(cause: CleanupReason | undefined): CallOutcome {
  switch (cause) {
    case undefined:
      return 'ok';
    case 'timeout':
      return 'timeout';
    case 'limit':
    case 'emergency':
      return 'limit';
    default:
      return 'cancelled';
  }
}
