/**
 * The guard's one sampler (no timer per call): a single timer, rescheduled for the nearest due tool,
 * whose rate follows each tool's lifecycle state (active, idle, deactivated; none once unregistered).
 * Each tick runs the usage sources over the due tools' calls, then holds every call, tool, session and
 * the process against its limits, and hands level changes to the limit responder.
 */

import type { AdmissionGate } from './admission-gate.js';
import type { GuardState } from './guard-state.js';
import { type LevelChange, type LevelPolicy, LevelTracker } from './level-tracker.js';
import { levelRank } from './limit-level.js';
import type { LimitResponder } from './limit-responder.js';
import { COUNTED_RESOURCES, LIMITED_RESOURCE, type LimitName } from './resource-limits.js';
import { processSnapshot } from './resource-snapshot.js';
import { RESOURCE_NAMES, type ResourceName, type ResourceUsage } from './resource-usage.js';
import type { TrackedCall } from './tool-call.js';
import { ToolRecord } from './tool-record.js';

function sumBy(calls: Iterable<TrackedCall>, resource: ResourceName, now: number): number {
  let total = 0;
  for (const call of calls) {
    if (call.ended) continue;
    total += resource === 'executionTimeMs' ? now - call.startedAt : call.usage()[resource];
  }
  return total;
}

/** Samples usage at the lifecycle-driven rate and evaluates limits. */
export class Sampler {
  readonly #s: GuardState;
  readonly #responder: LimitResponder;
  /** `limits.perSession` and `limits.process` as pairs. */
  readonly #sessionLimits: readonly (readonly [LimitName, number])[];
  readonly #processLimits: readonly (readonly [LimitName, number])[];
  readonly #policies: ReadonlyMap<ResourceName, LevelPolicy>;
  #tickAt = Number.POSITIVE_INFINITY;
  #cancelTick: (() => void) | undefined;
  #processCpu: { at: number; cpuMs: number } | undefined;

  /**
   * @param state - the guard's shared state (its `wake` is set to this sampler's)
   * @param responder - where level changes go
   */
  constructor(state: GuardState, responder: LimitResponder) {
    this.#s = state;
    this.#responder = responder;
    this.#sessionLimits = ToolRecord.entriesOf(state.o.perSession);
    this.#processLimits = ToolRecord.entriesOf(state.o.process);
    const { thresholds, dwellSamples, hysteresis } = state.o;
    const policies = new Map<ResourceName, LevelPolicy>();
    for (const name of RESOURCE_NAMES) {
      policies.set(name, {
        thresholds,
        dwellSamples: dwellSamples[name],
        hysteresis,
        exceeds: COUNTED_RESOURCES.has(name),
      });
    }
    this.#policies = policies;
    state.wake = (at) => this.wake(at);
  }

  /** Cancels the pending tick (the guard is closing). */
  stop(): void {
    this.#cancelTick?.();
    this.#cancelTick = undefined;
  }

  #intervalFor(tool: ToolRecord): number | undefined {
    switch (tool.state) {
      case 'active':
        return this.#s.o.sampling.activeMs;
      case 'deactivated':
        return this.#s.o.sampling.deactivatedMs;
      case 'unregistered':
        return undefined;
      default:
        return this.#s.o.sampling.idleMs;
    }
  }

  /**
   * Makes sure a tick happens no later than `at`.
   *
   * @param at - a clock time
   */
  wake(at: number): void {
    if (this.#s.closed || at >= this.#tickAt) return;
    this.#cancelTick?.();
    this.#tickAt = at;
    const delay = Math.max(0, at - this.#s.o.clock.now());
    this.#cancelTick = this.#s.o.scheduler.schedule(this.#tick, delay);
  }

  readonly #tick = (): void => {
    this.#cancelTick = undefined;
    this.#tickAt = Number.POSITIVE_INFINITY;
    if (this.#s.closed) return;
    const now = this.#s.o.clock.now();
    this.sampleNow(now, false);
    this.#scheduleNext(now);
  };

  #scheduleNext(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const tool of this.#s.tools.values()) {
      const interval = this.#intervalFor(tool);
      if (interval !== undefined) next = Math.min(next, Math.max(tool.lastSampledAt + interval, now + 1));
      const breaker = tool.lifecycle.breaker;
      if (breaker !== undefined && !breaker.halfOpen) next = Math.min(next, breaker.reopensAt);
    }
    next = Math.min(next, this.#nextDeadline(now));
    if (this.#s.orphans.size > 0) next = Math.min(next, now + this.#s.o.sampling.activeMs);
    if (this.#hasProcessLimits()) {
      next = Math.min(
        next,
        now + (this.#s.inFlight.size > 0 ? this.#s.o.sampling.activeMs : this.#s.o.sampling.idleMs),
      );
    }
    if (Number.isFinite(next)) this.wake(next);
  }

  /**
   * The earliest time at which a call in flight crosses the next level of its execution-time limit (warn,
   * throttle, its deadline), so that a call is stopped at its deadline however slowly the guard samples.
   *
   * @param now - the clock time
   * @returns that time, or +Infinity
   */
  #nextDeadline(now: number): number {
    const { thresholds } = this.#s.o;
    let next = Number.POSITIVE_INFINITY;
    for (const call of this.#s.inFlight) {
      const limit = call.limits.maxExecutionTimeMs;
      if (limit === undefined || call.ended || call.stopReason !== undefined) continue;
      const level = call.trackers?.get('maxExecutionTimeMs')?.level;
      const at = levelRank(level) < 0 ? thresholds.warn : level === 'warn' ? thresholds.throttle : thresholds.cleanup;
      const crossing = call.startedAt + at * limit;
      next = Math.min(next, crossing > now ? crossing : now + this.#s.o.sampling.activeMs);
    }
    return next;
  }

  /**
   * Holds a call whose handler just settled against its time limit, so that a handler that settles past its
   * deadline is stopped even when the guard's timer could not fire in time: while the event loop was blocked, or
   * when it came back and Node ran the handler's own timers first (every due timer of one duration runs before the
   * next duration's). Levels move as at a tick, with the time held at exactly the deadline.
   *
   * @param call - the call whose handler returned or threw
   */
  handlerSettled(call: TrackedCall): void {
    const limit = call.limits.maxExecutionTimeMs;
    // No clock read for a call without a time limit: this runs on every call's path.
    if (limit === undefined || call.ended || call.stopReason !== undefined) return;
    const now = this.#s.o.clock.now();
    if (now - call.startedAt < limit * this.#s.o.thresholds.cleanup) return;
    try {
      this.#evaluateCall(call, now, true);
    } catch (error) {
      this.#s.reportInternalError('sampler', error);
    }
  }

  /**
   * Holds a call against a limit it hit for certain (a worker's heap cap): its level goes to cleanup at once (no
   * dwell), which stops it with the limit's typed error, as a sampled crossing would.
   *
   * @param call - the call
   * @param limitName - the limit hit
   * @param value - the usage that hit it
   */
  hardLimit(call: TrackedCall, limitName: LimitName, value: number): void {
    try {
      const tool = this.#s.tools.get(call.toolName);
      const limit = call.limits[limitName];
      if (tool === undefined || limit === undefined || call.ended || call.stopReason !== undefined) return;
      call.trackers ??= new Map();
      let tracker = call.trackers.get(limitName);
      if (tracker === undefined) {
        tracker = new LevelTracker(this.#policies.get(LIMITED_RESOURCE[limitName]) as LevelPolicy);
        call.trackers.set(limitName, tracker);
      }
      const held = Math.max(value, limit);
      const change = tracker.force('cleanup', held);
      if (change !== undefined) this.#callLevelChanged(tool, call, tracker, limitName, held, limit, change);
    } catch (error) {
      this.#s.reportInternalError('sampler', error);
    }
  }

  #hasProcessLimits(): boolean {
    return this.#processLimits.length > 0;
  }

  /**
   * Runs one sampling pass; a failure is reported as an internal error, never thrown.
   *
   * @param now - the clock time
   * @param all - sample every tool, due or not
   */
  sampleNow(now: number, all: boolean): void {
    try {
      this.#sample(now, all);
    } catch (error) {
      this.#s.reportInternalError('sampler', error);
    }
  }

  #sample(now: number, all: boolean): void {
    const calls: TrackedCall[] = [];
    const due: ToolRecord[] = [];
    for (const tool of this.#s.tools.values()) {
      // The end of an emergency's cool-down: one probe call may run.
      if (tool.lifecycle.reopenIfDue(now)) this.#s.updateState(tool, 'half_open');
      const interval = this.#intervalFor(tool);
      if (interval === undefined) continue;
      // A tick may run up to a millisecond early against the tool's own schedule.
      if (!all && now - tool.lastSampledAt < interval - 1) continue;
      tool.sampled(now);
      due.push(tool);
      for (const call of tool.calls) calls.push(call);
    }
    for (const orphan of this.#s.orphans) calls.push(orphan);
    if (calls.length > 0) {
      for (const source of this.#s.sources) {
        try {
          source.sample(calls, now);
        } catch (error) {
          this.#s.reportInternalError(`source:${source.name}`, error);
        }
      }
    }
    for (const call of calls) this.#evaluateCall(call, now, false);
    // A deadline may fall between a tool's samples: every other call in flight is held against its time limit.
    if (due.length < this.#s.tools.size) {
      for (const call of this.#s.inFlight) {
        if (call.limits.maxExecutionTimeMs === undefined) continue;
        // A due tool's lastSampledAt is now.
        if (this.#s.tools.get(call.toolName)?.lastSampledAt !== now) this.#evaluateCall(call, now, true);
      }
    }
    for (const tool of due) {
      const limits = tool.aggregateEntries;
      if (limits.length > 0)
        this.#evaluateScope('tool', tool.trackers, limits, tool.calls, now, tool, undefined, tool.gate);
    }
    const sessionLimits = this.#sessionLimits;
    if (sessionLimits.length > 0) {
      for (const session of this.#s.sessions.values()) {
        this.#evaluateScope(
          'session',
          session.trackers,
          sessionLimits,
          session.calls,
          now,
          undefined,
          session.key,
          session.gate,
        );
      }
    }
    if (this.#hasProcessLimits()) this.#evaluateProcess(now);
  }

  #observe(
    trackers: Map<LimitName, LevelTracker>,
    name: LimitName,
    value: number,
    limit: number,
  ): LevelTracker | undefined {
    let tracker = trackers.get(name);
    if (tracker === undefined) {
      // Trackers are created only once usage comes near a limit: most calls never get one.
      if (value < limit * (this.#s.o.thresholds.warn - this.#s.o.hysteresis)) return undefined;
      tracker = new LevelTracker(this.#policies.get(LIMITED_RESOURCE[name]) as LevelPolicy);
      trackers.set(name, tracker);
    }
    return tracker;
  }

  /**
   * The time a call is held to against its execution-time limit: the time since its start, less the guard's own
   * lateness in stopping it (a tick after its deadline, or a stop that came late), so that a late sample never
   * escalates a level: past its deadline only a handler that goes on after the stop reaches the emergency level.
   */
  #heldTime(call: TrackedCall, limit: number, now: number): number {
    const elapsed = now - call.startedAt;
    const deadline = limit * this.#s.o.thresholds.cleanup;
    const stoppedAt = call.stoppedAt;
    // Exactly the deadline, never a difference of large times that rounds to just below it (the call would
    // then sit at the throttle level for ever).
    if (stoppedAt === undefined) return Math.min(elapsed, deadline);
    return stoppedAt - call.startedAt > deadline ? deadline + (now - stoppedAt) : elapsed;
  }

  #evaluateCall(call: TrackedCall, now: number, timeOnly: boolean): void {
    const tool = this.#s.tools.get(call.toolName);
    if (tool === undefined) return;
    // The client cancelled or the transport closed: the call is over for the client, so it is stopped
    // (and cleaned up when it ends), whether or not its handler honours the signal. Polled here, at the
    // sampling interval, rather than with a listener per call on the hot path.
    const transport = call.transportSignal;
    if (transport?.aborted === true && !call.ended && call.stopReason === undefined) {
      this.#responder.stop(call, 'cancelled', transport.reason ?? new Error('cancelled'));
      return;
    }
    const usage = call.ended ? undefined : call.usage();
    // The tool's pairs unless the tool's limits changed (adaptive mode) since the call was admitted.
    const entries = call.limits === tool.limits ? tool.limitEntries : ToolRecord.entriesOf(call.limits);
    for (const [name, limit] of entries) {
      const resource = LIMITED_RESOURCE[name];
      if (timeOnly && resource !== 'executionTimeMs') continue;
      // An orphaned handler (the call ended, its handler runs on) is held only against the time limit,
      // and only while it shows it is still running (CPU or handles after the end): a handler whose
      // pending work the cleanup closed may never settle, and is then no threat.
      if (usage === undefined && (resource !== 'executionTimeMs' || !call.activeAfterEnd)) continue;
      const value = resource === 'executionTimeMs' ? this.#heldTime(call, limit, now) : (usage?.[resource] ?? 0);
      call.trackers ??= new Map();
      const tracker = this.#observe(call.trackers, name, value, limit);
      if (tracker === undefined) continue;
      const change = tracker.observe(value, limit);
      if (change !== undefined) this.#callLevelChanged(tool, call, tracker, name, value, limit, change);
    }
  }

  /** A call's level for one of its limits changed: the responder acts on that call only. */
  #callLevelChanged(
    tool: ToolRecord,
    call: TrackedCall,
    tracker: LevelTracker,
    limitName: LimitName,
    value: number,
    limit: number,
    change: LevelChange,
  ): void {
    this.#responder.onChange({
      scope: 'call',
      tool,
      call,
      sessionId: call.sessionId,
      // A call-scope level acts on that call only: it never throttles the tool for other calls.
      gate: undefined,
      scopeCalls: [call],
      tracker,
      limitName,
      value,
      limit,
      change,
    });
  }

  #evaluateScope(
    scope: 'tool' | 'session' | 'process',
    trackers: Map<LimitName, LevelTracker>,
    limits: readonly (readonly [LimitName, number])[],
    calls: Set<TrackedCall>,
    now: number,
    tool: ToolRecord | undefined,
    sessionId: string | undefined,
    gate: AdmissionGate,
    measured?: Partial<ResourceUsage>,
  ): void {
    for (const [name, limit] of limits) {
      const resource = LIMITED_RESOURCE[name];
      const value = measured?.[resource] ?? sumBy(calls, resource, now);
      const tracker = this.#observe(trackers, name, value, limit);
      if (tracker === undefined) continue;
      const change = tracker.observe(value, limit);
      if (change === undefined) continue;
      this.#responder.onChange({
        scope,
        tool,
        call: undefined,
        sessionId,
        gate,
        scopeCalls: calls,
        tracker,
        limitName: name,
        value,
        limit,
        change,
      });
    }
  }

  #evaluateProcess(now: number): void {
    const p = processSnapshot();
    const previous = this.#processCpu;
    this.#processCpu = { at: now, cpuMs: p.cpuTimeMs };
    const cpuPercent =
      previous === undefined || now <= previous.at ? 0 : ((p.cpuTimeMs - previous.cpuMs) / (now - previous.at)) * 100;
    const measured: Partial<ResourceUsage> =
      p.openFds === undefined
        ? { memoryMb: p.rssMb, cpuPercent }
        : { memoryMb: p.rssMb, cpuPercent, fileHandles: p.openFds };
    const limits = this.#processLimits;
    this.#evaluateScope(
      'process',
      this.#s.process.trackers,
      limits,
      this.#s.inFlight,
      now,
      undefined,
      undefined,
      this.#s.process.gate,
      measured,
    );
  }
}
