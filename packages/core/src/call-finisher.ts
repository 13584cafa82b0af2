/**
 * The end of a call (specification: cleanup on every exit path, error recovery): its record; the
 * release of its gates and scopes; leak detection; the cleanup of whatever it still holds, outside any
 * call context; the recovery check of its tool (the first call after a cleanup or emergency decides);
 * adaptive limits; and handles a call's code opens after the call ended.
 */

import { callContextStorage } from './call-context.js';
import type { CallOutcome } from './call-outcome.js';
import { type CleanupReason, type CleanupReport, closeHandles } from './cleanup.js';
import { type GuardState, NO_HANDLES } from './guard-state.js';
import type { HandleKind } from './handle-kind.js';
import type { TrackedHandle } from './handle-registry.js';
import type { LimitResponder } from './limit-responder.js';
import { nativeSetTimeout } from './native-timers.js';
import { LIMITED_RESOURCE, type ResourceLimits } from './resource-limits.js';
import type { CallRecord, TrackedCall } from './tool-call.js';
import { ToolRecord } from './tool-record.js';

/** One cleanup to run: the call, why, whether to close or only report, and which handles (default: all). */
interface CleanupJob {
  readonly call: TrackedCall;
  readonly reason: CleanupReason;
  readonly mode: 'close' | 'report';
  readonly tool: ToolRecord | undefined;
  readonly outcome: CallOutcome;
  readonly only?: TrackedHandle[];
}

/**
 * What a call still holds at its end that is a leak: every handle but its own temp dir, which is removed at
 * its end by contract.
 *
 * @param held - counts by kind
 * @returns the leaked counts, or `NO_HANDLES` for none
 */
function leakedOf(held: Readonly<Partial<Record<HandleKind, number>>>): Readonly<Partial<Record<HandleKind, number>>> {
  const { temp_dir: _tempDir, ...leaked } = held;
  return Object.keys(leaked).length > 0 ? leaked : NO_HANDLES;
}

/** Ends calls, cleans up after them and judges recovery. */
export class CallFinisher {
  readonly #s: GuardState;
  readonly #responder: LimitResponder;
  readonly #cleanups = new Set<Promise<unknown>>();

  /**
   * @param state - the guard's shared state
   * @param responder - for releasing a tool's gate when a call's level goes with it
   */
  constructor(state: GuardState, responder: LimitResponder) {
    this.#s = state;
    this.#responder = responder;
  }

  /**
   * Settles when the cleanups running now have finished.
   *
   * @returns a promise that never rejects
   */
  async settled(): Promise<void> {
    await Promise.allSettled([...this.#cleanups]);
  }

  /**
   * Ends a call: records it, releases its scopes, and cleans up what it still holds.
   *
   * @param call - the call
   * @param outcome - how it ended
   * @returns its record
   */
  finish(call: TrackedCall, outcome: CallOutcome): CallRecord {
    const now = this.#s.o.clock.now();
    for (const source of this.#s.sources) {
      if (source.callEnded === undefined) continue;
      try {
        source.callEnded(call);
      } catch (error) {
        this.#s.reportInternalError(`source:${source.name}`, error);
      }
    }
    const { usage, peak } = call.endSnapshot(now);
    if (call.holdsHandles) {
      // Handles that are not the call's to close (unref'd timers, pooled sockets, immediates) leave with it, untouched.
      call.handles.dropCountedImmediates();
      for (const handle of call.handles.list()) {
        try {
          if (handle.closer.isShared?.() === true) call.releaseHandle(handle);
        } catch (error) {
          this.#s.reportInternalError('finish:isShared', error);
        }
      }
    }
    const tool = this.#s.tools.get(call.toolName);
    const session = call.sessionId === undefined ? undefined : this.#s.sessions.get(call.sessionId);
    this.#s.inFlight.delete(call);
    // A handler that outlives its call is watched against the time limit, up to the emergency level.
    if (call.handlerRunning && call.limits.maxExecutionTimeMs !== undefined) this.#s.orphans.add(call);
    const leaked = call.holdsHandles ? leakedOf(call.handles.countByKind()) : NO_HANDLES;
    const leakedAny = leaked !== NO_HANDLES;
    const record: CallRecord = {
      callId: call.callId,
      toolName: call.toolName,
      sessionId: call.sessionId,
      requestId: call.requestId,
      taskId: call.taskId,
      outcome,
      usage,
      peak,
      leaked,
      startedAt: call.startedAt,
      endedAt: now,
      measurement: call.meter.exact ? 'exact' : 'estimated',
    };
    try {
      if (call.trackers !== undefined && tool !== undefined) {
        for (const [name, tracker] of call.trackers) {
          if (tool.gate.unhold(tracker)) {
            this.#responder.gateChanged(tool.gate, 'released', LIMITED_RESOURCE[name], {
              previous: tracker.level,
              level: undefined,
              samples: [],
            });
          }
        }
      }
      this.#s.process.gate.leave();
      if (session !== undefined) {
        session.calls.delete(call);
        session.gate.leave();
        this.#s.maybeDropSession(session);
      }
      if (tool !== undefined) this.#finishForTool(tool, call, record);
    } catch (error) {
      this.#s.reportInternalError('finish', error);
    }
    this.#s.recentCalls?.note(call.numericId, call.toolName);
    this.#s.events.emit('call', record);
    const stopped = call.stopCause !== undefined;
    if (call.holdsHandles || stopped) {
      if (leakedAny) {
        tool?.countLeak(leaked);
        this.#emitLeak(call, outcome, leaked, false);
      }
      const reason: CleanupReason = call.stopCause ?? (leakedAny ? 'leak' : 'end');
      const mode = stopped || !leakedAny || this.#s.leakPolicyFor(call.toolName) === 'close' ? 'close' : 'report';
      call.settled = this.#track(this.#cleanup({ call, reason, mode, tool, outcome }));
    }
    return record;
  }

  #finishForTool(tool: ToolRecord, call: TrackedCall, record: CallRecord): void {
    tool.calls.delete(call);
    tool.gate.leave();
    tool.stats.finished(record.outcome, record.usage.executionTimeMs);
    tool.history.add(record.peak);
    tool.measurement = record.measurement;
    // Recovery: the half-open probe, or the first call after a cleanup or emergency, decides.
    const stopped = call.stopCause !== undefined;
    const failedLeaking =
      !stopped && record.outcome !== 'ok' && record.leaked !== NO_HANDLES && Object.keys(record.leaked).length > 0;
    const reopensAt = tool.lifecycle.ended(call.numericId, record.outcome, stopped, failedLeaking, record.endedAt);
    if (reopensAt !== undefined) this.#s.wake(reopensAt);
    this.#adapt(tool, call, record);
    if (tool.lifecycle.removed && tool.calls.size === 0) this.#s.tools.delete(tool.name);
    this.#s.updateState(tool, 'call');
  }

  #adapt(tool: ToolRecord, call: TrackedCall, record: CallRecord): void {
    const adaptive = this.#s.o.adaptive;
    if (adaptive === undefined) return;
    const stoppedAtLimit = call.stopCause === 'limit' || call.stopCause === 'timeout' || call.stopCause === 'emergency';
    if (stoppedAtLimit) {
      if (tool.countStopAtLimit() >= adaptive.cleanupsBeforeCap) {
        const current = Number.isFinite(tool.gate.cap) ? tool.gate.cap : tool.calls.size + 1;
        tool.gate.setCap(Math.max(1, Math.floor(current / 2)));
      }
    } else if (record.outcome === 'ok') {
      tool.countOk();
      if (Number.isFinite(tool.gate.cap))
        tool.gate.setCap(tool.gate.cap >= 64 ? Number.POSITIVE_INFINITY : tool.gate.cap + 1);
    }
    if (tool.history.count < adaptive.minSamples || tool.stats.calls % 8 !== 0) return;
    const derived: Record<string, number> = {};
    for (const [name, cap] of ToolRecord.entriesOf(tool.configured)) {
      const observed = tool.history.percentile(LIMITED_RESOURCE[name], 0.99) * adaptive.headroom;
      const floor =
        name === 'maxExecutionTimeMs'
          ? this.#s.o.sampling.activeMs * 2
          : name === 'maxFileHandles' || name === 'maxNetworkConnections'
            ? 1
            : 0;
      derived[name] = Math.min(cap, Math.max(observed, floor));
      if (derived[name] === 0) derived[name] = cap;
    }
    tool.setLimits(derived as ResourceLimits);
  }

  #emitLeak(
    call: TrackedCall,
    outcome: CallOutcome,
    handles: Readonly<Partial<Record<HandleKind, number>>>,
    late: boolean,
  ): void {
    let total = 0;
    for (const n of Object.values(handles)) total += n ?? 0;
    this.#s.events.emit('leak', {
      callId: call.callId,
      tool: call.toolName,
      sessionId: call.sessionId,
      taskId: call.taskId,
      outcome,
      handles,
      total,
      late,
    });
    this.#s.audit({
      action: 'leak',
      tool: call.toolName,
      callId: call.callId,
      sessionId: call.sessionId,
      taskId: call.taskId,
      detail: `${late ? 'opened after the call ended' : `held at end (${outcome})`}: ${JSON.stringify(handles)}`,
    });
  }

  /**
   * A handle opened in the context of a call that has ended: closed after the grace period, as a leak,
   * unless a pool has claimed it by then.
   *
   * @param call - the ended call
   * @param handle - what its code opened
   */
  lateHandle(call: TrackedCall, handle: TrackedHandle): void {
    if (call.stopCause === undefined && this.#s.leakPolicyFor(call.toolName) === 'report') return;
    // Closed after the grace period, if it is still the call's then (a pool may claim it meanwhile: it
    // is released if its closer says it is shared by then).
    const timer = nativeSetTimeout(() => {
      if (!call.handles.has(handle)) return;
      let shared = false;
      try {
        shared = handle.closer.isShared?.() === true;
      } catch {
        shared = false;
      }
      if (shared) {
        call.releaseHandle(handle);
        return;
      }
      const outcome = call.record?.outcome ?? 'ok';
      this.#s.tools.get(call.toolName)?.countLeak({ [handle.kind]: 1 });
      this.#emitLeak(call, outcome, { [handle.kind]: 1 }, true);
      this.#track(
        this.#cleanup({
          call,
          reason: call.stopCause ?? 'leak',
          mode: 'close',
          tool: this.#s.tools.get(call.toolName),
          outcome,
          only: [handle],
        }),
      );
    }, this.#s.o.cleanup.graceMs);
    timer.unref();
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#cleanups.add(promise);
    void promise.finally(() => this.#cleanups.delete(promise));
    return promise;
  }

  /** Runs a cleanup outside any call context, so that nothing it does is attributed to a call. */
  #cleanup(job: CleanupJob): Promise<CleanupReport | undefined> {
    return callContextStorage.exit(() => this.#runCleanup(job));
  }

  async #runCleanup({ call, reason, mode, tool, outcome, only }: CleanupJob): Promise<CleanupReport | undefined> {
    try {
      const started = this.#s.o.clock.now();
      const snapshot = this.#s.snapshotFor(call, tool);
      const handles = only ?? call.handles.list();
      const result =
        mode === 'close'
          ? await closeHandles(handles, this.#s.o.cleanup, () => this.#s.o.clock.now())
          : {
              attempted: 0,
              closed: {},
              failed: call.handles.countByKind(),
              survived: handles.length,
              survivors: handles.slice(0, 10).map((h) => ({ kind: h.kind, label: h.label })),
              errors: [],
              steps: [],
            };
      for (const handle of handles) {
        let closed = false;
        try {
          closed = handle.closer.isClosed();
        } catch {
          closed = false;
        }
        if (closed) call.releaseHandle(handle);
      }
      const report: CleanupReport = {
        ...result,
        reason,
        callId: call.callId,
        toolName: call.toolName,
        sessionId: call.sessionId,
        taskId: call.taskId,
        mode,
        durationMs: this.#s.o.clock.now() - started,
      };
      tool?.countCleanup(report);
      if (tool !== undefined && report.survived > 0 && outcome !== 'ok') {
        tool.lifecycle.survived(call.numericId, report.survived);
      }
      this.#s.events.emit('cleanup', report);
      this.#s.audit({
        action: 'cleanup',
        tool: call.toolName,
        callId: call.callId,
        sessionId: call.sessionId,
        taskId: call.taskId,
        usage: call.record?.usage,
        limits: call.limits,
        detail: `${reason}: closed ${report.attempted - report.survived}/${report.attempted} in ${report.durationMs.toFixed(2)} ms`,
        cleanup: report,
        snapshot,
      });
      return report;
    } catch (error) {
      this.#s.reportInternalError('cleanup', error);
      return undefined;
    }
  }
}
