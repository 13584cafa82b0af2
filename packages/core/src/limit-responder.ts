/**
 * What the guard does when a limit's level changes (specification: graduated responses): the event and
 * audit entry; throttling or releasing the scope's admission gate; stopping the offending call at the
 * cleanup level; deactivating the tool (circuit breaker) or blocking the session or process at the
 * emergency level, and re-opening half-open after the cool-down.
 */

import { writeSync } from 'node:fs';
import type { AdmissionGate } from './admission-gate.js';
import type { AuditEntry } from './audit-log.js';
import type { CleanupReason } from './cleanup.js';
import type { LimitEvent } from './guard-events.js';
import type { GuardState } from './guard-state.js';
import type { LevelChange, LevelTracker } from './level-tracker.js';
import { type LimitLevel, levelRank } from './limit-level.js';
import { type LimitScope, ResourceLimitExceeded } from './resource-limit-exceeded.js';
import { LIMITED_RESOURCE, type LimitName } from './resource-limits.js';
import type { ResourceName } from './resource-usage.js';
import type { TrackedCall } from './tool-call.js';
import type { ToolRecord } from './tool-record.js';

/** A level change and everything about where it happened. */
export interface ChangeContext {
  readonly scope: LimitScope;
  readonly tool: ToolRecord | undefined;
  readonly call: TrackedCall | undefined;
  readonly sessionId: string | undefined;
  readonly gate: AdmissionGate | undefined;
  readonly scopeCalls: Iterable<TrackedCall>;
  readonly tracker: LevelTracker;
  readonly limitName: LimitName;
  readonly value: number;
  readonly limit: number;
  readonly change: LevelChange;
}

const THROTTLE_RANK = 1;
const CLEANUP_RANK = 2;
const EMERGENCY_RANK = 3;
/** Sessions blocked from one tool at once that make its call-scope emergencies the tool's, for everyone. */
const SESSIONS_FOR_TOOL_EMERGENCY = 2;

/** The call in flight using the most of a resource (ties: the newest, which has done the least work). */
function largestBy(calls: Iterable<TrackedCall>, resource: ResourceName): TrackedCall | undefined {
  let best: TrackedCall | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    if (call.ended || call.stopReason !== undefined) continue;
    const value = call.usage()[resource];
    if (value >= bestValue) {
      best = call;
      bestValue = value;
    }
  }
  return best;
}

/** Responds to level changes; also stops calls for the guard's other parts. */
export class LimitResponder {
  readonly #s: GuardState;

  /**
   * @param state - the guard's shared state
   */
  constructor(state: GuardState) {
    this.#s = state;
  }

  /**
   * Responds to one level change.
   *
   * @param ctx - the change and where it happened
   */
  onChange(ctx: ChangeContext): void {
    const { change, tool, call } = ctx;
    const resource = LIMITED_RESOURCE[ctx.limitName];
    const rank = levelRank(change.level);
    const previousRank = levelRank(change.previous);
    const up = rank > previousRank;
    const actedOn = call ?? (up && rank >= CLEANUP_RANK ? largestBy(ctx.scopeCalls, resource) : undefined);
    const event: LimitEvent = {
      scope: ctx.scope,
      tool: tool?.name ?? actedOn?.toolName,
      callId: actedOn?.callId,
      sessionId: ctx.sessionId,
      resource,
      limitName: ctx.limitName,
      level: change.level,
      previous: change.previous,
      usage: ctx.value,
      limit: ctx.limit,
      ratio: ctx.value / ctx.limit,
      samples: change.samples,
    };
    this.#s.events.emit('limit', event);
    const detail = `${ctx.scope} ${resource} ${change.previous ?? 'ok'} -> ${change.level ?? 'ok'} (${ctx.value.toFixed(2)} of ${ctx.limit}; samples ${change.samples.map((s) => s.toFixed(2)).join(', ')})`;
    if (up && change.level !== undefined) {
      const countOn = tool ?? (actedOn === undefined ? undefined : this.#s.tools.get(actedOn.toolName));
      if (countOn !== undefined) countOn.countLevelEntry(change.level);
      this.#s.audit({
        action:
          change.level === 'warn'
            ? 'warn'
            : change.level === 'throttle'
              ? 'throttle'
              : change.level === 'cleanup'
                ? 'cleanup'
                : 'emergency',
        tool: event.tool,
        callId: event.callId,
        sessionId: ctx.sessionId,
        scope: ctx.scope,
        level: change.level,
        resource,
        usage: call?.usage(),
        limits: call?.limits,
        detail,
      });
    }

    const gate = ctx.gate;
    if (gate !== undefined) {
      if (rank >= THROTTLE_RANK) {
        if (gate.hold(ctx.tracker, { resource, level: change.level as LimitLevel }))
          this.gateChanged(gate, 'throttled', resource, change);
      } else if (gate.unhold(ctx.tracker)) {
        this.gateChanged(gate, 'released', resource, change);
      }
    }
    if (!up) return;

    const reasonFor = (target: TrackedCall): ResourceLimitExceeded =>
      new ResourceLimitExceeded({
        scope: ctx.scope,
        resource,
        limitName: ctx.limitName,
        usage: ctx.value,
        limit: ctx.limit,
        level: change.level ?? 'cleanup',
        toolName: target.toolName,
        callId: target.callId,
        sessionId: target.sessionId,
      });
    if (rank >= CLEANUP_RANK && previousRank < CLEANUP_RANK && actedOn !== undefined && !actedOn.ended) {
      this.stop(actedOn, resource === 'executionTimeMs' ? 'timeout' : 'limit', reasonFor(actedOn));
    }
    if (rank === EMERGENCY_RANK && call?.ended === true) this.#s.orphans.delete(call);
    if (rank === EMERGENCY_RANK) {
      const emergencyTool = tool ?? (actedOn === undefined ? undefined : this.#s.tools.get(actedOn.toolName));
      if (ctx.scope === 'call' && emergencyTool !== undefined && ctx.sessionId !== undefined) {
        this.#emergencySession(emergencyTool, ctx.sessionId, ctx, reasonFor);
      } else if (ctx.scope === 'call' || ctx.scope === 'tool') {
        if (emergencyTool !== undefined) this.#emergencyTool(emergencyTool, ctx, reasonFor);
      } else {
        this.#emergencyScope(ctx, reasonFor);
      }
    }
  }

  /**
   * Reports that a gate was throttled or released.
   *
   * @param gate - the gate
   * @param action - what happened to it
   * @param resource - the resource whose level moved
   * @param change - the level change
   */
  gateChanged(
    gate: AdmissionGate,
    action: 'throttled' | 'released',
    resource: ResourceName,
    change: LevelChange,
  ): void {
    this.#s.events.emit('throttle', {
      action,
      scope: gate.scope,
      key: gate.key,
      tool: gate.scope === 'tool' ? gate.key : undefined,
      resource,
      level: change.level,
      retryAfterMs: undefined,
      code: undefined,
    });
    this.#s.audit({
      action: action === 'throttled' ? 'throttle' : 'unthrottle',
      tool: gate.scope === 'tool' ? gate.key : undefined,
      sessionId: gate.scope === 'session' ? gate.key : undefined,
      scope: gate.scope,
      resource,
      level: change.level,
      detail: `${gate.scope} ${gate.key} ${action}`,
    });
  }

  /**
   * Stops a call (aborts its signal); its cleanup runs when it ends. Arms the tool's recovery check.
   *
   * @param call - the call
   * @param cause - why, as a cleanup reason
   * @param reason - the abort reason its handler sees
   */
  stop(call: TrackedCall, cause: CleanupReason, reason: unknown): void {
    if (call.ended || call.stopReason !== undefined) return;
    call.stopCause = cause;
    call.stop(reason);
    // Recovery is judged by the first call admitted after this one that ends unstopped, whatever the order.
    const tool = this.#s.tools.get(call.toolName);
    tool?.lifecycle.failed(call.numericId);
  }

  /**
   * Stops every call of a set that is still running.
   *
   * @param calls - the calls
   * @param cause - why, as a cleanup reason
   * @param reason - the abort reason for each
   * @returns how many were stopped
   */
  stopAll(calls: Iterable<TrackedCall>, cause: CleanupReason, reason: (call: TrackedCall) => unknown): number {
    let stopped = 0;
    for (const call of [...calls]) {
      if (call.ended || call.stopReason !== undefined) continue;
      this.stop(call, cause, reason(call));
      stopped++;
    }
    return stopped;
  }

  #emergencyTool(tool: ToolRecord, ctx: ChangeContext, reasonFor: (call: TrackedCall) => unknown): void {
    if (tool.lifecycle.coolingDown) return;
    const now = this.#s.o.clock.now();
    const snapshot = this.#s.snapshotFor(ctx.call, tool);
    const coolDownMs = tool.lifecycle.trip(now) as number;
    // Deactivated for everyone: the sessions' own blocks are superseded by the tool's cool-down.
    tool.sessionBlocks.clear();
    const stoppedCalls = this.stopAll(tool.calls, 'emergency', reasonFor);
    // Armed by the calls it stopped; otherwise (it struck an orphaned handler) by the call that caused it.
    tool.lifecycle.failed(ctx.call?.numericId ?? this.#s.nextId);
    this.#s.updateState(tool, 'emergency');
    const resource = this.#emitEmergency(ctx, tool.name, coolDownMs, stoppedCalls);
    this.#s.audit({
      action: 'emergency',
      tool: tool.name,
      callId: ctx.call?.callId,
      scope: ctx.scope,
      level: 'emergency',
      resource,
      detail: `tool deactivated for ${coolDownMs} ms; ${stoppedCalls} calls stopped`,
      snapshot,
    });
    this.#s.wake(now + coolDownMs);
  }

  /**
   * A call-scope emergency in a session: that session is refused the tool for a cool-down (its other calls of the
   * tool are stopped), the others keep it. When sessions are blocked from the tool in several sessions at once,
   * the tool is deactivated for everyone: it is the tool, not one client, that runs away.
   */
  #emergencySession(
    tool: ToolRecord,
    sessionId: string,
    ctx: ChangeContext,
    reasonFor: (call: TrackedCall) => unknown,
  ): void {
    if (tool.lifecycle.coolingDown) return;
    const now = this.#s.o.clock.now();
    const coolDownMs = tool.sessionBlocks.block(sessionId, now, this.#s.o.emergency);
    if (tool.sessionBlocks.activeCount(now) >= SESSIONS_FOR_TOOL_EMERGENCY) {
      tool.sessionBlocks.clear();
      this.#emergencyTool(tool, ctx, reasonFor);
      return;
    }
    const own = [...tool.calls].filter((call) => call.sessionId === sessionId);
    const stoppedCalls = this.stopAll(own, 'emergency', reasonFor);
    tool.lifecycle.failed(ctx.call?.numericId ?? this.#s.nextId);
    const resource = this.#emitEmergency(ctx, tool.name, coolDownMs, stoppedCalls);
    this.#s.audit({
      action: 'emergency',
      tool: tool.name,
      callId: ctx.call?.callId,
      sessionId,
      scope: ctx.scope,
      level: 'emergency',
      resource,
      detail: `tool refused to session ${sessionId} for ${coolDownMs} ms (other sessions keep it); ${stoppedCalls} calls stopped`,
      snapshot: this.#s.snapshotFor(ctx.call, tool),
    });
  }

  /** Emits the `emergency` event; returns the resource. */
  #emitEmergency(ctx: ChangeContext, tool: string | undefined, coolDownMs: number, stoppedCalls: number): ResourceName {
    const resource = LIMITED_RESOURCE[ctx.limitName];
    this.#s.events.emit('emergency', {
      scope: ctx.scope,
      tool,
      sessionId: ctx.sessionId,
      resource,
      usage: ctx.value,
      limit: ctx.limit,
      coolDownMs,
      stoppedCalls,
    });
    return resource;
  }

  #emergencyScope(ctx: ChangeContext, reasonFor: (call: TrackedCall) => unknown): void {
    const now = this.#s.o.clock.now();
    const { coolDownMs } = this.#s.o.emergency;
    const record = ctx.scope === 'process' ? this.#s.process : this.#s.sessions.get(ctx.sessionId ?? '');
    if (record === undefined) return;
    record.blockedUntil = now + coolDownMs;
    // The process's calls are all calls in flight (the process record keeps no set of its own).
    const stoppedCalls = this.stopAll(
      ctx.scope === 'process' ? this.#s.inFlight : record.calls,
      'emergency',
      reasonFor,
    );
    const resource = LIMITED_RESOURCE[ctx.limitName];
    const entry: Omit<AuditEntry, 'time'> = {
      action: 'emergency',
      scope: ctx.scope,
      sessionId: ctx.sessionId,
      level: 'emergency',
      resource,
      detail: `${ctx.scope} calls refused for ${coolDownMs} ms; ${stoppedCalls} calls stopped`,
      snapshot: this.#s.snapshotFor(undefined, undefined),
    };
    this.#s.audit(entry);
    this.#emitEmergency(ctx, undefined, coolDownMs, stoppedCalls);
    if (ctx.scope === 'process' && this.#s.o.emergency.exitProcess) {
      try {
        writeSync(
          2,
          `${JSON.stringify({ time: Date.now(), ...entry, detail: `${entry.detail}; exiting with code ${this.#s.o.emergency.exitCode}` })}\n`,
        );
      } finally {
        process.exit(this.#s.o.emergency.exitCode);
      }
    }
  }
}
