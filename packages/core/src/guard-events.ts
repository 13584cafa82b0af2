/** The typed events a guard emits. */

import type { GateScope } from './admission-gate.js';
import type { CallOutcome } from './call-outcome.js';
import type { CleanupReport } from './cleanup.js';
import type { HandleKind } from './handle-kind.js';
import type { LimitLevel } from './limit-level.js';
import type { LimitScope } from './resource-limit-exceeded.js';
import type { LimitName } from './resource-limits.js';
import type { ResourceName } from './resource-usage.js';
import type { CallRecord, ToolCall } from './tool-call.js';
import type { ToolState } from './tool-state.js';

/**
 * A level was entered or left (one event per crossing).
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LimitEvent } from '@mcp-resource-guard/core';
 * function log(e: LimitEvent): void {
 *   const change = `${e.previous ?? 'ok'} -> ${e.level ?? 'ok'}`;
 *   console.error(`${e.scope} ${e.tool ?? ''} ${e.resource}: ${change} at ${(e.ratio * 100).toFixed(0)} %`, e.samples);
 * }
 * createResourceGuard({ limits: { perCall: { maxMemoryMb: 256 } } }).on('limit', log);
 * ```
 */
export interface LimitEvent {
  readonly scope: LimitScope;
  /**
   * The tool: for call and tool scopes, the tool whose limit it is; for session and process scopes, the
   * tool of the call acted on (on entering cleanup or emergency: the call using the most of the
   * resource), otherwise undefined.
   */
  readonly tool: string | undefined;
  /** The call: for call scope, the call; for other scopes, the call acted on, if any (as for `tool`). */
  readonly callId: string | undefined;
  readonly sessionId: string | undefined;
  readonly resource: ResourceName;
  readonly limitName: LimitName;
  /** The level now (undefined: back below every threshold). */
  readonly level: LimitLevel | undefined;
  readonly previous: LimitLevel | undefined;
  /** The usage in the sample that caused the change. */
  readonly usage: number;
  readonly limit: number;
  /** `usage / limit`. */
  readonly ratio: number;
  /** The samples that held the condition through the dwell, oldest first. */
  readonly samples: readonly number[];
}

/**
 * Admission changed: a gate was throttled or released, or a call was refused.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ThrottleEvent } from '@mcp-resource-guard/core';
 * function log(e: ThrottleEvent): void {
 *   if (e.action === 'rejected') console.error(`refused ${e.tool} (${e.code}): retry in ${e.retryAfterMs} ms`);
 *   else console.error(`${e.scope} ${e.key} ${e.action} (${e.resource} at ${e.level})`);
 * }
 * createResourceGuard({ limits: { perTool: { maxCpuPercent: 200 } } }).on('throttle', log);
 * ```
 */
export interface ThrottleEvent {
  readonly action: 'throttled' | 'released' | 'rejected';
  readonly scope: GateScope;
  /** The tool name, session id, or `process`. */
  readonly key: string;
  /** For `rejected`: the tool of the refused call. */
  readonly tool: string | undefined;
  readonly resource: ResourceName | undefined;
  readonly level: LimitLevel | undefined;
  /** For `rejected`: when the client may retry. */
  readonly retryAfterMs: number | undefined;
  /** For `rejected`: the error code given to the client (`THROTTLED` or `TOOL_DEACTIVATED`). */
  readonly code: string | undefined;
}

/**
 * A call ended still holding handles.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LeakEvent } from '@mcp-resource-guard/core';
 * function log(e: LeakEvent): void {
 *   const when = e.late ? 'opened after the call ended' : `left open (outcome ${e.outcome})`;
 *   console.error(`${e.tool} ${e.callId}: ${e.total} handles ${when}`, e.handles);
 * }
 * createResourceGuard().on('leak', log);
 * ```
 */
export interface LeakEvent {
  readonly callId: string;
  readonly tool: string;
  readonly sessionId: string | undefined;
  /** The task of a task-augmented call. */
  readonly taskId: string | undefined;
  readonly outcome: CallOutcome;
  readonly handles: Readonly<Partial<Record<HandleKind, number>>>;
  readonly total: number;
  /** True when the handle was opened after the call had already ended. */
  readonly late: boolean;
}

/**
 * The emergency level was reached: the tool (or session, or process) was deactivated and its calls stopped.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type EmergencyEvent } from '@mcp-resource-guard/core';
 * function log(e: EmergencyEvent): void {
 *   const what = `${e.resource} ${e.usage} of ${e.limit}`;
 *   console.error(`${e.tool ?? e.scope} off for ${e.coolDownMs} ms (${what}), ${e.stoppedCalls} calls stopped`);
 * }
 * createResourceGuard({ limits: { perCall: { maxMemoryMb: 512 } } }).on('emergency', log);
 * ```
 */
export interface EmergencyEvent {
  readonly scope: LimitScope;
  readonly tool: string | undefined;
  readonly sessionId: string | undefined;
  readonly resource: ResourceName;
  readonly usage: number;
  readonly limit: number;
  /** How long the scope stays deactivated before a probe call is admitted. */
  readonly coolDownMs: number;
  /** Calls stopped. */
  readonly stoppedCalls: number;
}

/**
 * The outcome of a recovery attempt: the first call after a cleanup or emergency.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type RecoveryEvent } from '@mcp-resource-guard/core';
 * function log(e: RecoveryEvent): void {
 *   console.error(`${e.tool} recovery via ${e.via}: ${e.success ? 'ok' : 'failed'} (${e.successes}/${e.attempts})`);
 * }
 * createResourceGuard().on('recovery', log);
 * ```
 */
export interface RecoveryEvent {
  readonly tool: string;
  readonly success: boolean;
  /** `probe`: the half-open call after an emergency cool-down; `next_call`: the call after a cleanup. */
  readonly via: 'probe' | 'next_call';
  readonly attempts: number;
  readonly successes: number;
  readonly rate: number;
}

/**
 * A tool changed lifecycle state.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type StateEvent } from '@mcp-resource-guard/core';
 * function log(e: StateEvent): void {
 *   if (e.to === 'deactivated') console.error(`${e.tool} deactivated (${e.reason})`);
 *   else if (e.from === 'deactivated') console.error(`${e.tool} back as ${e.to} (${e.reason})`);
 * }
 * createResourceGuard().on('state', log);
 * ```
 */
export interface StateEvent {
  readonly tool: string;
  readonly from: ToolState;
  readonly to: ToolState;
  /** Why: `registered`, `call`, `owner`, `emergency`, `half_open`, `recovered`, `unregistered`, ... */
  readonly reason: string;
}

/**
 * A failure inside the guard itself, reported instead of thrown into a tool call.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type InternalErrorEvent } from '@mcp-resource-guard/core';
 * function log({ source, error }: InternalErrorEvent): void {
 *   console.error(`guard failure in ${source}:`, error);
 * }
 * createResourceGuard().on('internalError', log);
 * ```
 */
export interface InternalErrorEvent {
  /** Where it happened (e.g. `listener:call`, `source:cpu`, `middleware:start`). */
  readonly source: string;
  /** What was thrown. */
  readonly error: unknown;
}

/**
 * The event loop was blocked longer than the watchdog's threshold (reported when it runs again).
 *
 * @example
 * ```ts
 * import { type BlockedEvent, createResourceGuard } from '@mcp-resource-guard/core';
 * function log(e: BlockedEvent): void {
 *   console.error(`event loop blocked ${e.durationMs} ms in ${e.tool ?? 'no call'}`);
 * }
 * createResourceGuard({ watchdog: { thresholdMs: 500 } }).on('blocked', log);
 * ```
 */
export interface BlockedEvent {
  readonly durationMs: number;
  /** The call whose code was running, when the CPU probe knew it. */
  readonly callId: string | undefined;
  readonly tool: string | undefined;
}

/**
 * The events a guard emits, by name.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type GuardEvents } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * // Forward chosen events as JSON lines, typed by name.
 * function forward<K extends keyof GuardEvents>(event: K): void {
 *   guard.on(event, (payload: GuardEvents[K]) => process.stderr.write(`${JSON.stringify({ event, payload })}\n`));
 * }
 * for (const event of ['leak', 'emergency', 'recovery'] as const) forward(event);
 * ```
 */
export interface GuardEvents {
  /**
   * A call was admitted and is about to run: delivered synchronously in the admitting code's async context (the
   * request handler's), so that a listener sees what is active there (a tracer's span, `context.active()`). The
   * payload is the call itself, live: read it, and wrap its work with `wrapRuns`; end it only from its admitter.
   * Emitted only while someone listens.
   */
  start: ToolCall;
  /** A call ended (any outcome), or was refused at admission (outcome `rejected`, zero usage). */
  call: CallRecord;
  limit: LimitEvent;
  throttle: ThrottleEvent;
  cleanup: CleanupReport;
  leak: LeakEvent;
  emergency: EmergencyEvent;
  recovery: RecoveryEvent;
  state: StateEvent;
  blocked: BlockedEvent;
  /** The guard caught a failure of its own; the tool call went on. */
  internalError: InternalErrorEvent;
}
