/** One tool call as the guard sees it: identity, clock, signal, outcome. */

import type { CallContext } from './call-context.js';
import { callContextStorage } from './call-context.js';
import type { CallOutcome } from './call-outcome.js';
import type { ResourceLimits } from './resource-limits.js';
import { type ResourceUsage, ZERO_USAGE } from './resource-usage.js';

/**
 * What the caller of {@link ResourceGuard.startCall} knows about a call when it starts.
 *
 * @example
 * ```ts
 * const call = guard.startCall({ toolName: 'search', sessionId: 's1', requestId: 7, signal: extra.signal });
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
}

/**
 * The record of a finished call, delivered by the guard's `call` event.
 *
 * @example
 * ```ts
 * guard.on('call', (r) => console.error(r.toolName, r.outcome, r.usage.executionTimeMs));
 * ```
 */
export interface CallRecord {
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  readonly requestId: string | number | undefined;
  readonly outcome: CallOutcome;
  /** What the call had used when it ended. */
  readonly usage: ResourceUsage;
  /** The clock reading at start, in milliseconds. */
  readonly startedAt: number;
  /** The clock reading at end, in milliseconds. */
  readonly endedAt: number;
}

/** What a {@link ToolCall} needs from the guard that owns it. */
export interface CallOwner {
  now(): number;
  finish(call: ToolCall, outcome: CallOutcome): CallRecord;
}

/**
 * One running tool call. It is the {@link CallContext} that code inside the call sees.
 * Created by {@link ResourceGuard.startCall}; ended exactly once by {@link ToolCall.end}.
 *
 * @example
 * ```ts
 * const call = guard.startCall({ toolName: 'echo' });
 * try {
 *   const result = await call.run(() => handler());
 *   call.end(result.isError ? 'tool_error' : 'ok');
 * } catch (e) {
 *   call.end('thrown');
 *   throw e;
 * }
 * ```
 */
export class ToolCall implements CallContext {
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  readonly requestId: string | number | undefined;
  /** Effective per-call limits. */
  readonly limits: ResourceLimits;
  /** Clock reading at start, in milliseconds. */
  readonly startedAt: number;
  #owner: CallOwner;
  #upstream: AbortSignal | undefined;
  #controller: AbortController | undefined;
  #onUpstreamAbort: (() => void) | undefined;
  #stopReason: unknown;
  #record: CallRecord | undefined;

  constructor(owner: CallOwner, callId: string, init: StartCallInit, limits: ResourceLimits) {
    this.#owner = owner;
    this.callId = callId;
    this.toolName = init.toolName;
    this.sessionId = init.sessionId;
    this.requestId = init.requestId;
    this.#upstream = init.signal;
    this.limits = limits;
    this.startedAt = owner.now();
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

  /** True once the call has ended. */
  get ended(): boolean {
    return this.#record !== undefined;
  }

  /** Why the guard stopped the call, if it did. */
  get stopReason(): unknown {
    return this.#stopReason;
  }

  /**
   * What the call has used so far (after it ended: what it had used when it ended).
   *
   * @returns the usage
   */
  usage(): ResourceUsage {
    if (this.#record !== undefined) return this.#record.usage;
    return { ...ZERO_USAGE, executionTimeMs: this.#owner.now() - this.startedAt };
  }

  /**
   * Runs `fn` inside this call's context, so that {@link getCallContext} and the probes see the call.
   *
   * @param fn - the work of the call
   * @returns what `fn` returns
   */
  run<T>(fn: () => T): T {
    return callContextStorage.run(this, fn);
  }

  /**
   * Stops the call: its signal aborts with `reason`. Idempotent; the first reason wins.
   *
   * @param reason - why (normally a {@link ResourceGuardError})
   */
  stop(reason: unknown): void {
    if (this.#stopReason !== undefined || this.#record !== undefined) return;
    this.#stopReason = reason;
    this.#controller?.abort(reason);
  }

  /**
   * Ends the call and records it. Idempotent: later calls return the first record.
   *
   * @param outcome - how the call ended
   * @returns the record of the call
   */
  end(outcome: CallOutcome): CallRecord {
    if (this.#record !== undefined) return this.#record;
    if (this.#onUpstreamAbort !== undefined) {
      this.#upstream?.removeEventListener('abort', this.#onUpstreamAbort);
      this.#onUpstreamAbort = undefined;
    }
    this.#record = this.#owner.finish(this, outcome);
    return this.#record;
  }
}
