/**
 * Admission of a call: whether its tool, session and the process will take it now, a wait in the queue
 * of a throttled scope, or a typed refusal ({@link Refusal}) from which the error, the `throttle` event,
 * the audit entry and the client's answer are all built. The fast path, `tryAdmit`, allocates nothing
 * while nothing is throttled; it is for the sibling packages (`@mcp-resource-guard/core/internal`).
 */

import type { AdmissionGate } from './admission-gate.js';
import { CallRefused, type Refusal, type RefusalCause } from './call-refused.js';
import { ErrorCode } from './errors.js';
import { guardClosedError } from './guard-errors.js';
import { type GuardState, NO_HANDLES, type ScopeRecord } from './guard-state.js';
import type { RefusalPacer } from './refusal-pacer.js';
import { ZERO_USAGE } from './resource-usage.js';
import { type CallOwner, type StartCallInit, TrackedCall } from './tool-call.js';
import type { ToolRecord } from './tool-record.js';

/**
 * A refusal made at once (not after a wait in the queue) that a flooding client could repeat at once:
 * delivered after the refusal delay. A tool its owner disabled or removed is refused at once.
 */
function paced(refusal: Refusal): boolean {
  return refusal.cause !== 'wait_timeout' && refusal.cause !== 'owner' && refusal.cause !== 'removed';
}

/** The guard's admission of calls. */
export class Admission {
  readonly #s: GuardState;
  readonly #owner: CallOwner;
  readonly #pacer: RefusalPacer;
  #nextRejected = 0;

  /**
   * @param state - the guard's state
   * @param owner - what the calls admitted report to
   * @param pacer - delays refusals made at once
   */
  constructor(state: GuardState, owner: CallOwner, pacer: RefusalPacer) {
    this.#s = state;
    this.#owner = owner;
    this.#pacer = pacer;
  }

  /**
   * Admits a call at once when nothing stands in its way (no throttle, queue, block or deactivation in
   * any scope).
   *
   * @param init - what is known about the call
   * @returns the call, or undefined: then call {@link Admission.admit}
   */
  tryAdmit(init: StartCallInit): TrackedCall | undefined {
    if (this.#s.closed) return undefined;
    const tool = this.#s.tools.get(init.toolName);
    if (tool === undefined || !tool.lifecycle.open) return undefined;
    const session = init.sessionId === undefined ? undefined : this.#s.sessionRecord(init.sessionId);
    if (this.#blocked(tool, session, init.sessionId, this.#s.o.clock.now()) !== undefined) return undefined;
    if (!this.#s.process.gate.tryEnter()) return undefined;
    if (session !== undefined && !session.gate.tryEnter()) {
      this.#s.process.gate.leave();
      return undefined;
    }
    if (!tool.gate.tryEnter()) {
      session?.gate.leave();
      this.#s.process.gate.leave();
      return undefined;
    }
    return this.#start(tool, session, init);
  }

  /**
   * Admits a call: checks the tool, the session and the process, waits in the queue of a throttled
   * scope, and starts tracking the call.
   *
   * @param init - what is known about the call
   * @returns the call
   * @throws {@link CallRefused} when refused (after the refusal delay when refused at once);
   *   `GUARD_CLOSED` once the guard is closed
   */
  async admit(init: StartCallInit): Promise<TrackedCall> {
    if (this.#s.closed) throw guardClosedError();
    const tool = this.#s.toolRecord(init.toolName, false) as ToolRecord;
    const refused = this.#refusalNow(tool, init.sessionId, this.#s.o.clock.now());
    if (refused !== undefined) return this.#refuse(tool, refused, init);
    const session = init.sessionId === undefined ? undefined : this.#s.sessionRecord(init.sessionId);
    const gates: AdmissionGate[] = [this.#s.process.gate];
    if (session !== undefined) gates.push(session.gate);
    gates.push(tool.gate);
    let entered = 0;
    let refusal: Refusal | undefined;
    try {
      for (const gate of gates) {
        const wait = gate.enter(init.signal, tool.name, init.sessionId);
        if (wait !== undefined) await wait;
        entered++;
      }
      if (this.#s.closed) throw guardClosedError();
      // The wait may have outlasted a deactivation.
      refusal = this.#refusalNow(tool, init.sessionId, this.#s.o.clock.now());
    } catch (error) {
      if (!CallRefused.is(error)) {
        for (let i = 0; i < entered; i++) (gates[i] as AdmissionGate).leave();
        if (session !== undefined && session.calls.size === 0) this.#s.maybeDropSession(session);
        throw error;
      }
      refusal = error.refusal;
    }
    if (refusal !== undefined) {
      for (let i = 0; i < entered; i++) (gates[i] as AdmissionGate).leave();
      if (session !== undefined && session.calls.size === 0) this.#s.maybeDropSession(session);
      return this.#refuse(tool, refusal, init);
    }
    return this.#start(tool, session, tool.name === init.toolName ? init : { ...init, toolName: tool.name });
  }

  /**
   * The refusal a queued call gets when its tool is removed.
   *
   * @param toolName - the tool
   * @returns the error
   */
  removed(toolName: string): CallRefused {
    return new CallRefused(refusal('removed', 'tool', toolName, undefined));
  }

  /** Reports the refusal (event, audit, record) and throws it, after the refusal delay when paced. */
  #refuse(tool: ToolRecord, refusal: Refusal, init: StartCallInit): Promise<never> {
    this.#rejected(tool, refusal, init);
    const error = new CallRefused(refusal);
    if (!paced(refusal)) return Promise.reject(error);
    return this.#pacer.refuse(error, init.signal);
  }

  /** Why the tool, the session's use of it, the session or the process refuses a call now, if one does. */
  #refusalNow(tool: ToolRecord, sessionId: string | undefined, now: number): Refusal | undefined {
    const unavailable = tool.lifecycle.unavailable(now);
    if (unavailable !== undefined) {
      switch (unavailable.cause) {
        case 'cooling':
          return refusal('emergency', 'tool', tool.name, sessionId, unavailable.retryAfterMs);
        case 'probing':
          return refusal('probing', 'tool', tool.name, sessionId, this.#s.o.sampling.activeMs);
        default:
          return refusal(unavailable.cause, 'tool', tool.name, sessionId);
      }
    }
    const session = sessionId === undefined ? undefined : this.#s.sessions.get(sessionId);
    return this.#blocked(tool, session, sessionId, now);
  }

  /** An emergency's block on the session's use of the tool, on the session, or on the process. */
  #blocked(
    tool: ToolRecord,
    session: ScopeRecord | undefined,
    sessionId: string | undefined,
    now: number,
  ): Refusal | undefined {
    if (sessionId !== undefined) {
      const remaining = tool.sessionBlocks.remainingMs(sessionId, now);
      if (remaining > 0) return refusal('emergency', 'session', tool.name, sessionId, remaining);
    }
    const process = this.#s.process.blockedUntil;
    if (process > now) {
      const until = Math.max(process, session?.blockedUntil ?? 0);
      return { ...refusal('emergency', 'process', tool.name, sessionId, until - now), code: ErrorCode.Throttled };
    }
    if (session !== undefined && session.blockedUntil > now) {
      return {
        ...refusal('emergency', 'session', tool.name, sessionId, session.blockedUntil - now),
        code: ErrorCode.Throttled,
      };
    }
    return undefined;
  }

  #start(tool: ToolRecord, session: ScopeRecord | undefined, init: StartCallInit): TrackedCall {
    const s = this.#s;
    const call = new TrackedCall(this.#owner, String(++s.nextId), init, tool.limits);
    tool.lifecycle.admitted(call.numericId);
    s.inFlight.add(call);
    tool.calls.add(call);
    session?.calls.add(call);
    tool.stats.started();
    for (const source of s.sources) {
      if (source.callStarted === undefined) continue;
      try {
        source.callStarted(call);
      } catch (error) {
        s.reportInternalError(`source:${source.name}`, error);
      }
    }
    if (tool.state !== 'active') s.updateState(tool, 'call');
    // The next sample, or sooner the call's first level of its time limit (the sampler then follows its deadline).
    const timeLimit = call.limits.maxExecutionTimeMs;
    const warnAt =
      timeLimit === undefined ? Number.POSITIVE_INFINITY : call.startedAt + timeLimit * s.o.thresholds.warn;
    s.wake(Math.min(s.o.clock.now() + s.o.sampling.activeMs, warnAt));
    // In the admitting code's async context: a listener sees the request handler's active context.
    if (s.events.has('start')) s.events.emit('start', call);
    return call;
  }

  /** A refused call: counted, and reported as a call record, a `throttle` event and an audit entry. */
  #rejected(tool: ToolRecord, r: Refusal, init: StartCallInit): void {
    // A tool its owner disabled or removed is not refused by the guard's limits: no rejection to count.
    if (r.cause === 'owner' || r.cause === 'removed') return;
    tool.countRejected();
    const s = this.#s;
    if (s.events.has('call')) {
      // A refused call is still a call the client made: it gets a record, with outcome `rejected`.
      const now = s.o.clock.now();
      s.events.emit('call', {
        callId: `rejected-${++this.#nextRejected}`,
        toolName: tool.name,
        sessionId: r.sessionId,
        requestId: init.requestId,
        taskId: undefined,
        outcome: 'rejected',
        usage: ZERO_USAGE,
        peak: ZERO_USAGE,
        leaked: NO_HANDLES,
        startedAt: now,
        endedAt: now,
        measurement: 'estimated',
      });
    }
    s.events.emit('throttle', {
      action: 'rejected',
      scope: r.scope,
      key: r.scope === 'session' ? (r.sessionId ?? '') : r.scope === 'process' ? 'process' : tool.name,
      tool: tool.name,
      resource: r.resource,
      level: r.level,
      retryAfterMs: r.retryAfterMs === undefined ? undefined : Math.ceil(r.retryAfterMs),
      code: r.code,
    });
    s.audit({
      action: 'reject',
      tool: tool.name,
      sessionId: r.sessionId,
      scope: r.scope,
      resource: r.resource,
      level: r.level,
      detail: `${r.code} ${r.cause}${r.retryAfterMs === undefined ? '' : `; retry after ${Math.ceil(r.retryAfterMs)} ms`}`,
    });
  }
}

/**
 * A refusal by the tool's lifecycle or an emergency's block (`TOOL_DEACTIVATED`); the callers make the
 * session's and the process's own blocks `THROTTLED`.
 */
function refusal(
  cause: RefusalCause,
  scope: Refusal['scope'],
  toolName: string,
  sessionId: string | undefined,
  retryAfterMs?: number,
): Refusal {
  return {
    code: ErrorCode.ToolDeactivated,
    cause,
    scope,
    toolName,
    sessionId,
    resource: undefined,
    level: undefined,
    retryAfterMs,
  };
}

const admissions = new WeakMap<object, Admission>();

/**
 * Makes a guard's admission reachable by {@link tryAdmit}.
 *
 * @param guard - the guard
 * @param admission - its admission
 */
export function registerAdmission(guard: object, admission: Admission): void {
  admissions.set(guard, admission);
}

/**
 * The allocation-free fast path of `guard.admit(init)`: the call, admitted at once when nothing stands in
 * its way, or undefined (then `await guard.admit(init)`). Undefined too for a guard it does not know (a
 * guard from another copy of the package, or a wrapper of one).
 *
 * @param guard - the guard
 * @param init - what is known about the call
 * @returns the call, or undefined
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { tryAdmit } from '@mcp-resource-guard/core/internal';
 * const guard = createResourceGuard();
 * const init = { toolName: 'echo', requestId: 1 };
 * const call = tryAdmit(guard, init) ?? (await guard.admit(init));
 * call.end('ok');
 * ```
 */
export function tryAdmit(guard: object, init: StartCallInit): TrackedCall | undefined {
  return admissions.get(guard)?.tryAdmit(init);
}
