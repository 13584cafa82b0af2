/** The guard: one per server (or shared by many), the owner of every call's tracking. */

import type { CallOutcome } from './call-outcome.js';
import { ErrorCode, ResourceGuardError } from './errors.js';
import { EventHub } from './event-hub.js';
import { type ResolvedGuardOptions, type ResourceGuardOptions, resolveGuardOptions } from './guard-options.js';
import type { ResourceLimits } from './resource-limits.js';
import { type CallOwner, type CallRecord, type StartCallInit, ToolCall } from './tool-call.js';
import { ToolStats, type ToolStatsSnapshot } from './tool-stats.js';

/**
 * A failure inside the guard itself, reported instead of thrown into a tool call.
 *
 * @example
 * ```ts
 * guard.on('internalError', ({ source, error }) => console.error(`guard failure in ${source}`, error));
 * ```
 */
export interface InternalErrorEvent {
  /** Where it happened (e.g. `listener:call`, `middleware`). */
  readonly source: string;
  /** What was thrown. */
  readonly error: unknown;
}

/**
 * The events a guard emits, by name.
 *
 * @example
 * ```ts
 * const off = guard.on('call', (record) => console.error(record.outcome));
 * ```
 */
export interface GuardEvents {
  /** A call ended (any outcome). */
  call: CallRecord;
  /** The guard caught a failure of its own; the tool call went on. */
  internalError: InternalErrorEvent;
}

/**
 * A point-in-time copy of the guard's state.
 *
 * @example
 * ```ts
 * const { tools, inFlight } = guard.snapshot();
 * ```
 */
export interface GuardSnapshot {
  /** Per-tool aggregates, by tool name, for every tool that has been called. */
  readonly tools: Readonly<Record<string, ToolStatsSnapshot>>;
  /** Calls running now. */
  readonly inFlight: number;
  /** Failures the guard caught in itself since it was created. */
  readonly internalErrors: number;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
}

/**
 * Tracks tool calls, holds them against limits and reports what they used.
 * Create it with {@link createResourceGuard}; the SDK middleware creates one for you.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { maxExecutionTimeMs: 10_000 } });
 * const call = guard.startCall({ toolName: 'echo' });
 * const value = await call.run(async () => 'hello');
 * call.end('ok');
 * console.error(guard.snapshot().tools.echo?.calls); // 1
 * ```
 */
export class ResourceGuard {
  readonly #options: ResolvedGuardOptions;
  readonly #events: EventHub<GuardEvents>;
  readonly #tools = new Map<string, ToolStats>();
  readonly #inFlight = new Set<ToolCall>();
  readonly #owner: CallOwner;
  #nextId = 0;
  #internalErrors = 0;
  #closed = false;

  /**
   * @param options - validated here; invalid options throw before anything is created
   */
  constructor(options?: ResourceGuardOptions) {
    this.#options = resolveGuardOptions(options);
    this.#events = new EventHub<GuardEvents>((error, event) => this.reportInternalError(`listener:${event}`, error));
    const clock = this.#options.clock;
    this.#owner = {
      now: () => clock.now(),
      finish: (call, outcome) => this.#finish(call, outcome),
    };
  }

  /**
   * The per-call limits that apply to a tool: the defaults, replaced key by key by the tool's entry.
   *
   * @param toolName - the tool
   * @returns its effective per-call limits
   * @example
   * ```ts
   * guard.limitsFor('heavy'); // { maxExecutionTimeMs: 30000, maxMemoryMb: 512 }
   * ```
   */
  limitsFor(toolName: string): ResourceLimits {
    const { limits, exactTools, patternTools } = this.#options;
    const exact = exactTools.get(toolName);
    if (exact !== undefined) return { ...limits, ...exact };
    for (const { pattern, limits: toolLimits } of patternTools) {
      if (pattern.test(toolName)) return { ...limits, ...toolLimits };
    }
    return limits;
  }

  /**
   * Starts tracking a call. The caller must end it with {@link ToolCall.end} on every path.
   *
   * @param init - what is known about the call
   * @returns the call
   * @throws {@link ResourceGuardError} `GUARD_CLOSED` after {@link ResourceGuard.close}
   * @example
   * ```ts
   * const call = guard.startCall({ toolName: 'echo', signal: extra.signal });
   * ```
   */
  startCall(init: StartCallInit): ToolCall {
    if (this.#closed) {
      throw new ResourceGuardError({
        code: ErrorCode.GuardClosed,
        message: 'The resource guard is closed',
        hint: 'Create a new guard, or stop routing calls to this one after close().',
      });
    }
    const call = new ToolCall(this.#owner, String(++this.#nextId), init, this.limitsFor(init.toolName));
    this.#statsFor(init.toolName).started();
    this.#inFlight.add(call);
    return call;
  }

  /**
   * Subscribes to an event. Listeners run synchronously; one that throws is reported as an
   * `internalError` and never disturbs the call that caused the event.
   *
   * @param event - the event name
   * @param listener - the listener
   * @returns a function that unsubscribes
   * @example
   * ```ts
   * const off = guard.on('call', (r) => console.error(r.toolName, r.outcome));
   * off();
   * ```
   */
  on<K extends keyof GuardEvents>(event: K, listener: (payload: GuardEvents[K]) => void): () => void {
    return this.#events.on(event, listener);
  }

  /**
   * A point-in-time copy of the guard's state.
   *
   * @returns the snapshot
   * @example
   * ```ts
   * console.table(guard.snapshot().tools);
   * ```
   */
  snapshot(): GuardSnapshot {
    const tools: Record<string, ToolStatsSnapshot> = {};
    for (const [name, stats] of this.#tools) tools[name] = stats.snapshot();
    return { tools, inFlight: this.#inFlight.size, internalErrors: this.#internalErrors, closed: this.#closed };
  }

  /**
   * Records a failure inside the guard (or middleware) that was caught so the tool call could go on.
   *
   * @param source - where it happened
   * @param error - what was thrown
   * @example
   * ```ts
   * try { track(); } catch (e) { guard.reportInternalError('middleware', e); }
   * ```
   */
  reportInternalError(source: string, error: unknown): void {
    this.#internalErrors++;
    if (source !== 'listener:internalError') this.#events.emit('internalError', { source, error });
  }

  /**
   * Stops every call in flight and stops tracking. Idempotent.
   *
   * @returns a promise that settles when the guard is closed
   * @example
   * ```ts
   * process.on('SIGTERM', () => void guard.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const reason = new ResourceGuardError({
      code: ErrorCode.GuardClosed,
      message: 'The resource guard was closed while the call was running',
      hint: 'Calls in flight when the guard closes are stopped; retry on a running server.',
    });
    for (const call of this.#inFlight) call.stop(reason);
  }

  #statsFor(toolName: string): ToolStats {
    let stats = this.#tools.get(toolName);
    if (stats === undefined) {
      stats = new ToolStats();
      this.#tools.set(toolName, stats);
    }
    return stats;
  }

  #finish(call: ToolCall, outcome: CallOutcome): CallRecord {
    const endedAt = this.#options.clock.now();
    const usage = call.usage();
    this.#inFlight.delete(call);
    this.#statsFor(call.toolName).finished(outcome, usage.executionTimeMs);
    const record: CallRecord = {
      callId: call.callId,
      toolName: call.toolName,
      sessionId: call.sessionId,
      requestId: call.requestId,
      outcome,
      usage,
      startedAt: call.startedAt,
      endedAt,
    };
    this.#events.emit('call', record);
    return record;
  }
}

/**
 * Creates a {@link ResourceGuard}, validating every option first.
 *
 * @param options - limits and behaviour; see {@link ResourceGuardOptions}
 * @returns the guard
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` for a bad option, with nothing created
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { maxExecutionTimeMs: 30_000 } });
 * ```
 */
export function createResourceGuard(options?: ResourceGuardOptions): ResourceGuard {
  return new ResourceGuard(options);
}
