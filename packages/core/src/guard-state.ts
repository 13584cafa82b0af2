/**
 * What the parts of a guard share: its options, its records of tools, sessions and calls, its events and
 * its audit. Internal: the sampler, the limit responder and the call finisher each get the one instance.
 */

import { AdmissionGate, type GateScope } from './admission-gate.js';
import type { AuditEntry } from './audit-log.js';
import type { EventHub } from './event-hub.js';
import type { GuardEvents } from './guard-events.js';
import type { AggregateLimits } from './guard-limits.js';
import type { ResolvedGuardOptions } from './guard-options.js';
import type { HandleKind } from './handle-kind.js';
import type { LeakPolicy } from './leak-policy.js';
import type { LevelTracker } from './level-tracker.js';
import type { RecentCalls } from './recent-calls.js';
import type { LimitName, ResourceLimits } from './resource-limits.js';
import { processSnapshot, type ResourceSnapshot } from './resource-snapshot.js';
import type { TrackedCall } from './tool-call.js';
import type { RecoveryVerdict } from './tool-lifecycle.js';
import { ToolRecord } from './tool-record.js';
import type { ToolState } from './tool-state.js';
import type { UsageSource } from './usage-source.js';

/** A scope other than a tool (a session, the process): its calls, level trackers, gate and block. */
export interface ScopeRecord {
  readonly key: string;
  readonly calls: Set<TrackedCall>;
  readonly trackers: Map<LimitName, LevelTracker>;
  readonly gate: AdmissionGate;
  /** Clock time until which new calls are refused after an emergency in this scope. */
  blockedUntil: number;
}

/** Past this many distinct tools, calls of further unknown tools are counted under one name. */
const MAX_TOOLS = 10_000;
const OTHER_TOOLS = '(other)';
/** An empty handle count. */
export const NO_HANDLES: Readonly<Partial<Record<HandleKind, number>>> = Object.freeze({});

/** The guard's shared state and the small operations on it that every part uses. */
export class GuardState {
  readonly o: ResolvedGuardOptions;
  readonly events: EventHub<GuardEvents>;
  readonly tools: Map<string, ToolRecord> = new Map();
  readonly sessions: Map<string, ScopeRecord> = new Map();
  readonly process: ScopeRecord;
  readonly inFlight: Set<TrackedCall> = new Set();
  /** Calls that ended while their handler runs on, watched against the time limit. */
  readonly orphans: Set<TrackedCall> = new Set();
  /** Built-in and configured usage sources, sampled in this order. */
  sources: readonly UsageSource<TrackedCall>[] = [];
  /** The last calls to end (id → tool), kept while the watchdog runs: a block is reported after its call ended. */
  recentCalls: RecentCalls | undefined;
  /** The id of the last call admitted (ids are increasing numbers). */
  nextId = 0;
  internalErrors = 0;
  closed = false;
  /** Makes sure a sampling tick happens no later than the given clock time (set by the sampler). */
  wake: (at: number) => void = () => {};

  /**
   * @param o - the resolved options
   * @param events - the guard's event hub
   */
  constructor(o: ResolvedGuardOptions, events: EventHub<GuardEvents>) {
    this.o = o;
    this.events = events;
    this.process = this.scopeRecord('process', 'process');
  }

  /**
   * The per-call limits the owner configured for a tool: the defaults, replaced key by key by the
   * tool's entry in `tools` (exact name first, then the first matching pattern).
   *
   * @param toolName - the tool
   * @returns its configured per-call limits
   */
  limitsFor(toolName: string): ResourceLimits {
    const own = this.o.tools.get(toolName)?.perCall;
    return own === undefined ? this.o.perCall : { ...this.o.perCall, ...own };
  }

  /**
   * The limits on a tool's calls together: `limits.perTool`, replaced key by key by the tool's entry in
   * `tools`.
   *
   * @param toolName - the tool
   * @returns its aggregate limits
   */
  aggregateFor(toolName: string): AggregateLimits {
    const own = this.o.tools.get(toolName)?.perTool;
    return own === undefined ? this.o.perTool : { ...this.o.perTool, ...own };
  }

  /**
   * The leak policy of a tool: its entry in `leaks.tools` (exact name first, then the first matching pattern),
   * else `leaks.default`.
   *
   * @param toolName - the tool
   * @returns close or report
   */
  leakPolicyFor(toolName: string): LeakPolicy {
    return this.o.leaks.tools.get(toolName) ?? this.o.leaks.default;
  }

  /**
   * Records a failure inside the guard (or middleware) that was caught so the tool call could go on.
   *
   * @param source - where it happened
   * @param error - what was thrown
   */
  reportInternalError(source: string, error: unknown): void {
    this.internalErrors++;
    try {
      this.o.auditSink.write({
        time: Date.now(),
        action: 'internal_error',
        detail: `${source}: ${error instanceof Error ? error.message : String(error)}`,
      });
    } catch {
      // The sink itself failed; the counter above still tells.
    }
    if (source !== 'listener:internalError') this.events.emit('internalError', { source, error });
  }

  scopeRecord(scope: GateScope, key: string): ScopeRecord {
    const limits = scope === 'process' ? this.o.process : this.o.perSession;
    return {
      key,
      calls: new Set(),
      trackers: new Map(),
      gate: new AdmissionGate(scope, key, this.o.throttle, this.o.scheduler, limits.maxConcurrentCalls),
      blockedUntil: Number.NEGATIVE_INFINITY,
    };
  }

  toolRecord(name: string, registering: boolean): ToolRecord | undefined {
    let tool = this.tools.get(name);
    if (tool !== undefined) return tool;
    if (!registering && this.tools.size >= MAX_TOOLS) {
      tool = this.tools.get(OTHER_TOOLS);
      if (tool !== undefined) return tool;
      name = OTHER_TOOLS;
    }
    const aggregate = this.aggregateFor(name);
    const record = new ToolRecord({
      name,
      limits: this.limitsFor(name),
      aggregate,
      gate: new AdmissionGate('tool', name, this.o.throttle, this.o.scheduler, aggregate.maxConcurrentCalls),
      historySize: this.o.historySize,
      coolDown: this.o.emergency,
      onRecovery: (verdict) => this.#recovered(record, verdict),
    });
    tool = record;
    this.tools.set(name, tool);
    return tool;
  }

  sessionRecord(id: string): ScopeRecord {
    let session = this.sessions.get(id);
    if (session === undefined) {
      session = this.scopeRecord('session', id);
      this.sessions.set(id, session);
    }
    return session;
  }

  maybeDropSession(session: ScopeRecord): void {
    const now = this.o.clock.now();
    if (session.calls.size === 0 && session.gate.queued === 0 && session.blockedUntil <= now) {
      for (const tracker of session.trackers.values()) session.gate.unhold(tracker);
      this.sessions.delete(session.key);
    }
  }

  updateState(tool: ToolRecord, reason: string): void {
    const from = tool.lifecycle.settle(tool.calls.size);
    if (from === undefined) return;
    const to = tool.state;
    // Per-call changes (active, idle, error) are in snapshots; events and audit report the lifecycle.
    const lifecycle = to === 'deactivated' || from === 'deactivated' || to === 'unregistered';
    if (lifecycle) this.stateChanged(tool, from, to, reason);
  }

  stateChanged(tool: ToolRecord, from: ToolState, to: ToolState, reason: string): void {
    this.events.emit('state', { tool: tool.name, from, to, reason });
    this.audit({ action: 'state', tool: tool.name, detail: `${from} -> ${to} (${reason})` });
  }

  snapshotFor(call: TrackedCall | undefined, tool: ToolRecord | undefined): ResourceSnapshot {
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

  audit(entry: Omit<AuditEntry, 'time'>): void {
    try {
      this.o.auditSink.write({ time: Date.now(), ...entry });
    } catch (error) {
      this.internalErrors++;
      this.events.emit('internalError', { source: 'audit', error });
    }
  }

  /**
   * Reports a recovery check a tool's lifecycle decided (and counted), with its event and audit entry.
   */
  #recovered(tool: ToolRecord, { success, via }: RecoveryVerdict): void {
    const { attempts, successes } = tool.lifecycle.recovery;
    const rate = successes / attempts;
    this.events.emit('recovery', { tool: tool.name, success, via, attempts, successes, rate });
    this.audit({
      action: 'recovery',
      tool: tool.name,
      detail: `${via} ${success ? 'succeeded' : 'failed'} (rate ${rate.toFixed(3)})`,
      snapshot: this.snapshotFor(undefined, tool),
    });
  }
}
