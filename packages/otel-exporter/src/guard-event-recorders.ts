/**
 * From each guard event to its measurements. Pure functions of (instruments, event): the attributes
 * are the tool name and closed enums only; ids carried by the events (session, call, request, gate key)
 * are never read.
 */

import type {
  BlockedEvent,
  CallRecord,
  CleanupReport,
  EmergencyEvent,
  HandleKind,
  InternalErrorEvent,
  LeakEvent,
  LimitEvent,
  RecoveryEvent,
  ThrottleEvent,
} from '@mcp-resource-guard/core';
import { levelRank } from '@mcp-resource-guard/core/internal';
import type { Attributes, Counter } from '@opentelemetry/api';
import {
  ATTR_CLEANUP_MODE,
  ATTR_CLEANUP_REASON,
  ATTR_HANDLE_KIND,
  ATTR_INTERNAL_ERROR_SOURCE,
  ATTR_LIMIT_LEVEL,
  ATTR_RECOVERY_OUTCOME,
  ATTR_RECOVERY_VIA,
  ATTR_RESOURCE,
  ATTR_SCOPE,
  ATTR_THROTTLE_ACTION,
} from './attribute-names.js';
import { errorTypeOf, internalErrorSourceOf, RESOURCE_ATTRIBUTE_VALUES } from './attribute-values.js';
import type { GuardInstruments } from './guard-instruments.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_METHOD_TOOLS_CALL,
} from './semantic-conventions.js';

const BYTES_PER_MIB = 1024 * 1024;

/** `{ gen_ai.tool.name }`, or no attribute when the event names no tool. */
function toolAttributes(tool: string | undefined): Attributes {
  return tool === undefined ? {} : { [ATTR_GEN_AI_TOOL_NAME]: tool };
}

/** Adds one count per handle kind to `counter`. */
function addByKind(
  counter: Counter,
  byKind: Readonly<Partial<Record<HandleKind, number>>>,
  attributes: Attributes,
): void {
  for (const [kind, n] of Object.entries(byKind)) {
    if (typeof n === 'number' && n > 0) counter.add(n, { ...attributes, [ATTR_HANDLE_KIND]: kind });
  }
}

/**
 * A finished call: `mcp.server.operation.duration` and the per-call resource histograms.
 *
 * @param i - the instruments
 * @param record - the `call` event
 * @example
 * ```ts
 * guard.on('call', (r) => recordCall(instruments, r));
 * ```
 */
export function recordCall(i: GuardInstruments, record: CallRecord): void {
  const errorType = errorTypeOf(record.outcome);
  const perCall: Attributes = { [ATTR_GEN_AI_TOOL_NAME]: record.toolName };
  if (errorType !== undefined) perCall[ATTR_ERROR_TYPE] = errorType;
  i.operationDuration.record(record.usage.executionTimeMs / 1000, {
    [ATTR_MCP_METHOD_NAME]: MCP_METHOD_TOOLS_CALL,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
    ...perCall,
  });
  i.callCpuTime.record(record.usage.cpuTimeMs / 1000, perCall);
  i.callMemoryPeak.record(record.peak.memoryMb * BYTES_PER_MIB, perCall);
  i.callFileHandlesPeak.record(record.peak.fileHandles, perCall);
  i.callNetworkConnectionsPeak.record(record.peak.networkConnections, perCall);
  i.callTempStorage.record(record.usage.tempStorageMb * BYTES_PER_MIB, perCall);
}

/**
 * Handles a call still held when it ended (or opened after), by kind.
 *
 * @param i - the instruments
 * @param event - the `leak` event
 * @example
 * ```ts
 * guard.on('leak', (e) => recordLeak(instruments, e));
 * ```
 */
export function recordLeak(i: GuardInstruments, event: LeakEvent): void {
  addByKind(i.handleLeaked, event.handles, toolAttributes(event.tool));
}

/**
 * A cleanup: its count, duration, and the handles it closed or could not close. A `report`-mode
 * cleanup closes nothing by design, so its handles are not counted as failures (they are leaks).
 *
 * @param i - the instruments
 * @param report - the `cleanup` event
 * @example
 * ```ts
 * guard.on('cleanup', (r) => recordCleanup(instruments, r));
 * ```
 */
export function recordCleanup(i: GuardInstruments, report: CleanupReport): void {
  const byReason: Attributes = { ...toolAttributes(report.toolName), [ATTR_CLEANUP_REASON]: report.reason };
  i.cleanups.add(1, { ...byReason, [ATTR_CLEANUP_MODE]: report.mode });
  i.cleanupDuration.record(report.durationMs / 1000, byReason);
  addByKind(i.handleClosed, report.closed, byReason);
  if (report.mode === 'close') addByKind(i.handleCloseFailed, report.failed, byReason);
}

/**
 * A level change: counted only when a level is entered going up (warn → throttle, none → warn, ...).
 *
 * @param i - the instruments
 * @param event - the `limit` event
 * @example
 * ```ts
 * guard.on('limit', (e) => recordLimit(instruments, e));
 * ```
 */
export function recordLimit(i: GuardInstruments, event: LimitEvent): void {
  if (event.level === undefined || levelRank(event.level) <= levelRank(event.previous)) return;
  i.limitEntries.add(1, {
    ...toolAttributes(event.tool),
    [ATTR_LIMIT_LEVEL]: event.level,
    [ATTR_RESOURCE]: RESOURCE_ATTRIBUTE_VALUES[event.resource] ?? event.resource,
    [ATTR_SCOPE]: event.scope,
  });
}

/**
 * A gate throttled or released, or a call rejected. The gate's key (a session id for session gates)
 * is never an attribute; the refusal code of a rejection is `error.type`.
 *
 * @param i - the instruments
 * @param event - the `throttle` event
 * @example
 * ```ts
 * guard.on('throttle', (e) => recordThrottle(instruments, e));
 * ```
 */
export function recordThrottle(i: GuardInstruments, event: ThrottleEvent): void {
  const attributes: Attributes = {
    ...toolAttributes(event.tool),
    [ATTR_THROTTLE_ACTION]: event.action,
    [ATTR_SCOPE]: event.scope,
  };
  if (event.resource !== undefined) {
    attributes[ATTR_RESOURCE] = RESOURCE_ATTRIBUTE_VALUES[event.resource] ?? event.resource;
  }
  if (event.level !== undefined) attributes[ATTR_LIMIT_LEVEL] = event.level;
  if (event.action === 'rejected' && event.code !== undefined) attributes[ATTR_ERROR_TYPE] = event.code;
  i.throttleEvents.add(1, attributes);
}

/**
 * An emergency: a tool, session or the process deactivated.
 *
 * @param i - the instruments
 * @param event - the `emergency` event
 * @example
 * ```ts
 * guard.on('emergency', (e) => recordEmergency(instruments, e));
 * ```
 */
export function recordEmergency(i: GuardInstruments, event: EmergencyEvent): void {
  i.emergencies.add(1, {
    ...toolAttributes(event.tool),
    [ATTR_SCOPE]: event.scope,
    [ATTR_RESOURCE]: RESOURCE_ATTRIBUTE_VALUES[event.resource] ?? event.resource,
  });
}

/**
 * A recovery attempt's outcome.
 *
 * @param i - the instruments
 * @param event - the `recovery` event
 * @example
 * ```ts
 * guard.on('recovery', (e) => recordRecovery(instruments, e));
 * ```
 */
export function recordRecovery(i: GuardInstruments, event: RecoveryEvent): void {
  i.recoveries.add(1, {
    ...toolAttributes(event.tool),
    [ATTR_RECOVERY_OUTCOME]: event.success ? 'success' : 'failure',
    [ATTR_RECOVERY_VIA]: event.via,
  });
}

/**
 * A blocked event loop, with the tool whose code was running when known.
 *
 * @param i - the instruments
 * @param event - the `blocked` event
 * @example
 * ```ts
 * guard.on('blocked', (e) => recordBlocked(instruments, e));
 * ```
 */
export function recordBlocked(i: GuardInstruments, event: BlockedEvent): void {
  i.eventLoopBlocks.add(1, toolAttributes(event.tool));
}

/**
 * A failure the guard caught in itself.
 *
 * @param i - the instruments
 * @param event - the `internalError` event
 * @example
 * ```ts
 * guard.on('internalError', (e) => recordInternalError(instruments, e));
 * ```
 */
export function recordInternalError(i: GuardInstruments, event: InternalErrorEvent): void {
  i.internalErrors.add(1, { [ATTR_INTERNAL_ERROR_SOURCE]: internalErrorSourceOf(event.source) });
}
