/** Admission control for one tool, session or the process: a bounded FIFO queue while throttled or at capacity. */

import { CallRefused } from './call-refused.js';
import { ErrorCode } from './errors.js';
import type { LimitLevel } from './limit-level.js';
import type { ResourceName } from './resource-usage.js';
import type { Scheduler } from './scheduler.js';

/** The limit that throttles a gate: its resource and level. */
export interface ThrottleReason {
  readonly resource: ResourceName;
  readonly level: LimitLevel;
}

/**
 * How admission behaves while throttled.
 *
 * @example
 * ```ts
 * const options: AdmissionOptions = { maxQueue: 16, maxWaitMs: 2000, retryAfterMs: 1000 };
 * ```
 */
export interface AdmissionOptions {
  /** How many calls may wait at once; more are rejected at once. */
  readonly maxQueue: number;
  /** How long a call may wait before it is rejected. */
  readonly maxWaitMs: number;
  /** The retry-after hint given with a rejection. */
  readonly retryAfterMs: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
  cancel: () => void;
}

/**
 * Which scope a gate guards.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type GateScope } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perTool: { maxMemoryMb: 1024 }, perSession: { maxMemoryMb: 512 } } });
 * // Which gates are throttled right now, e.g. `tool:search` or `session:4f1c…`.
 * const throttled = new Set<`${GateScope}:${string}`>();
 * guard.on('throttle', (e) => {
 *   if (e.action === 'throttled') throttled.add(`${e.scope}:${e.key}`);
 *   else if (e.action === 'released') throttled.delete(`${e.scope}:${e.key}`);
 * });
 * ```
 */
export type GateScope = 'tool' | 'session' | 'process';

/**
 * One admission gate. Open by default; closed while any holder throttles it or while the calls it
 * admitted reach its concurrency cap. Waiting calls are admitted in arrival order.
 */
export class AdmissionGate {
  readonly scope: GateScope;
  readonly key: string;
  readonly #options: AdmissionOptions;
  readonly #scheduler: Scheduler;
  readonly #holders = new Set<object>();
  readonly #waiting: Waiter[] = [];
  /** Concurrency cap (adaptive mode); Infinity when none. */
  #cap = Number.POSITIVE_INFINITY;
  /** The configured `maxConcurrentCalls`; Infinity when none. */
  readonly #maxConcurrent: number;
  #inFlight = 0;
  /** Why the gate is throttled, for rejections: the resource of the latest holder. */
  #reason: ThrottleReason | undefined;

  /**
   * @param scope - what the gate admits to: a tool, a session, the process
   * @param key - the tool name, session id, or `process`
   * @param options - queue bounds
   * @param scheduler - the wait timers' scheduler
   * @param maxConcurrent - the configured `maxConcurrentCalls` (default none)
   */
  constructor(
    scope: GateScope,
    key: string,
    options: AdmissionOptions,
    scheduler: Scheduler,
    maxConcurrent: number = Number.POSITIVE_INFINITY,
  ) {
    this.#maxConcurrent = maxConcurrent;
    this.scope = scope;
    this.key = key;
    this.#options = options;
    this.#scheduler = scheduler;
  }

  /** True while some holder throttles the gate. */
  get throttled(): boolean {
    return this.#holders.size > 0;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#waiting.length;
  }

  /** The concurrency cap, or Infinity. */
  get cap(): number {
    return this.#cap;
  }

  #open(): boolean {
    return this.#holders.size === 0 && this.#inFlight < this.#cap && this.#inFlight < this.#maxConcurrent;
  }

  /**
   * Admits a call only if it may enter at once.
   *
   * @returns whether it entered
   */
  tryEnter(): boolean {
    if (!this.#open() || this.#waiting.length > 0) return false;
    this.#inFlight++;
    return true;
  }

  /**
   * Admits a call: synchronously (returns undefined) when the gate is open and nobody waits,
   * otherwise a promise that resolves when admitted or rejects with a {@link CallRefused} (`THROTTLED`).
   *
   * @param signal - abandons the wait when aborted
   * @param toolName - the call's tool, for the refusal
   * @param sessionId - the call's session, for the refusal
   * @returns undefined, or the wait
   */
  enter(signal?: AbortSignal, toolName = '', sessionId?: string): Promise<void> | undefined {
    if (this.#open() && this.#waiting.length === 0) {
      this.#inFlight++;
      return undefined;
    }
    if (this.#waiting.length >= this.#options.maxQueue)
      return Promise.reject(this.#rejection('queue_full', toolName, sessionId));
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        resolve: () => {
          this.#inFlight++;
          resolve();
        },
        reject,
        cancel: () => {},
      };
      const drop = (error: unknown): void => {
        const index = this.#waiting.indexOf(waiter);
        if (index >= 0) this.#waiting.splice(index, 1);
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = (): void => drop(signal?.reason);
      const cancelTimer = this.#scheduler.schedule(
        () => drop(this.#rejection('wait_timeout', toolName, sessionId)),
        this.#options.maxWaitMs,
      );
      waiter.cancel = () => {
        cancelTimer();
        signal?.removeEventListener('abort', onAbort);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /** Releases one admitted call's place and admits whoever may now enter. */
  leave(): void {
    if (this.#inFlight > 0) this.#inFlight--;
    this.#pump();
  }

  /**
   * Throttles the gate on behalf of `holder` (a level tracker) until {@link AdmissionGate.unhold}.
   *
   * @param holder - identity of what throttles
   * @param reason - the resource and level, for rejections
   * @returns whether the gate became throttled by this call
   */
  hold(holder: object, reason: ThrottleReason): boolean {
    const was = this.throttled;
    this.#holders.add(holder);
    this.#reason = reason;
    return !was;
  }

  /**
   * Lifts `holder`'s throttle.
   *
   * @param holder - what throttled
   * @returns whether the gate became unthrottled by this call
   */
  unhold(holder: object): boolean {
    if (!this.#holders.delete(holder)) return false;
    if (this.#holders.size > 0) return false;
    this.#pump();
    return true;
  }

  /**
   * Sets the concurrency cap (adaptive mode).
   *
   * @param cap - at least 1, or Infinity for none
   */
  setCap(cap: number): void {
    this.#cap = Math.max(1, cap);
    this.#pump();
  }

  /**
   * Rejects every waiting call (the guard is closing or the scope is gone).
   *
   * @param error - the rejection
   */
  drain(error: unknown): void {
    for (const waiter of this.#waiting.splice(0)) {
      waiter.cancel();
      waiter.reject(error);
    }
  }

  #pump(): void {
    while (this.#waiting.length > 0 && this.#open()) {
      const waiter = this.#waiting.shift() as Waiter;
      waiter.cancel();
      waiter.resolve();
    }
  }

  #rejection(cause: 'queue_full' | 'wait_timeout', toolName: string, sessionId: string | undefined): CallRefused {
    const reason = this.#reason;
    return new CallRefused({
      code: ErrorCode.Throttled,
      cause,
      scope: this.scope,
      toolName,
      sessionId,
      resource: reason?.resource,
      level: reason?.level,
      retryAfterMs: this.#options.retryAfterMs,
    });
  }
}
