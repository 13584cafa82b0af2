/**
 * The guard: one per server (or shared by many), the owner of every call's tracking, limits and cleanup.
 * This file is its public face: configuration, the tool lifecycle, admission, sessions, observation and
 * close. The work is done by its parts, which share one `GuardState`: the `Sampler` (usage and limits,
 * at the lifecycle-driven rate), the `LimitResponder` (graduated responses) and the `CallFinisher` (end
 * of call, cleanup, recovery).
 */

import { Admission, registerAdmission } from './admission.js';
import type { AuditEntry } from './audit-log.js';
import { callContextStorage, noteGuardCreated } from './call-context.js';
import { CallFinisher } from './call-finisher.js';
import { closeHandles } from './cleanup.js';
import { ErrorCode, ResourceGuardError } from './errors.js';
import { EventHub } from './event-hub.js';
import { logGuardEvents } from './event-log.js';
import { guardClosedError, toolDeactivatedError } from './guard-errors.js';
import type { GuardEvents } from './guard-events.js';
import { type ResourceGuardOptions, resolveGuardOptions, validateLimits } from './guard-options.js';
import { announceGuard, forgetGuard, registeredGuards } from './guard-registry.js';
import { GuardState } from './guard-state.js';
import { closerFor } from './handle-closers.js';
import { HandleRegistry } from './handle-registry.js';
import { LimitResponder } from './limit-responder.js';
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
import { RecentCalls } from './recent-calls.js';
import { RefusalPacer } from './refusal-pacer.js';
import { narrowLimits, type ResourceLimits } from './resource-limits.js';
import type { ResourceUsage } from './resource-usage.js';
import { Sampler } from './sampler.js';
import type { CallOwner, StartCallInit, ToolCall, TrackedCall } from './tool-call.js';
import type { ToolSnapshot } from './tool-record.js';
import type { ToolState } from './tool-state.js';
import type { UsageSource } from './usage-source.js';

/**
 * A point-in-time copy of the guard's state.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type GuardSnapshot } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * // The body of a health endpoint.
 * function health(s: GuardSnapshot) {
 *   const deactivated = Object.entries(s.tools).filter(([, tool]) => tool.state === 'deactivated');
 *   return {
 *     ok: !s.closed && !s.processThrottled,
 *     inFlight: s.inFlight,
 *     deactivated: deactivated.map(([name]) => name),
 *     internalErrors: s.internalErrors,
 *   };
 * }
 * console.error(health(guard.snapshot()));
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
  /** The task-augmented calls in flight (counted in `inFlight` too), oldest first. */
  readonly tasks: readonly TaskSnapshot[];
}

/**
 * A task-augmented call in flight, in {@link GuardSnapshot.tasks}: a call answered with its task while its work
 * goes on, tracked until the task's terminal status.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type TaskSnapshot } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * const describe = (t: TaskSnapshot) => `${t.taskId} (${t.toolName}): ${t.usage.executionTimeMs.toFixed(0)} ms`;
 * for (const task of guard.snapshot().tasks) console.error(describe(task));
 * ```
 */
export interface TaskSnapshot {
  readonly taskId: string;
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  /** When the call was admitted, on the guard's clock (milliseconds). */
  readonly startedAt: number;
  /** What the call has used so far. */
  readonly usage: ResourceUsage;
}

/**
 * Options of {@link ResourceGuard.registerTool}.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type RegisterToolOptions } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 30_000, maxFileHandles: 64 } } });
 * // What the tool's author knows it needs; it can only narrow what the owner allows.
 * const options: RegisterToolOptions = { limits: { maxFileHandles: 4 } };
 * guard.registerTool('read_file', options);
 * guard.snapshot().tools.read_file?.limits; // { maxFileHandles: 4, maxExecutionTimeMs: 30000 }
 * ```
 */
export interface RegisterToolOptions {
  /** The tool's own declared limits; they may narrow, never widen, what the owner configured. */
  readonly limits?: ResourceLimits;
}

/**
 * Tracks tool calls, holds them against limits with graduated responses, cleans up what they leave
 * open, and reports what they used. Create it with {@link createResourceGuard}; the SDK middleware
 * creates one for you.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 10_000 } } });
 * const call = await guard.admit({ toolName: 'echo' });
 * const value = await call.run(async () => 'hello');
 * call.end('ok');
 * console.error(guard.snapshot().tools.echo?.calls); // 1
 * ```
 */
export class ResourceGuard {
  readonly #s: GuardState;
  readonly #responder: LimitResponder;
  readonly #pacer: RefusalPacer;
  readonly #sampler: Sampler;
  readonly #finisher: CallFinisher;
  readonly #admission: Admission;
  readonly #releaseProbes: () => void;
  readonly #stopWatchdog: (() => void) | undefined;
  readonly #tempDirs = new WeakMap<TrackedCall, string>();
  readonly #shared = new HandleRegistry();
  readonly #announced: WeakRef<object>;
  #tempRoot: string | undefined;

  /**
   * @param options - validated here; invalid options throw before anything is created
   */
  constructor(options?: ResourceGuardOptions) {
    const o = resolveGuardOptions(options);
    noteGuardCreated();
    const events = new EventHub<GuardEvents>((error, event) =>
      this.#s.reportInternalError(`listener:${String(event)}`, error),
    );
    this.#s = new GuardState(o, events);
    if (o.logger !== undefined) logGuardEvents(events, o.logger);
    this.#responder = new LimitResponder(this.#s);
    this.#pacer = new RefusalPacer(
      this.#s.o.throttle.refusalDelayMs,
      this.#s.o.throttle.maxHeldRefusals,
      this.#s.o.scheduler,
    );
    this.#sampler = new Sampler(this.#s, this.#responder);
    this.#finisher = new CallFinisher(this.#s, this.#responder);
    const owner: CallOwner = {
      now: () => o.clock.now(),
      finish: (call, outcome) => this.#finisher.finish(call, outcome),
      lateHandle: (call, handle) => this.#finisher.lateHandle(call, handle),
      handlerSettled: (call) => {
        this.#s.orphans.delete(call);
        this.#sampler.handlerSettled(call);
      },
      tempDir: (call) => this.#tempDir(call),
      leakPolicy: (call) => this.#s.leakPolicyFor(call.toolName),
      cancel: (call, reason) => this.#responder.stop(call, 'cancelled', reason),
      hardLimit: (call, limitName, value) => this.#sampler.hardLimit(call, limitName, value),
    };
    this.#admission = new Admission(this.#s, owner, this.#pacer);
    registerAdmission(this, this.#admission);
    this.#releaseProbes = acquireProbes(o.probes);
    this.#stopWatchdog =
      o.watchdog === undefined
        ? undefined
        : watchLoop(
            o.watchdog,
            (block) => this.#blocked(block),
            (error) => this.#s.reportInternalError('watchdog', error),
          );
    if (this.#stopWatchdog !== undefined) this.#s.recentCalls = new RecentCalls();
    const builtIn: UsageSource<TrackedCall>[] = [];
    if (o.probes.cpu) builtIn.push(cpuPercentSource());
    if (o.probes.memory) builtIn.push(memorySource({ children: o.probes.processes }));
    builtIn.push(tempStorageSource((call) => this.#tempDirs.get(call)));
    this.#s.sources = [...builtIn, ...o.sources];
    this.#announced = announceGuard(this);
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
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard({
   *   limits: { perCall: { maxExecutionTimeMs: 30_000 } },
   *   tools: { heavy: { perCall: { maxMemoryMb: 512 } } },
   * });
   * guard.limitsFor('heavy'); // { maxExecutionTimeMs: 30000, maxMemoryMb: 512 }
   * guard.limitsFor('search'); // { maxExecutionTimeMs: 30000 }
   * ```
   */
  limitsFor(toolName: string): ResourceLimits {
    return this.#s.limitsFor(toolName);
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
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
   * // The tool declares a tighter limit of its own (a looser one would not widen the owner's).
   * guard.registerTool('search', { limits: { maxExecutionTimeMs: 5000 } });
   * guard.toolState('search'); // 'registered'
   * ```
   */
  registerTool(name: string, options: RegisterToolOptions = {}): void {
    const declared =
      options.limits === undefined ? undefined : validateLimits(options.limits, `tools.${name}.declared`);
    const tool = this.#s.toolRecord(name, true);
    if (tool === undefined) return;
    const configured =
      declared === undefined ? this.#s.limitsFor(name) : narrowLimits(this.#s.limitsFor(name), declared);
    tool.configure(configured);
    const fresh = tool.lifecycle.register();
    this.#s.updateState(tool, 'registered');
    if (fresh) this.#s.stateChanged(tool, 'unregistered', tool.state, 'registered');
    this.#s.wake(this.#s.o.clock.now() + this.#s.o.sampling.idleMs);
  }

  /**
   * Activates a tool the owner had deactivated (specification: activation).
   *
   * @param name - the tool
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * guard.registerTool('deploy');
   * guard.disableTool('deploy'); // e.g. for a maintenance window
   * guard.enableTool('deploy'); // calls are admitted again
   * ```
   */
  enableTool(name: string): void {
    const tool = this.#s.tools.get(name);
    if (tool === undefined || !tool.lifecycle.reactivate()) return;
    this.#s.updateState(tool, 'owner');
  }

  /**
   * Deactivates a tool (specification: deactivation): new calls are refused, calls in flight are
   * stopped and cleaned up, and tracking goes on at the deactivated rate.
   *
   * @param name - the tool
   * @example
   * ```ts
   * import { createResourceGuard, ResourceGuardError } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * guard.registerTool('deploy');
   * guard.disableTool('deploy');
   * await guard.admit({ toolName: 'deploy' }).catch((e: unknown) => {
   *   if (ResourceGuardError.is(e)) console.error(e.code); // 'TOOL_DEACTIVATED'
   * });
   * ```
   */
  disableTool(name: string): void {
    const tool = this.#s.tools.get(name);
    if (tool === undefined || !tool.lifecycle.deactivate()) return;
    this.#responder.stopAll(tool.calls, 'deactivated', () => toolDeactivatedError(tool.name, 'owner'));
    this.#s.updateState(tool, 'owner');
  }

  /**
   * Unregisters a tool (specification: unregistration): calls in flight are stopped and cleaned up,
   * and tracking stops.
   *
   * @param name - the tool
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * guard.registerTool('search');
   * guard.unregisterTool('search'); // its calls in flight are stopped and cleaned up
   * guard.toolState('search'); // undefined: no longer tracked
   * ```
   */
  unregisterTool(name: string): void {
    const tool = this.#s.tools.get(name);
    if (tool === undefined || !tool.lifecycle.unregister()) return;
    this.#responder.stopAll(tool.calls, 'unregistered', () => toolDeactivatedError(tool.name, 'removed'));
    tool.gate.drain(this.#admission.removed(tool.name));
    this.#s.updateState(tool, 'unregistered');
    if (tool.calls.size === 0) this.#s.tools.delete(name);
  }

  /**
   * The lifecycle state of a tool.
   *
   * @param name - the tool
   * @returns its state, or undefined for a tool the guard does not know
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * guard.registerTool('search');
   * guard.toolState('search'); // 'registered'
   * if (guard.toolState('search') === 'deactivated') console.error('search is cooling down after an emergency');
   * ```
   */
  toolState(name: string): ToolState | undefined {
    return this.#s.tools.get(name)?.state;
  }

  /**
   * Admits a call: checks the process, session and tool gates (waiting in a bounded queue while
   * throttled), then starts tracking it. The caller must end it with {@link ToolCall.end} on every path.
   *
   * @param init - what is known about the call
   * @returns the call
   * @throws {@link ResourceGuardError} `THROTTLED` or `TOOL_DEACTIVATED` (with `data.retryAfterMs`) when
   *   the call is refused (a refusal made at once, not after a wait in the queue, is delivered after
   *   `throttle.refusalDelayMs`, or as soon as `init.signal` aborts), `GUARD_CLOSED` after
   *   {@link ResourceGuard.close}
   * @example
   * ```ts
   * import { createResourceGuard, ResourceGuardError } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 5000 } } });
   * const request = new AbortController(); // the transport's: client cancel, transport close
   * try {
   *   const call = await guard.admit({ toolName: 'echo', sessionId: 's1', requestId: 7, signal: request.signal });
   *   call.end('ok');
   * } catch (e) {
   *   // THROTTLED or TOOL_DEACTIVATED, with a retry-after hint
   *   if (ResourceGuardError.is(e)) console.error(e.code, e.data?.retryAfterMs);
   * }
   * ```
   */
  admit(init: StartCallInit): Promise<ToolCall> {
    return this.#admission.admit(init);
  }

  /**
   * Ends a session: its calls in flight are stopped (their cleanup runs when they end) and its
   * per-session state is dropped.
   *
   * @param sessionId - the session
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard({ limits: { perSession: { maxNetworkConnections: 20 } } });
   * const call = await guard.admit({ toolName: 'crawl', sessionId: 'session-1' });
   * // The client disconnected: its calls are stopped (and cleaned up as they end), the session forgotten.
   * guard.endSession('session-1');
   * call.signal.aborted; // true
   * ```
   */
  endSession(sessionId: string): void {
    const session = this.#s.sessions.get(sessionId);
    if (session === undefined) return;
    this.#responder.stopAll(
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
    if (session.calls.size === 0) this.#s.sessions.delete(sessionId);
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
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 256 } } });
   * const off = guard.on('limit', (e) => console.error(e.tool, e.resource, e.level));
   * // ... later
   * off();
   * ```
   */
  on<K extends keyof GuardEvents>(event: K, listener: (payload: GuardEvents[K]) => void): () => void {
    return this.#s.events.on(event, listener);
  }

  /**
   * A point-in-time copy of the guard's state.
   *
   * @returns the snapshot
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * const { tools, inFlight } = guard.snapshot();
   * console.error(`${inFlight} calls in flight`);
   * console.table(Object.entries(tools).map(([name, t]) => ({ name, state: t.state, calls: t.calls })));
   * ```
   */
  snapshot(): GuardSnapshot {
    const now = this.#s.o.clock.now();
    const tools: Record<string, ToolSnapshot> = {};
    for (const [name, tool] of this.#s.tools) tools[name] = tool.snapshot(now);
    return {
      tools,
      inFlight: this.#s.inFlight.size,
      orphanedHandlers: this.#s.orphans.size,
      sessions: this.#s.sessions.size,
      processThrottled: this.#s.process.gate.throttled,
      internalErrors: this.#s.internalErrors,
      closed: this.#s.closed,
      tasks: this.#taskSnapshots(),
    };
  }

  #taskSnapshots(): TaskSnapshot[] {
    const tasks: TaskSnapshot[] = [];
    for (const call of this.#s.inFlight) {
      const taskId = call.taskId;
      if (taskId === undefined) continue;
      const { callId, toolName, sessionId, startedAt } = call;
      tasks.push({ taskId, callId, toolName, sessionId, startedAt, usage: call.usage() });
    }
    return tasks;
  }

  /**
   * The audit entries kept by the default in-memory sink, oldest first (empty with a custom sink).
   *
   * @returns the entries
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * for (const e of guard.audit()) console.error(new Date(e.time).toISOString(), e.action, e.tool, e.detail);
   * ```
   */
  audit(): AuditEntry[] {
    return this.#s.o.memoryAudit?.entries() ?? [];
  }

  /**
   * Runs one sampling pass now, in addition to the periodic ones (tests and benchmarks use it).
   *
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * // In a test with a clock of its own: sample at a chosen time instead of waiting for the timer.
   * let now = 0;
   * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 100 } }, clock: { now: () => now } });
   * const call = await guard.admit({ toolName: 'slow' });
   * now = 120;
   * guard.sampleNow();
   * call.signal.aborted; // true: stopped at its execution-time limit
   * ```
   */
  sampleNow(): void {
    this.#sampler.sampleNow(this.#s.o.clock.now(), true);
  }

  /**
   * Records a failure inside the guard (or middleware) that was caught so the tool call could go on.
   *
   * @param source - where it happened
   * @param error - what was thrown
   * @example
   * ```ts
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * guard.on('internalError', ({ source, error }) => console.error(`guard failure in ${source}:`, error));
   * // In an integration of your own: a failure of the tracking is reported, never thrown into the call.
   * try {
   *   guard.share(Object.create(null)); // not something the guard can close
   * } catch (error) {
   *   guard.reportInternalError('my-integration:share', error);
   * }
   * guard.snapshot().internalErrors; // 1
   * ```
   */
  reportInternalError(source: string, error: unknown): void {
    this.#s.reportInternalError(source, error);
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
   * import { Agent } from 'node:https';
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * // One keep-alive pool for every call: never closed by a call's cleanup, closed by guard.close().
   * const agent = guard.share(new Agent({ keepAlive: true, maxSockets: 16 }));
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
   * import { createResourceGuard } from '@mcp-resource-guard/core';
   * const guard = createResourceGuard();
   * process.once('SIGTERM', async () => {
   *   await guard.close(); // calls in flight stopped and cleaned up, shared resources closed
   *   process.exit(0);
   * });
   * ```
   */
  async close(): Promise<void> {
    if (this.#s.closed) return;
    this.#s.closed = true;
    forgetGuard(this.#announced);
    this.#sampler.stop();
    this.#responder.stopAll(this.#s.inFlight, 'closed', () => guardClosedError());
    const error = guardClosedError();
    this.#s.process.gate.drain(error);
    for (const session of this.#s.sessions.values()) session.gate.drain(error);
    for (const tool of this.#s.tools.values()) tool.gate.drain(error);
    this.#pacer.releaseAll();
    for (const source of this.#s.sources) {
      try {
        await source.close?.();
      } catch (e) {
        this.#s.reportInternalError(`source:${source.name}`, e);
      }
    }
    this.#releaseProbes();
    this.#stopWatchdog?.();
    await this.#finisher.settled();
    if (this.#tempRoot !== undefined) removeTempRootIfEmpty(this.#tempRoot);
    if (this.#shared.size > 0) {
      await callContextStorage.exit(() =>
        closeHandles(this.#shared.list(), this.#s.o.cleanup, () => this.#s.o.clock.now()),
      );
    }
  }

  #blocked(block: LoopBlock): void {
    let tool: string | undefined;
    if (block.callId !== undefined) {
      tool = this.#s.recentCalls?.toolOf(block.callId);
      for (const set of [this.#s.inFlight, this.#s.orphans]) {
        for (const call of set) if (call.callId === block.callId) tool = call.toolName;
      }
    }
    this.#s.events.emit('blocked', { durationMs: block.durationMs, callId: block.callId, tool });
    this.#s.audit({
      action: 'blocked_loop',
      tool,
      callId: block.callId,
      detail: `event loop blocked about ${block.durationMs} ms`,
      snapshot: this.#s.snapshotFor(undefined, undefined),
    });
  }

  #tempDir(call: TrackedCall): string {
    const existing = this.#tempDirs.get(call);
    if (existing !== undefined) return existing;
    if (call.ended) {
      throw new ResourceGuardError({
        code: ErrorCode.NoCallContext,
        message: `tempDir() was called after call ${call.callId} ended`,
        hint: 'Create temp files while the call runs; the directory is removed when it ends.',
      });
    }
    // Checked at every call (created the first time, and again if another guard's close() removed it):
    // a root swapped for a link or opened to other users is refused (see prepareTempRoot).
    const root = prepareTempRoot(this.#s.o.tempRoot, this.#tempRoot);
    this.#tempRoot = root;
    const dir = createCallTempDir(root, call.callId);
    this.#tempDirs.set(call, dir);
    call.addHandle('temp_dir', tempDirCloser(dir, root), dir);
    return dir;
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
 * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * ```
 */
export function createResourceGuard(options?: ResourceGuardOptions): ResourceGuard {
  return new ResourceGuard(options);
}

/**
 * Every guard alive in the process and not yet closed, oldest first, whichever copy of this package made it (a
 * guard of another copy is of that copy's class: use its methods, not `instanceof`). Held weakly: a guard nobody
 * references leaves the list with the garbage collector. New guards are also published on
 * `GUARD_CREATED_CHANNEL` as they are made; an observer that subscribes there and then reads this list sees
 * every guard, made before it or after.
 *
 * @returns the guards
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { createResourceGuard, GUARD_CREATED_CHANNEL, liveGuards, type ResourceGuard } from '@mcp-resource-guard/core';
 * const early = createResourceGuard();
 * const watch = (guard: ResourceGuard) => guard.on('call', (r) => console.error(r.toolName, r.outcome));
 * subscribe(GUARD_CREATED_CHANNEL, (message) => watch((message as { guard: ResourceGuard }).guard));
 * for (const guard of liveGuards()) watch(guard); // early, made before the subscription
 * ```
 */
export function liveGuards(): ResourceGuard[] {
  return registeredGuards() as ResourceGuard[];
}
