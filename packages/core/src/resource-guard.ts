/** The guard: one per server (or shared by many), the owner of every call's tracking, limits and cleanup. */

import { writeSync } from 'node:fs';
import { AdmissionGate, type GateScope } from './admission-gate.js';
import type { AuditEntry } from './audit-log.js';
import { callContextStorage } from './call-context.js';
import type { CallOutcome } from './call-outcome.js';
import { type CleanupReason, type CleanupReport, closeHandles } from './cleanup.js';
import { ErrorCode, ResourceGuardError } from './errors.js';
import { EventHub } from './event-hub.js';
import type { GuardEvents, LimitEvent } from './guard-events.js';
import {
  type ResolvedGuardOptions,
  type ResourceGuardOptions,
  resolveGuardOptions,
  validateLimits,
} from './guard-options.js';
import { closerFor } from './handle-closers.js';
import type { HandleKind } from './handle-kind.js';
import { HandleRegistry, type TrackedHandle } from './handle-registry.js';
import { type LevelChange, type LevelPolicy, LevelTracker } from './level-tracker.js';
import { levelRank } from './limit-level.js';
import { nativeSetTimeout } from './native-timers.js';
import { detach } from './probes/attribution.js';
import { cpuPercentSource } from './probes/cpu-probe.js';
import { type LoopBlock, watchLoop } from './probes/loop-watchdog.js';
import { memorySource } from './probes/memory-probe.js';
import { acquireProbes } from './probes/probe-set.js';
import {
  createCallTempDir,
  prepareTempRoot,
  removeTempRootIfEmpty,
  tempDirCloser,
  tempStorageSource,
} from './probes/temp-storage.js';
import { type LimitScope, ResourceLimitExceeded } from './resource-limit-exceeded.js';
import { LIMITED_RESOURCE, type LimitName, narrowLimits, type ResourceLimits } from './resource-limits.js';
import { processSnapshot, type ResourceSnapshot } from './resource-snapshot.js';
import { RESOURCE_NAMES, type ResourceName, type ResourceUsage, ZERO_USAGE } from './resource-usage.js';
import { type CallOwner, type CallRecord, type StartCallInit, ToolCall } from './tool-call.js';
import { ToolRecord, type ToolSnapshot } from './tool-record.js';
import type { ToolState } from './tool-state.js';
import type { UsageSource } from './usage-source.js';

/**
 * A point-in-time copy of the guard's state.
 *
 * @example
 * ```ts
 * const { tools, inFlight } = guard.snapshot();
 * ```
 */
export interface GuardSnapshot {
  /** Per-tool state, by tool name, for every tool registered or called. */
  readonly tools: Readonly<Record<string, ToolSnapshot>>;
  /** Calls running now. */
  readonly inFlight: number;
  /** Calls that ended while their handler kept running (it ignored the signal). */
  readonly orphanedHandlers: number;
  /** Sessions with calls in flight or a block in force. */
  readonly sessions: number;
  /** Whether new calls are throttled process-wide. */
  readonly processThrottled: boolean;
  /** Failures the guard caught in itself since it was created. */
  readonly internalErrors: number;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
}

/** Options of {@link ResourceGuard.registerTool}. */
export interface RegisterToolOptions {
  /** The tool's own declared limits; they may narrow, never widen, what the owner configured. */
  readonly limits?: ResourceLimits;
}

interface ScopeRecord {
  readonly key: string;
  readonly calls: Set<ToolCall>;
  readonly trackers: Map<LimitName, LevelTracker>;
  readonly gate: AdmissionGate;
  blockedUntil: number;
}

interface ChangeContext {
  readonly scope: LimitScope;
  readonly tool: ToolRecord | undefined;
  readonly call: ToolCall | undefined;
  readonly sessionId: string | undefined;
  readonly gate: AdmissionGate | undefined;
  readonly scopeCalls: Iterable<ToolCall>;
  readonly tracker: LevelTracker;
  readonly limitName: LimitName;
  readonly value: number;
  readonly limit: number;
  readonly change: LevelChange;
}

/** Past this many distinct tools, calls of further unknown tools are counted under one name. */
const MAX_TOOLS = 10_000;
const OTHER_TOOLS = '(other)';
const THROTTLE_RANK = 1;
const CLEANUP_RANK = 2;
const EMERGENCY_RANK = 3;
const NO_HANDLES: Readonly<Partial<Record<HandleKind, number>>> = Object.freeze({});

function sumBy(calls: Iterable<ToolCall>, resource: ResourceName, now: number): number {
  let total = 0;
  for (const call of calls) {
    if (call.ended) continue;
    total += resource === 'executionTimeMs' ? now - call.startedAt : call.usage()[resource];
  }
  return total;
}

function largestBy(calls: Iterable<ToolCall>, resource: ResourceName): ToolCall | undefined {
  let best: ToolCall | undefined;
  let bestValue = Number.NEGATIVE_INFINITY;
  for (const call of calls) {
    if (call.ended || call.stopReason !== undefined) continue;
    const value = call.usage()[resource];
    // Ties go to the newest call: it has done the least work.
    if (value >= bestValue) {
      best = call;
      bestValue = value;
    }
  }
  return best;
}

/**
 * Tracks tool calls, holds them against limits with graduated responses, cleans up what they leave
 * open, and reports what they used. Create it with {@link createResourceGuard}; the SDK middleware
 * creates one for you.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { maxExecutionTimeMs: 10_000 } });
 * const call = await guard.admit({ toolName: 'echo' });
 * const value = await call.run(async () => 'hello');
 * call.end('ok');
 * console.error(guard.snapshot().tools.echo?.calls); // 1
 * ```
 */
export class ResourceGuard {
  readonly #o: ResolvedGuardOptions;
  readonly #events: EventHub<GuardEvents>;
  readonly #tools = new Map<string, ToolRecord>();
  readonly #sessions = new Map<string, ScopeRecord>();
  readonly #process: ScopeRecord;
  readonly #inFlight = new Set<ToolCall>();
  readonly #orphans = new Set<ToolCall>();
  readonly #owner: CallOwner;
  readonly #policies: ReadonlyMap<ResourceName, LevelPolicy>;
  readonly #cleanups = new Set<Promise<unknown>>();
  readonly #sources: readonly UsageSource[];
  readonly #releaseProbes: () => void;
  readonly #stopWatchdog: (() => void) | undefined;
  readonly #tempDirs = new WeakMap<ToolCall, string>();
  readonly #shared = new HandleRegistry();
  /** The last calls to end (id → tool), kept while the watchdog runs: a block is reported after its call ended. */
  readonly #recentCalls = new Map<string, string>();
  #tempRoot: string | undefined;
  #nextId = 0;
  #nextRejected = 0;
  #internalErrors = 0;
  #closed = false;
  #tickAt = Number.POSITIVE_INFINITY;
  #cancelTick: (() => void) | undefined;
  #processCpu: { at: number; cpuMs: number } | undefined;

  /**
   * @param options - validated here; invalid options throw before anything is created
   */
  constructor(options?: ResourceGuardOptions) {
    const o = resolveGuardOptions(options);
    this.#o = o;
    this.#events = new EventHub<GuardEvents>((error, event) =>
      this.reportInternalError(`listener:${String(event)}`, error),
    );
    this.#process = this.#scopeRecord('process', 'process');
    const policies = new Map<ResourceName, LevelPolicy>();
    for (const name of RESOURCE_NAMES) {
      policies.set(name, { thresholds: o.thresholds, dwellSamples: o.dwellSamples[name], hysteresis: o.hysteresis });
    }
    this.#policies = policies;
    this.#owner = {
      now: () => o.clock.now(),
      finish: (call, outcome) => this.#finish(call, outcome),
      lateHandle: (call, handle) => this.#lateHandle(call, handle),
      handlerSettled: (call) => {
        this.#orphans.delete(call);
      },
      tempDir: (call) => this.#tempDir(call),
    };
    this.#releaseProbes = acquireProbes(o.probes);
    this.#stopWatchdog =
      o.watchdog === undefined
        ? undefined
        : watchLoop(
            o.watchdog,
            (block) => this.#blocked(block),
            (error) => this.reportInternalError('watchdog', error),
          );
    const builtIn: UsageSource[] = [];
    if (o.probes.cpu) builtIn.push(cpuPercentSource());
    if (o.probes.memory) builtIn.push(memorySource({ children: o.probes.processes }));
    builtIn.push(tempStorageSource((call) => this.#tempDirs.get(call)));
    this.#sources = [...builtIn, ...o.sources];
  }

  // ---------------------------------------------------------------- limits and lifecycle

  /**
   * The per-call limits the owner configured for a tool: the defaults, replaced key by key by the
   * tool's entry in `tools` (exact name first, then the first matching pattern).
   *
   * @param toolName - the tool
   * @returns its configured per-call limits
   * @example
   * ```ts
   * guard.limitsFor('heavy'); // { maxExecutionTimeMs: 30000, maxMemoryMb: 512 }
   * ```
   */
  limitsFor(toolName: string): ResourceLimits {
    const { limits, exactTools, patternTools } = this.#o;
    const exact = exactTools.get(toolName);
    if (exact !== undefined) return { ...limits, ...exact };
    for (const { pattern, limits: toolLimits } of patternTools) {
      if (pattern.test(toolName)) return { ...limits, ...toolLimits };
    }
    return limits;
  }

  /**
   * Registers a tool (specification: registration): its limits are resolved and it is tracked at the
   * idle rate. Registering again updates its declared limits. Calls of unregistered tools register them.
   *
   * @param name - the tool name
   * @param options - the tool's own declared limits, which may only narrow the owner's
   * @throws {@link ResourceGuardError} `INVALID_CONFIG` when the declared limits are invalid
   * @example
   * ```ts
   * guard.registerTool('search', { limits: { maxExecutionTimeMs: 5000 } });
   * ```
   */
  registerTool(name: string, options: RegisterToolOptions = {}): void {
    const declared =
      options.limits === undefined ? undefined : validateLimits(options.limits, `tools.${name}.declared`);
    const tool = this.#toolRecord(name, true);
    if (tool === undefined) return;
    const configured = declared === undefined ? this.limitsFor(name) : narrowLimits(this.limitsFor(name), declared);
    tool.configured = configured;
    tool.setLimits(configured);
    const fresh = !tool.registered || tool.unregistered;
    tool.registered = true;
    if (tool.unregistered) {
      tool.unregistered = false;
      tool.deactivatedBy = undefined;
    }
    this.#updateState(tool, 'registered');
    if (fresh) this.#stateChanged(tool, 'unregistered', tool.state, 'registered');
    this.#ensureTick(this.#o.clock.now() + this.#o.sampling.idleMs);
  }

  /**
   * Activates a tool the owner had deactivated (specification: activation).
   *
   * @param name - the tool
   * @example
   * ```ts
   * guard.enableTool('search');
   * ```
   */
  enableTool(name: string): void {
    const tool = this.#tools.get(name);
    if (tool === undefined || tool.deactivatedBy !== 'owner') return;
    tool.deactivatedBy = undefined;
    this.#updateState(tool, 'owner');
  }

  /**
   * Deactivates a tool (specification: deactivation): new calls are refused, calls in flight are
   * stopped and cleaned up, and tracking goes on at the deactivated rate.
   *
   * @param name - the tool
   * @example
   * ```ts
   * guard.disableTool('search');
   * ```
   */
  disableTool(name: string): void {
    const tool = this.#tools.get(name);
    if (tool === undefined || tool.unregistered) return;
    tool.deactivatedBy = 'owner';
    tool.breaker = undefined;
    this.#stopAll(tool.calls, 'deactivated', () => this.#deactivatedError(tool, 'was deactivated', 'owner'));
    this.#updateState(tool, 'owner');
  }

  /**
   * Unregisters a tool (specification: unregistration): calls in flight are stopped and cleaned up,
   * and tracking stops.
   *
   * @param name - the tool
   * @example
   * ```ts
   * guard.unregisterTool('search');
   * ```
   */
  unregisterTool(name: string): void {
    const tool = this.#tools.get(name);
    if (tool === undefined || tool.unregistered) return;
    tool.unregistered = true;
    tool.breaker = undefined;
    this.#stopAll(tool.calls, 'unregistered', () => this.#deactivatedError(tool, 'was removed', 'removed'));
    tool.gate.drain(this.#deactivatedError(tool, 'was removed', 'removed'));
    this.#updateState(tool, 'unregistered');
    if (tool.calls.size === 0) this.#tools.delete(name);
  }

  /**
   * The lifecycle state of a tool.
   *
   * @param name - the tool
   * @returns its state, or undefined for a tool the guard does not know
   * @example
   * ```ts
   * if (guard.toolState('search') === 'deactivated') console.error('search is cooling down');
   * ```
   */
  toolState(name: string): ToolState | undefined {
    return this.#tools.get(name)?.state;
  }

  // ---------------------------------------------------------------- calls

  /**
   * Admits a call at once when nothing stands in its way (no throttle, queue or deactivation in any
   * scope): the allocation-free fast path. Returns undefined otherwise; then call {@link ResourceGuard.admit}.
   *
   * @param init - what is known about the call
   * @returns the call, or undefined
   * @example
   * ```ts
   * const call = guard.tryAdmit(init) ?? (await guard.admit(init));
   * ```
   */
  tryAdmit(init: StartCallInit): ToolCall | undefined {
    if (this.#closed) return undefined;
    const tool = this.#tools.get(init.toolName);
    if (tool === undefined || tool.unregistered || tool.deactivatedBy !== undefined || tool.breaker !== undefined) {
      return undefined;
    }
    const now = this.#o.clock.now();
    if (this.#process.blockedUntil > now) return undefined;
    const session = init.sessionId === undefined ? undefined : this.#sessionRecord(init.sessionId);
    if (session !== undefined && session.blockedUntil > now) return undefined;
    if (!this.#process.gate.tryEnter()) return undefined;
    if (session !== undefined && !session.gate.tryEnter()) {
      this.#process.gate.leave();
      return undefined;
    }
    if (!tool.gate.tryEnter()) {
      session?.gate.leave();
      this.#process.gate.leave();
      return undefined;
    }
    return this.#start(tool, session, init);
  }

  /**
   * Admits a call: checks the process, session and tool gates (waiting in a bounded queue while
   * throttled), then starts tracking it. The caller must end it with {@link ToolCall.end} on every path.
   *
   * @param init - what is known about the call
   * @returns the call
   * @throws {@link ResourceGuardError} `THROTTLED` or `TOOL_DEACTIVATED` (with `data.retryAfterMs`) when
   *   the call is refused, `GUARD_CLOSED` after {@link ResourceGuard.close}
   * @example
   * ```ts
   * const call = await guard.admit({ toolName: 'echo', signal: extra.signal });
   * ```
   */
  async admit(init: StartCallInit): Promise<ToolCall> {
    if (this.#closed) throw this.#closedError();
    const now = this.#o.clock.now();
    const tool = this.#toolRecord(init.toolName, false) as ToolRecord;
    const toolName = tool.name;
    try {
      this.#checkAvailable(tool, init.sessionId, now);
    } catch (error) {
      this.#rejected(tool, init.sessionId, error, init);
      throw error;
    }
    const session = init.sessionId === undefined ? undefined : this.#sessionRecord(init.sessionId);
    const gates: AdmissionGate[] = [this.#process.gate];
    if (session !== undefined) gates.push(session.gate);
    gates.push(tool.gate);
    let entered = 0;
    try {
      for (const gate of gates) {
        const wait = gate.enter(init.signal);
        if (wait !== undefined) await wait;
        entered++;
      }
      if (this.#closed) throw this.#closedError();
      // The wait may have outlasted a deactivation.
      this.#checkAvailable(tool, init.sessionId, this.#o.clock.now());
    } catch (error) {
      for (let i = 0; i < entered; i++) (gates[i] as AdmissionGate).leave();
      this.#rejected(tool, init.sessionId, error, init);
      if (session !== undefined && session.calls.size === 0) this.#maybeDropSession(session);
      throw error;
    }
    return this.#start(tool, session, toolName === init.toolName ? init : { ...init, toolName });
  }

  #start(tool: ToolRecord, session: ScopeRecord | undefined, init: StartCallInit): ToolCall {
    const call = new ToolCall(this.#owner, String(++this.#nextId), init, tool.limits);
    if (tool.breaker?.halfOpen) tool.breaker.probe = call;
    this.#inFlight.add(call);
    tool.calls.add(call);
    session?.calls.add(call);
    tool.everCalled = true;
    tool.stats.started();
    for (const source of this.#sources) {
      if (source.callStarted === undefined) continue;
      try {
        source.callStarted(call);
      } catch (error) {
        this.reportInternalError(`source:${source.name}`, error);
      }
    }
    if (tool.state !== 'active') this.#updateState(tool, 'call');
    this.#ensureTick(this.#o.clock.now() + this.#o.sampling.activeMs);
    return call;
  }

  /**
   * Ends a session: its calls in flight are stopped (their cleanup runs when they end) and its
   * per-session state is dropped.
   *
   * @param sessionId - the session
   * @example
   * ```ts
   * transport.onclose = () => guard.endSession(transport.sessionId);
   * ```
   */
  endSession(sessionId: string): void {
    const session = this.#sessions.get(sessionId);
    if (session === undefined) return;
    this.#stopAll(
      session.calls,
      'session_closed',
      () =>
        new ResourceGuardError({
          code: ErrorCode.GuardClosed,
          message: `The session ${sessionId} ended while the call was running`,
          hint: 'The client disconnected; nothing is left to answer.',
        }),
    );
    session.gate.drain(
      new ResourceGuardError({
        code: ErrorCode.GuardClosed,
        message: `The session ${sessionId} ended`,
        hint: 'Reconnect to call tools again.',
      }),
    );
    if (session.calls.size === 0) this.#sessions.delete(sessionId);
  }

  // ---------------------------------------------------------------- observation

  /**
   * Subscribes to an event. Listeners run synchronously; one that throws is reported as an
   * `internalError` and never disturbs the call that caused the event.
   *
   * @param event - the event name
   * @param listener - the listener
   * @returns a function that unsubscribes
   * @example
   * ```ts
   * const off = guard.on('limit', (e) => console.error(e.tool, e.resource, e.level));
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
    const now = this.#o.clock.now();
    const tools: Record<string, ToolSnapshot> = {};
    for (const [name, tool] of this.#tools) tools[name] = tool.snapshot(now);
    return {
      tools,
      inFlight: this.#inFlight.size,
      orphanedHandlers: this.#orphans.size,
      sessions: this.#sessions.size,
      processThrottled: this.#process.gate.throttled,
      internalErrors: this.#internalErrors,
      closed: this.#closed,
    };
  }

  /**
   * The audit entries kept by the default in-memory sink, oldest first (empty with a custom sink).
   *
   * @returns the entries
   * @example
   * ```ts
   * for (const e of guard.audit()) console.error(e.action, e.tool, e.detail);
   * ```
   */
  audit(): AuditEntry[] {
    return this.#o.memoryAudit?.entries() ?? [];
  }

  /**
   * Runs one sampling pass now, in addition to the periodic ones (tests and benchmarks use it).
   *
   * @example
   * ```ts
   * guard.sampleNow();
   * ```
   */
  sampleNow(): void {
    this.#sampleSafely(this.#o.clock.now(), true);
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
    try {
      this.#o.auditSink.write({
        time: Date.now(),
        action: 'internal_error',
        detail: `${source}: ${error instanceof Error ? error.message : String(error)}`,
      });
    } catch {
      // The sink itself failed; the counter above still tells.
    }
    if (source !== 'listener:internalError') this.#events.emit('internalError', { source, error });
  }

  /**
   * Declares a resource shared by the whole server (a pool, a client, a cache): it is detached from the
   * call that opened it, never closed by a call's cleanup, and closed by {@link ResourceGuard.close}.
   *
   * @param resource - a server, socket, child process, worker, FileHandle, stream, or anything disposable
   * @returns the same resource
   * @throws {@link ResourceGuardError} `INVALID_CONFIG` for a resource the guard cannot close
   * @example
   * ```ts
   * const pool = guard.share(createPool());
   * ```
   */
  share<T extends object>(resource: T): T {
    const found = closerFor(resource);
    if (found === undefined) {
      throw new ResourceGuardError({
        code: ErrorCode.InvalidConfig,
        message: 'share() was given a resource the guard cannot close',
        hint: 'Pass a server, socket, child process, worker, FileHandle, stream, or an object with close(), destroy() or [Symbol.dispose]().',
        path: 'resource',
        value: resource,
      });
    }
    detach(resource);
    this.#shared.add(found.kind, found.closer, 'shared');
    return resource;
  }

  /**
   * Stops every call in flight (their cleanup runs as they end), refuses new ones, stops sampling,
   * closes the usage sources and the resources given to {@link ResourceGuard.share}. Idempotent.
   *
   * @returns a promise that settles when cleanups already running have finished
   * @example
   * ```ts
   * process.on('SIGTERM', () => void guard.close());
   * ```
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#cancelTick?.();
    this.#cancelTick = undefined;
    this.#stopAll(this.#inFlight, 'closed', () => this.#closedError());
    const error = this.#closedError();
    this.#process.gate.drain(error);
    for (const session of this.#sessions.values()) session.gate.drain(error);
    for (const tool of this.#tools.values()) tool.gate.drain(error);
    for (const source of this.#sources) {
      try {
        await source.close?.();
      } catch (e) {
        this.reportInternalError(`source:${source.name}`, e);
      }
    }
    this.#releaseProbes();
    this.#stopWatchdog?.();
    await Promise.allSettled([...this.#cleanups]);
    if (this.#tempRoot !== undefined) removeTempRootIfEmpty(this.#tempRoot);
    if (this.#shared.size > 0) {
      await callContextStorage.exit(() =>
        closeHandles(this.#shared.list(), this.#o.cleanup, () => this.#o.clock.now()),
      );
    }
  }

  #blocked(block: LoopBlock): void {
    let tool: string | undefined;
    if (block.callId !== undefined) {
      tool = this.#recentCalls.get(block.callId);
      for (const set of [this.#inFlight, this.#orphans]) {
        for (const call of set) if (call.callId === block.callId) tool = call.toolName;
      }
    }
    this.#events.emit('blocked', { durationMs: block.durationMs, callId: block.callId, tool });
    this.#audit({
      action: 'blocked_loop',
      tool,
      callId: block.callId,
      detail: `event loop blocked about ${block.durationMs} ms`,
      snapshot: this.#snapshotFor(undefined, undefined),
    });
  }

  #tempDir(call: ToolCall): string {
    const existing = this.#tempDirs.get(call);
    if (existing !== undefined) return existing;
    if (call.ended) {
      throw new ResourceGuardError({
        code: ErrorCode.NoCallContext,
        message: `tempDir() was called after call ${call.callId} ended`,
        hint: 'Create temp files while the call runs; the directory is removed when it ends.',
      });
    }
    this.#tempRoot ??= prepareTempRoot(this.#o.tempRoot);
    const root = this.#tempRoot;
    const dir = createCallTempDir(root, call.callId);
    this.#tempDirs.set(call, dir);
    call.addHandle('temp_dir', tempDirCloser(dir, root), dir);
    return dir;
  }

  // ---------------------------------------------------------------- records

  #scopeRecord(scope: GateScope, key: string): ScopeRecord {
    return {
      key,
      calls: new Set(),
      trackers: new Map(),
      gate: new AdmissionGate(scope, key, this.#o.throttle, this.#o.scheduler),
      blockedUntil: Number.NEGATIVE_INFINITY,
    };
  }

  #toolRecord(name: string, registering: boolean): ToolRecord | undefined {
    let tool = this.#tools.get(name);
    if (tool !== undefined) return tool;
    if (!registering && this.#tools.size >= MAX_TOOLS) {
      tool = this.#tools.get(OTHER_TOOLS);
      if (tool !== undefined) return tool;
      name = OTHER_TOOLS;
    }
    const limits = this.limitsFor(name);
    tool = new ToolRecord(
      name,
      limits,
      new AdmissionGate('tool', name, this.#o.throttle, this.#o.scheduler),
      this.#o.historySize,
    );
    this.#tools.set(name, tool);
    return tool;
  }

  #sessionRecord(id: string): ScopeRecord {
    let session = this.#sessions.get(id);
    if (session === undefined) {
      session = this.#scopeRecord('session', id);
      this.#sessions.set(id, session);
    }
    return session;
  }

  #maybeDropSession(session: ScopeRecord): void {
    const now = this.#o.clock.now();
    if (session.calls.size === 0 && session.gate.queued === 0 && session.blockedUntil <= now) {
      for (const tracker of session.trackers.values()) session.gate.unhold(tracker);
      this.#sessions.delete(session.key);
    }
  }

  #updateState(tool: ToolRecord, reason: string): void {
    const to = tool.deriveState();
    const from = tool.state;
    if (to === from) return;
    tool.state = to;
    // Per-call changes (active, idle, error) are in snapshots; events and audit report the lifecycle.
    const lifecycle = to === 'deactivated' || from === 'deactivated' || to === 'unregistered';
    if (lifecycle) this.#stateChanged(tool, from, to, reason);
  }

  #stateChanged(tool: ToolRecord, from: ToolState, to: ToolState, reason: string): void {
    this.#events.emit('state', { tool: tool.name, from, to, reason });
    this.#audit({ action: 'state', tool: tool.name, detail: `${from} -> ${to} (${reason})` });
  }

  // ---------------------------------------------------------------- admission

  #checkAvailable(tool: ToolRecord, sessionId: string | undefined, now: number): void {
    if (tool.unregistered) throw this.#deactivatedError(tool, 'was removed', 'removed');
    const breaker = tool.breaker;
    if (tool.deactivatedBy === 'owner') throw this.#deactivatedError(tool, 'is deactivated by the server', 'owner');
    if (breaker !== undefined) {
      if (!breaker.halfOpen) {
        const wait = Math.max(0, breaker.reopensAt - now);
        throw this.#deactivatedError(tool, 'is deactivated after an emergency', 'emergency', wait);
      }
      if (breaker.probe !== undefined) {
        throw this.#deactivatedError(
          tool,
          'is being probed after an emergency',
          'emergency',
          this.#o.sampling.activeMs,
        );
      }
    }
    const blocked = Math.max(
      this.#process.blockedUntil,
      sessionId === undefined ? Number.NEGATIVE_INFINITY : (this.#sessions.get(sessionId)?.blockedUntil ?? 0),
    );
    if (blocked > now) {
      throw new ResourceGuardError({
        code: ErrorCode.Throttled,
        message: `Calls are refused after an emergency (${this.#process.blockedUntil > now ? 'process' : 'session'} scope)`,
        hint: `Retry after ${Math.ceil(blocked - now)} ms.`,
        data: {
          retryAfterMs: Math.ceil(blocked - now),
          scope: this.#process.blockedUntil > now ? 'process' : 'session',
        },
      });
    }
  }

  #deactivatedError(
    tool: ToolRecord,
    what: string,
    cause: 'owner' | 'emergency' | 'removed',
    retryAfterMs?: number,
  ): ResourceGuardError {
    return new ResourceGuardError({
      code: ErrorCode.ToolDeactivated,
      message: `Tool "${tool.name}" ${what}`,
      hint:
        retryAfterMs === undefined
          ? 'The server owner must enable it again.'
          : `Retry after ${Math.ceil(retryAfterMs)} ms.`,
      data: {
        tool: tool.name,
        cause,
        ...(retryAfterMs === undefined ? {} : { retryAfterMs: Math.ceil(retryAfterMs) }),
      },
    });
  }

  #closedError(): ResourceGuardError {
    return new ResourceGuardError({
      code: ErrorCode.GuardClosed,
      message: 'The resource guard is closed',
      hint: 'Calls in flight when the guard closes are stopped; create a new guard to track more calls.',
    });
  }

  #rejected(tool: ToolRecord, sessionId: string | undefined, error: unknown, init?: StartCallInit): void {
    const data = ResourceGuardError.is(error) ? error.data : undefined;
    // A tool its owner disabled or removed is not refused by the guard's limits: no rejection to count.
    if (data?.cause === 'owner' || data?.cause === 'removed') return;
    tool.rejected++;
    if (this.#events.has('call')) {
      // A refused call is still a call the client made: it gets a record, with outcome `rejected`.
      const now = this.#o.clock.now();
      this.#events.emit('call', {
        callId: `rejected-${++this.#nextRejected}`,
        toolName: tool.name,
        sessionId,
        requestId: init?.requestId,
        outcome: 'rejected',
        usage: ZERO_USAGE,
        peak: ZERO_USAGE,
        leaked: NO_HANDLES,
        startedAt: now,
        endedAt: now,
      });
    }
    const code = ResourceGuardError.is(error) ? error.code : undefined;
    const scope = (data?.scope as GateScope | undefined) ?? 'tool';
    const retryAfterMs = typeof data?.retryAfterMs === 'number' ? data.retryAfterMs : undefined;
    this.#events.emit('throttle', {
      action: 'rejected',
      scope,
      key: scope === 'session' ? (sessionId ?? '') : scope === 'process' ? 'process' : tool.name,
      tool: tool.name,
      resource: data?.resource as ResourceName | undefined,
      level: data?.level as LimitEvent['level'],
      retryAfterMs,
      code,
    });
    this.#audit({
      action: 'reject',
      tool: tool.name,
      sessionId,
      detail: error instanceof Error ? error.message : String(error),
    });
  }

  // ---------------------------------------------------------------- sampling

  #intervalFor(tool: ToolRecord): number | undefined {
    switch (tool.state) {
      case 'active':
        return this.#o.sampling.activeMs;
      case 'deactivated':
        return this.#o.sampling.deactivatedMs;
      case 'unregistered':
        return undefined;
      default:
        return this.#o.sampling.idleMs;
    }
  }

  /** Makes sure a tick happens no later than `at`. */
  #ensureTick(at: number): void {
    if (this.#closed || at >= this.#tickAt) return;
    this.#cancelTick?.();
    this.#tickAt = at;
    const delay = Math.max(0, at - this.#o.clock.now());
    this.#cancelTick = this.#o.scheduler.schedule(this.#tick, delay);
  }

  readonly #tick = (): void => {
    this.#cancelTick = undefined;
    this.#tickAt = Number.POSITIVE_INFINITY;
    if (this.#closed) return;
    const now = this.#o.clock.now();
    this.#sampleSafely(now, false);
    this.#scheduleNext(now);
  };

  #scheduleNext(now: number): void {
    let next = Number.POSITIVE_INFINITY;
    for (const tool of this.#tools.values()) {
      const interval = this.#intervalFor(tool);
      if (interval !== undefined) next = Math.min(next, Math.max(tool.lastSampledAt + interval, now + 1));
      if (tool.breaker !== undefined && !tool.breaker.halfOpen) next = Math.min(next, tool.breaker.reopensAt);
    }
    if (this.#orphans.size > 0) next = Math.min(next, now + this.#o.sampling.activeMs);
    if (this.#hasProcessLimits()) {
      next = Math.min(next, now + (this.#inFlight.size > 0 ? this.#o.sampling.activeMs : this.#o.sampling.idleMs));
    }
    if (Number.isFinite(next)) this.#ensureTick(next);
  }

  #hasProcessLimits(): boolean {
    return Object.keys(this.#o.processLimits).length > 0;
  }

  #sampleSafely(now: number, all: boolean): void {
    try {
      this.#sample(now, all);
    } catch (error) {
      this.reportInternalError('sampler', error);
    }
  }

  #sample(now: number, all: boolean): void {
    const calls: ToolCall[] = [];
    const due: ToolRecord[] = [];
    for (const tool of this.#tools.values()) {
      const breaker = tool.breaker;
      if (breaker !== undefined && !breaker.halfOpen && now >= breaker.reopensAt) this.#halfOpen(tool);
      const interval = this.#intervalFor(tool);
      if (interval === undefined) continue;
      // A tick may run up to a millisecond early against the tool's own schedule.
      if (!all && now - tool.lastSampledAt < interval - 1) continue;
      tool.lastSampledAt = now;
      tool.samples++;
      due.push(tool);
      for (const call of tool.calls) calls.push(call);
    }
    for (const orphan of this.#orphans) calls.push(orphan);
    if (calls.length > 0) {
      for (const source of this.#sources) {
        try {
          source.sample(calls, now);
        } catch (error) {
          this.reportInternalError(`source:${source.name}`, error);
        }
      }
    }
    for (const call of calls) this.#evaluateCall(call, now);
    const toolLimits = ToolRecord.entriesOf(this.#o.toolLimits);
    if (toolLimits.length > 0) {
      for (const tool of due)
        this.#evaluateScope('tool', tool.trackers, toolLimits, tool.calls, now, tool, undefined, tool.gate);
    }
    const sessionLimits = ToolRecord.entriesOf(this.#o.sessionLimits);
    if (sessionLimits.length > 0) {
      for (const session of this.#sessions.values()) {
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
      if (value < limit * (this.#o.thresholds.warn - this.#o.hysteresis)) return undefined;
      tracker = new LevelTracker(this.#policies.get(LIMITED_RESOURCE[name]) as LevelPolicy);
      trackers.set(name, tracker);
    }
    return tracker;
  }

  #evaluateCall(call: ToolCall, now: number): void {
    const tool = this.#tools.get(call.toolName);
    if (tool === undefined) return;
    // The client cancelled or the transport closed: the call is over for the client, so it is stopped
    // (and cleaned up when it ends), whether or not its handler honours the signal. Polled here, at the
    // sampling interval, rather than with a listener per call on the hot path.
    const transport = call.transportSignal;
    if (transport?.aborted === true && !call.ended && call.stopReason === undefined) {
      this.#stop(call, 'cancelled', transport.reason ?? new Error('cancelled'));
      return;
    }
    const usage = call.ended ? undefined : call.usage();
    // The tool's pairs unless the tool's limits changed (adaptive mode) since the call was admitted.
    const entries = call.limits === tool.limits ? tool.limitEntries : ToolRecord.entriesOf(call.limits);
    for (const [name, limit] of entries) {
      const resource = LIMITED_RESOURCE[name];
      // An orphaned handler (the call ended, its handler runs on) is held only against the time limit,
      // and only while it shows it is still running (CPU or handles after the end): a handler whose
      // pending work the cleanup closed may never settle, and is then no threat.
      if (usage === undefined && (resource !== 'executionTimeMs' || !call.activeAfterEnd)) continue;
      const value = usage === undefined ? now - call.startedAt : usage[resource];
      call.trackers ??= new Map();
      const tracker = this.#observe(call.trackers, name, value, limit);
      if (tracker === undefined) continue;
      const change = tracker.observe(value, limit);
      if (change === undefined) continue;
      this.#onChange({
        scope: 'call',
        tool,
        call,
        sessionId: call.sessionId,
        gate: call.ended ? undefined : tool.gate,
        scopeCalls: [call],
        tracker,
        limitName: name,
        value,
        limit,
        change,
      });
    }
  }

  #evaluateScope(
    scope: 'tool' | 'session' | 'process',
    trackers: Map<LimitName, LevelTracker>,
    limits: readonly (readonly [LimitName, number])[],
    calls: Set<ToolCall>,
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
      this.#onChange({
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
    const limits = ToolRecord.entriesOf(this.#o.processLimits);
    this.#evaluateScope(
      'process',
      this.#process.trackers,
      limits,
      this.#inFlight,
      now,
      undefined,
      undefined,
      this.#process.gate,
      measured,
    );
  }

  // ---------------------------------------------------------------- responses

  #onChange(ctx: ChangeContext): void {
    const { change, tool, call } = ctx;
    const resource = LIMITED_RESOURCE[ctx.limitName];
    const rank = levelRank(change.level);
    const previousRank = levelRank(change.previous);
    const up = rank > previousRank;
    const actedOn = call ?? (up && rank >= CLEANUP_RANK ? largestBy(ctx.scopeCalls, resource) : undefined);
    const event: LimitEvent = {
      scope: ctx.scope,
      tool: tool?.name ?? actedOn?.toolName,
      callId: call?.callId,
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
    this.#events.emit('limit', event);
    const detail = `${ctx.scope} ${resource} ${change.previous ?? 'ok'} -> ${change.level ?? 'ok'} (${ctx.value.toFixed(2)} of ${ctx.limit}; samples ${change.samples.map((s) => s.toFixed(2)).join(', ')})`;
    if (up && change.level !== undefined) {
      const countOn = tool ?? (actedOn === undefined ? undefined : this.#tools.get(actedOn.toolName));
      if (countOn !== undefined) countOn.levelEntries[change.level]++;
      this.#audit({
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
        if (gate.hold(ctx.tracker, { resource, level: change.level as string }))
          this.#gateChanged(gate, 'throttled', resource, change);
      } else if (gate.unhold(ctx.tracker)) {
        this.#gateChanged(gate, 'released', resource, change);
      }
    }
    if (!up) return;

    const reasonFor = (target: ToolCall): ResourceLimitExceeded =>
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
      this.#stop(actedOn, resource === 'executionTimeMs' ? 'timeout' : 'limit', reasonFor(actedOn));
    }
    if (rank === EMERGENCY_RANK && call?.ended === true) this.#orphans.delete(call);
    if (rank === EMERGENCY_RANK) {
      const emergencyTool = tool ?? (actedOn === undefined ? undefined : this.#tools.get(actedOn.toolName));
      if (ctx.scope === 'call' || ctx.scope === 'tool') {
        if (emergencyTool !== undefined) this.#emergencyTool(emergencyTool, ctx, reasonFor);
      } else {
        this.#emergencyScope(ctx, reasonFor);
      }
    }
  }

  #gateChanged(
    gate: AdmissionGate,
    action: 'throttled' | 'released',
    resource: ResourceName,
    change: LevelChange,
  ): void {
    this.#events.emit('throttle', {
      action,
      scope: gate.scope,
      key: gate.key,
      tool: gate.scope === 'tool' ? gate.key : undefined,
      resource,
      level: change.level,
      retryAfterMs: undefined,
      code: undefined,
    });
    this.#audit({
      action: action === 'throttled' ? 'throttle' : 'unthrottle',
      tool: gate.scope === 'tool' ? gate.key : undefined,
      sessionId: gate.scope === 'session' ? gate.key : undefined,
      scope: gate.scope,
      resource,
      level: change.level,
      detail: `${gate.scope} ${gate.key} ${action}`,
    });
  }

  #stop(call: ToolCall, cause: CleanupReason, reason: unknown): void {
    if (call.ended || call.stopReason !== undefined) return;
    call.stopCause = cause;
    call.stop(reason);
    // Recovery is judged by the first call admitted from now on, however late this one ends.
    const tool = this.#tools.get(call.toolName);
    if (tool !== undefined) tool.recoveryPending ??= { survived: 0, after: this.#nextId };
  }

  #stopAll(calls: Iterable<ToolCall>, cause: CleanupReason, reason: (call: ToolCall) => unknown): number {
    let stopped = 0;
    for (const call of [...calls]) {
      if (call.ended || call.stopReason !== undefined) continue;
      this.#stop(call, cause, reason(call));
      stopped++;
    }
    return stopped;
  }

  #emergencyTool(tool: ToolRecord, ctx: ChangeContext, reasonFor: (call: ToolCall) => unknown): void {
    if (tool.breaker !== undefined && !tool.breaker.halfOpen) return;
    const now = this.#o.clock.now();
    const { coolDownMs: base, maxCoolDownMs } = this.#o.emergency;
    const coolDownMs = tool.breaker === undefined ? base : Math.min(tool.breaker.coolDownMs * 2, maxCoolDownMs);
    const snapshot = this.#snapshotFor(ctx.call, tool);
    tool.breaker = { reopensAt: now + coolDownMs, coolDownMs, halfOpen: false, probe: undefined };
    tool.deactivatedBy = 'emergency';
    const stoppedCalls = this.#stopAll(tool.calls, 'emergency', reasonFor);
    tool.recoveryPending ??= { survived: 0, after: this.#nextId };
    this.#updateState(tool, 'emergency');
    const resource = LIMITED_RESOURCE[ctx.limitName];
    this.#events.emit('emergency', {
      scope: ctx.scope,
      tool: tool.name,
      sessionId: ctx.sessionId,
      resource,
      usage: ctx.value,
      limit: ctx.limit,
      coolDownMs,
      stoppedCalls,
    });
    this.#audit({
      action: 'emergency',
      tool: tool.name,
      callId: ctx.call?.callId,
      scope: ctx.scope,
      level: 'emergency',
      resource,
      detail: `tool deactivated for ${coolDownMs} ms; ${stoppedCalls} calls stopped`,
      snapshot,
    });
    this.#ensureTick(tool.breaker.reopensAt);
  }

  #emergencyScope(ctx: ChangeContext, reasonFor: (call: ToolCall) => unknown): void {
    const now = this.#o.clock.now();
    const { coolDownMs } = this.#o.emergency;
    const record = ctx.scope === 'process' ? this.#process : this.#sessions.get(ctx.sessionId ?? '');
    if (record === undefined) return;
    record.blockedUntil = now + coolDownMs;
    // The process's calls are all calls in flight (the process record keeps no set of its own).
    const stoppedCalls = this.#stopAll(ctx.scope === 'process' ? this.#inFlight : record.calls, 'emergency', reasonFor);
    const resource = LIMITED_RESOURCE[ctx.limitName];
    const entry: Omit<AuditEntry, 'time'> = {
      action: 'emergency',
      scope: ctx.scope,
      sessionId: ctx.sessionId,
      level: 'emergency',
      resource,
      detail: `${ctx.scope} calls refused for ${coolDownMs} ms; ${stoppedCalls} calls stopped`,
      snapshot: this.#snapshotFor(undefined, undefined),
    };
    this.#audit(entry);
    this.#events.emit('emergency', {
      scope: ctx.scope,
      tool: undefined,
      sessionId: ctx.sessionId,
      resource,
      usage: ctx.value,
      limit: ctx.limit,
      coolDownMs,
      stoppedCalls,
    });
    if (ctx.scope === 'process' && this.#o.emergency.exitProcess) {
      try {
        writeSync(
          2,
          `${JSON.stringify({ time: Date.now(), ...entry, detail: `${entry.detail}; exiting with code ${this.#o.emergency.exitCode}` })}\n`,
        );
      } finally {
        process.exit(this.#o.emergency.exitCode);
      }
    }
  }

  #halfOpen(tool: ToolRecord): void {
    const breaker = tool.breaker;
    if (breaker === undefined) return;
    breaker.halfOpen = true;
    breaker.probe = undefined;
    if (tool.deactivatedBy === 'emergency') tool.deactivatedBy = undefined;
    this.#updateState(tool, 'half_open');
  }

  // ---------------------------------------------------------------- end of call, cleanup, recovery

  #finish(call: ToolCall, outcome: CallOutcome): CallRecord {
    const now = this.#o.clock.now();
    for (const source of this.#sources) {
      if (source.callEnded === undefined) continue;
      try {
        source.callEnded(call);
      } catch (error) {
        this.reportInternalError(`source:${source.name}`, error);
      }
    }
    const { usage, peak } = call.endSnapshot(now);
    if (call.holdsHandles) {
      // Handles that are not the call's to close (unref'd timers, pooled sockets) leave with it, untouched.
      for (const handle of call.handles.list()) {
        try {
          if (handle.closer.isShared?.() === true) call.releaseHandle(handle);
        } catch (error) {
          this.reportInternalError('finish:isShared', error);
        }
      }
    }
    const tool = this.#tools.get(call.toolName);
    const session = call.sessionId === undefined ? undefined : this.#sessions.get(call.sessionId);
    this.#inFlight.delete(call);
    // A handler that outlives its call is watched against the time limit, up to the emergency level.
    if (call.handlerRunning && call.limits.maxExecutionTimeMs !== undefined) this.#orphans.add(call);
    const held = call.holdsHandles ? call.handles.countByKind() : NO_HANDLES;
    // The call's own temp dir is removed at its end by contract: held, but not a leak.
    const { temp_dir: _tempDir, ...leaked } = held;
    const leakedAny = Object.keys(leaked).length > 0;
    const record: CallRecord = {
      callId: call.callId,
      toolName: call.toolName,
      sessionId: call.sessionId,
      requestId: call.requestId,
      outcome,
      usage,
      peak,
      leaked,
      startedAt: call.startedAt,
      endedAt: now,
    };
    try {
      if (call.trackers !== undefined && tool !== undefined) {
        for (const [name, tracker] of call.trackers) {
          if (tool.gate.unhold(tracker)) {
            this.#gateChanged(tool.gate, 'released', LIMITED_RESOURCE[name], {
              previous: tracker.level,
              level: undefined,
              samples: [],
            });
          }
        }
      }
      this.#process.gate.leave();
      if (session !== undefined) {
        session.calls.delete(call);
        session.gate.leave();
        this.#maybeDropSession(session);
      }
      if (tool !== undefined) this.#finishForTool(tool, call, record);
    } catch (error) {
      this.reportInternalError('finish', error);
    }
    if (this.#stopWatchdog !== undefined) {
      this.#recentCalls.set(call.callId, call.toolName);
      if (this.#recentCalls.size > 64) this.#recentCalls.delete(this.#recentCalls.keys().next().value as string);
    }
    this.#events.emit('call', record);
    const stopped = call.stopCause !== undefined;
    if (call.holdsHandles || stopped) {
      if (leakedAny) {
        tool?.countLeak(leaked);
        this.#emitLeak(call, outcome, leaked, false);
      }
      const reason: CleanupReason = call.stopCause ?? (leakedAny ? 'leak' : 'end');
      const mode = stopped || !leakedAny || this.#o.leaks === 'close' ? 'close' : 'report';
      call.settled = this.#track(this.#cleanup(call, reason, mode, tool, outcome));
    }
    return record;
  }

  #finishForTool(tool: ToolRecord, call: ToolCall, record: CallRecord): void {
    tool.calls.delete(call);
    tool.gate.leave();
    tool.stats.finished(record.outcome, record.usage.executionTimeMs);
    tool.history.add(record.peak);
    const failed = record.outcome === 'thrown' || record.outcome === 'timeout' || record.outcome === 'limit';
    tool.lastCallFailed = failed;
    // Recovery asks whether the tool works again: the call succeeded (what it leaks itself is a leak,
    // counted as such, not a failed recovery).
    const clean = record.outcome === 'ok';
    // Recovery: the first call after a cleanup or emergency decides.
    const breaker = tool.breaker;
    if (breaker?.probe === call) {
      tool.recoveryPending = undefined;
      if (clean) {
        tool.breaker = undefined;
        this.#recovery(tool, true, 'probe');
      } else {
        this.#recovery(tool, false, 'probe');
        const { maxCoolDownMs } = this.#o.emergency;
        breaker.coolDownMs = Math.min(breaker.coolDownMs * 2, maxCoolDownMs);
        breaker.reopensAt = record.endedAt + breaker.coolDownMs;
        breaker.halfOpen = false;
        breaker.probe = undefined;
        tool.deactivatedBy = 'emergency';
        this.#ensureTick(breaker.reopensAt);
      }
    } else if (
      tool.recoveryPending !== undefined &&
      breaker === undefined &&
      call.stopCause === undefined &&
      call.numericId > tool.recoveryPending.after
    ) {
      const pending = tool.recoveryPending;
      tool.recoveryPending = undefined;
      this.#recovery(tool, clean && pending.survived === 0, 'next_call');
    }
    // A stopped call armed recovery when it was stopped; a call that failed leaking arms it now.
    if (call.stopCause === undefined && record.outcome !== 'ok' && Object.keys(record.leaked).length > 0) {
      tool.recoveryPending ??= { survived: 0, after: this.#nextId };
    }
    this.#adapt(tool, call, record);
    if (tool.unregistered && tool.calls.size === 0) this.#tools.delete(tool.name);
    this.#updateState(tool, 'call');
  }

  #adapt(tool: ToolRecord, call: ToolCall, record: CallRecord): void {
    const adaptive = this.#o.adaptive;
    if (adaptive === undefined) return;
    const stoppedAtLimit = call.stopCause === 'limit' || call.stopCause === 'timeout' || call.stopCause === 'emergency';
    if (stoppedAtLimit) {
      tool.consecutiveCleanups++;
      if (tool.consecutiveCleanups >= adaptive.cleanupsBeforeCap) {
        const current = Number.isFinite(tool.gate.cap) ? tool.gate.cap : tool.calls.size + 1;
        tool.gate.setCap(Math.max(1, Math.floor(current / 2)));
      }
    } else if (record.outcome === 'ok') {
      tool.consecutiveCleanups = 0;
      if (Number.isFinite(tool.gate.cap))
        tool.gate.setCap(tool.gate.cap >= 64 ? Number.POSITIVE_INFINITY : tool.gate.cap + 1);
    }
    if (tool.history.count < adaptive.minSamples || tool.stats.calls % 8 !== 0) return;
    const derived: Record<string, number> = {};
    for (const [name, cap] of ToolRecord.entriesOf(tool.configured)) {
      const observed = tool.history.percentile(LIMITED_RESOURCE[name], 0.99) * adaptive.headroom;
      const floor =
        name === 'maxExecutionTimeMs'
          ? this.#o.sampling.activeMs * 2
          : name === 'maxFileHandles' || name === 'maxNetworkConnections'
            ? 1
            : 0;
      derived[name] = Math.min(cap, Math.max(observed, floor));
      if (derived[name] === 0) derived[name] = cap;
    }
    tool.setLimits(derived as ResourceLimits);
  }

  #recovery(tool: ToolRecord, success: boolean, via: 'probe' | 'next_call'): void {
    tool.recoveryAttempts++;
    if (success) tool.recoverySuccesses++;
    const rate = tool.recoverySuccesses / tool.recoveryAttempts;
    this.#events.emit('recovery', {
      tool: tool.name,
      success,
      via,
      attempts: tool.recoveryAttempts,
      successes: tool.recoverySuccesses,
      rate,
    });
    this.#audit({
      action: 'recovery',
      tool: tool.name,
      detail: `${via} ${success ? 'succeeded' : 'failed'} (rate ${rate.toFixed(3)})`,
      snapshot: this.#snapshotFor(undefined, tool),
    });
  }

  #emitLeak(
    call: ToolCall,
    outcome: CallOutcome,
    handles: Readonly<Partial<Record<HandleKind, number>>>,
    late: boolean,
  ): void {
    let total = 0;
    for (const n of Object.values(handles)) total += n ?? 0;
    this.#events.emit('leak', {
      callId: call.callId,
      tool: call.toolName,
      sessionId: call.sessionId,
      outcome,
      handles,
      total,
      late,
    });
    this.#audit({
      action: 'leak',
      tool: call.toolName,
      callId: call.callId,
      sessionId: call.sessionId,
      detail: `${late ? 'opened after the call ended' : `held at end (${outcome})`}: ${JSON.stringify(handles)}`,
    });
  }

  #lateHandle(call: ToolCall, handle: TrackedHandle): void {
    if (this.#o.leaks === 'report' && call.stopCause === undefined) return;
    // Closed after the grace period, if it is still the call's then: a connection pool that opens a
    // socket in the ended call's context (undici, after an abort) claims it within that time.
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
      this.#tools.get(call.toolName)?.countLeak({ [handle.kind]: 1 });
      this.#emitLeak(call, outcome, { [handle.kind]: 1 }, true);
      this.#track(
        this.#cleanup(call, call.stopCause ?? 'leak', 'close', this.#tools.get(call.toolName), outcome, [handle]),
      );
    }, this.#o.cleanup.graceMs);
    timer.unref();
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#cleanups.add(promise);
    void promise.finally(() => this.#cleanups.delete(promise));
    return promise;
  }

  /** Runs a cleanup outside any call context, so that nothing it does is attributed to a call. */
  #cleanup(
    call: ToolCall,
    reason: CleanupReason,
    mode: 'close' | 'report',
    tool: ToolRecord | undefined,
    outcome: CallOutcome,
    only?: TrackedHandle[],
  ): Promise<CleanupReport | undefined> {
    return callContextStorage.exit(() => this.#runCleanup(call, reason, mode, tool, outcome, only));
  }

  async #runCleanup(
    call: ToolCall,
    reason: CleanupReason,
    mode: 'close' | 'report',
    tool: ToolRecord | undefined,
    outcome: CallOutcome,
    only?: TrackedHandle[],
  ): Promise<CleanupReport | undefined> {
    try {
      const started = this.#o.clock.now();
      const snapshot = this.#snapshotFor(call, tool);
      const handles = only ?? call.handles.list();
      const result =
        mode === 'close'
          ? await closeHandles(handles, this.#o.cleanup, () => this.#o.clock.now())
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
        mode,
        durationMs: this.#o.clock.now() - started,
      };
      tool?.countCleanup(report);
      if (tool !== undefined && report.survived > 0 && outcome !== 'ok') {
        tool.recoveryPending = { survived: report.survived, after: tool.recoveryPending?.after ?? this.#nextId };
      }
      this.#events.emit('cleanup', report);
      this.#audit({
        action: 'cleanup',
        tool: call.toolName,
        callId: call.callId,
        sessionId: call.sessionId,
        usage: call.record?.usage,
        limits: call.limits,
        detail: `${reason}: closed ${report.attempted - report.survived}/${report.attempted} in ${report.durationMs.toFixed(2)} ms`,
        cleanup: report,
        snapshot,
      });
      return report;
    } catch (error) {
      this.reportInternalError('cleanup', error);
      return undefined;
    }
  }

  #snapshotFor(call: ToolCall | undefined, tool: ToolRecord | undefined): ResourceSnapshot {
    const base: { -readonly [K in keyof ResourceSnapshot]: ResourceSnapshot[K] } = {
      time: Date.now(),
      process: processSnapshot(),
    };
    if (call !== undefined) {
      base.call = {
        callId: call.callId,
        usage: call.usage(),
        handles: call.holdsHandles ? call.handles.countByKind() : NO_HANDLES,
      };
    }
    if (tool !== undefined) base.tool = { name: tool.name, inFlight: tool.calls.size };
    return base;
  }

  #audit(entry: Omit<AuditEntry, 'time'>): void {
    try {
      this.#o.auditSink.write({ time: Date.now(), ...entry });
    } catch (error) {
      this.#internalErrors++;
      this.#events.emit('internalError', { source: 'audit', error });
    }
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
