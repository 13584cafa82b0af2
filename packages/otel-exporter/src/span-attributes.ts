/**
 * From a call, its record and the guard's events to span attributes: the MCP conventions' at the start, our own
 * (`mcp_resource_guard.*`) for usage, peaks and events. Pure functions.
 */

import type {
  CallRecord,
  CleanupReport,
  HandleKind,
  LeakEvent,
  LimitEvent,
  ThrottleEvent,
  ToolCall,
} from '@mcp-resource-guard/core';
import type { Attributes } from '@opentelemetry/api';
import {
  ATTR_CLEANUP_MODE,
  ATTR_CLEANUP_REASON,
  ATTR_LIMIT_LEVEL,
  ATTR_RESOURCE,
  ATTR_SCOPE,
  ATTR_THROTTLE_ACTION,
} from './attribute-names.js';
import { errorTypeOf, RESOURCE_ATTRIBUTE_VALUES } from './attribute-values.js';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  ATTR_MCP_PROTOCOL_VERSION,
  ATTR_MCP_SESSION_ID,
  ATTR_NETWORK_PROTOCOL_NAME,
  ATTR_NETWORK_TRANSPORT,
  ATTR_RPC_RESPONSE_STATUS_CODE,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_METHOD_TOOLS_CALL,
} from './semantic-conventions.js';
import { GUARD_SPAN_ATTRIBUTES as A, GUARD_SPAN_EVENT_ATTRIBUTES as E } from './span-names.js';

const BYTES_PER_MIB = 1024 * 1024;
/** JSON-RPC's internal error: what the SDK answers for a thrown error without a code of its own. */
const JSONRPC_INTERNAL_ERROR = -32603;

/**
 * The span's name per the conventions: `{mcp.method.name} {target}`, the tool being the target.
 *
 * @param toolName - the tool
 * @returns e.g. `tools/call get_weather`
 */
export function spanName(toolName: string): string {
  return `${MCP_METHOD_TOOLS_CALL} ${toolName}`;
}

/**
 * The convention attributes known at the start: method, tool, operation, session, request id, protocol version and
 * transport (stdio is `pipe`; HTTP is `tcp` with `network.protocol.name` `http`), and the guard's call id.
 *
 * @param call - the call, at its start
 * @returns the attributes
 */
export function startAttributes(call: ToolCall): Attributes {
  const attributes: Attributes = {
    [ATTR_MCP_METHOD_NAME]: MCP_METHOD_TOOLS_CALL,
    [ATTR_GEN_AI_TOOL_NAME]: call.toolName,
    [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
    [A.callId]: call.callId,
  };
  if (call.sessionId !== undefined) attributes[ATTR_MCP_SESSION_ID] = call.sessionId;
  if (call.requestId !== undefined && call.requestId !== null)
    attributes[ATTR_JSONRPC_REQUEST_ID] = String(call.requestId);
  const request = call.request;
  if (request !== undefined) {
    const version = request.protocolVersion;
    if (typeof version === 'string') attributes[ATTR_MCP_PROTOCOL_VERSION] = version;
    const transport = request.transport;
    if (transport === 'stdio') attributes[ATTR_NETWORK_TRANSPORT] = 'pipe';
    else if (transport === 'http') {
      attributes[ATTR_NETWORK_TRANSPORT] = 'tcp';
      attributes[ATTR_NETWORK_PROTOCOL_NAME] = 'http';
    }
  }
  return attributes;
}

/**
 * The call's usage and peaks, its outcome and what it left open.
 *
 * @param record - the call's record
 * @returns the attributes
 */
export function usageAttributes(record: CallRecord): Attributes {
  const { usage, peak } = record;
  let leaked = 0;
  for (const n of Object.values(record.leaked)) leaked += n ?? 0;
  return {
    [A.outcome]: record.outcome,
    [A.executionTime]: usage.executionTimeMs / 1000,
    [A.cpuTime]: usage.cpuTimeMs / 1000,
    [A.cpuPercent]: usage.cpuPercent,
    [A.memory]: Math.round(usage.memoryMb * BYTES_PER_MIB),
    [A.memoryPeak]: Math.round(peak.memoryMb * BYTES_PER_MIB),
    [A.fileHandles]: usage.fileHandles,
    [A.fileHandlesPeak]: peak.fileHandles,
    [A.networkConnections]: usage.networkConnections,
    [A.networkConnectionsPeak]: peak.networkConnections,
    [A.tempStorage]: Math.round(usage.tempStorageMb * BYTES_PER_MIB),
    [A.tempStoragePeak]: Math.round(peak.tempStorageMb * BYTES_PER_MIB),
    [A.leakedHandles]: leaked,
    // A task-augmented call's span lasts until its task ends; its task id says which task (a span attribute only).
    ...(record.taskId === undefined ? {} : { [A.taskId]: record.taskId }),
  };
}

/** How a call failed, for its own span: `error.type`, the JSON-RPC code, and the status description. */
export interface CallFailure {
  readonly errorType: string;
  readonly statusCode: string | undefined;
  readonly message: string | undefined;
}

function messageOf(value: unknown): string | undefined {
  if (typeof value === 'object' && value !== null && typeof (value as { message?: unknown }).message === 'string') {
    return (value as { message: string }).message;
  }
  return value === undefined ? undefined : String(value);
}

/**
 * How the call failed, or undefined when it did not. A call whose handler threw was answered with a JSON-RPC error:
 * its code (the error's own, else `-32603`) is `error.type` and `rpc.response.status_code`, its message the status
 * description, as the conventions ask. Otherwise `error.type` is {@link errorTypeOf}'s, as on the metrics: the
 * conventions' `tool_error` for the tool's own `isError` results, the guard's class (`timeout`, `resource_limit`,
 * `cancelled`) for its stops, with the guard's message as the description.
 *
 * @param call - the call
 * @param record - its record
 * @returns the failure, or undefined
 */
export function failureOf(call: ToolCall, record: CallRecord): CallFailure | undefined {
  if (record.outcome === 'thrown') {
    const code = (call.error as { code?: unknown } | undefined)?.code;
    const statusCode = String(typeof code === 'number' && Number.isSafeInteger(code) ? code : JSONRPC_INTERNAL_ERROR);
    return { errorType: statusCode, statusCode, message: messageOf(call.error) };
  }
  const errorType = errorTypeOf(record.outcome);
  if (errorType === undefined) return undefined;
  return { errorType, statusCode: undefined, message: messageOf(call.stopReason) };
}

/**
 * The failure attributes of a call's own span.
 *
 * @param failure - how it failed
 * @returns `error.type`, and `rpc.response.status_code` for a JSON-RPC error
 */
export function failureAttributes(failure: CallFailure): Attributes {
  const attributes: Attributes = { [ATTR_ERROR_TYPE]: failure.errorType };
  if (failure.statusCode !== undefined) attributes[ATTR_RPC_RESPONSE_STATUS_CODE] = failure.statusCode;
  return attributes;
}

interface LimitDetail {
  readonly scope?: unknown;
  readonly resource?: unknown;
  readonly level?: unknown;
  readonly usage?: unknown;
  readonly limit?: unknown;
}

/**
 * The stop event's attributes: its cause, the guard's message, and for a stop at a limit, which one.
 *
 * @param call - a call the guard stopped
 * @returns the attributes
 */
export function stopAttributes(call: ToolCall): Attributes {
  const attributes: Attributes = { [E.stopCause]: call.stopCause ?? 'cancelled' };
  const message = messageOf(call.stopReason);
  if (message !== undefined) attributes[E.stopMessage] = message;
  // Read by shape: the reason may come from another copy of core.
  const reason = call.stopReason as LimitDetail | undefined;
  if (typeof reason === 'object' && reason !== null && typeof reason.resource === 'string') {
    const resource = reason.resource as keyof typeof RESOURCE_ATTRIBUTE_VALUES;
    attributes[ATTR_RESOURCE] = RESOURCE_ATTRIBUTE_VALUES[resource] ?? resource;
    if (typeof reason.scope === 'string') attributes[ATTR_SCOPE] = reason.scope;
    if (typeof reason.level === 'string') attributes[ATTR_LIMIT_LEVEL] = reason.level;
    if (typeof reason.usage === 'number') attributes[E.usage] = reason.usage;
    if (typeof reason.limit === 'number') attributes[E.limit] = reason.limit;
  }
  return attributes;
}

/**
 * A level change's event attributes.
 *
 * @param event - the `limit` event
 * @returns the attributes
 */
export function limitAttributes(event: LimitEvent): Attributes {
  const attributes: Attributes = {
    [ATTR_SCOPE]: event.scope,
    [ATTR_RESOURCE]: RESOURCE_ATTRIBUTE_VALUES[event.resource] ?? event.resource,
    [E.usage]: event.usage,
    [E.limit]: event.limit,
    [E.ratio]: event.ratio,
  };
  if (event.level !== undefined) attributes[ATTR_LIMIT_LEVEL] = event.level;
  if (event.previous !== undefined) attributes[E.previousLevel] = event.previous;
  return attributes;
}

/**
 * A throttle event's attributes.
 *
 * @param event - the `throttle` event
 * @returns the attributes
 */
export function throttleAttributes(event: ThrottleEvent): Attributes {
  const attributes: Attributes = { [ATTR_THROTTLE_ACTION]: event.action, [ATTR_SCOPE]: event.scope };
  if (event.resource !== undefined) {
    attributes[ATTR_RESOURCE] = RESOURCE_ATTRIBUTE_VALUES[event.resource] ?? event.resource;
  }
  if (event.level !== undefined) attributes[ATTR_LIMIT_LEVEL] = event.level;
  if (event.code !== undefined) attributes[ATTR_ERROR_TYPE] = event.code;
  if (event.retryAfterMs !== undefined) attributes[E.retryAfter] = event.retryAfterMs / 1000;
  return attributes;
}

function addByKind(
  attributes: Attributes,
  prefix: string,
  byKind: Readonly<Partial<Record<HandleKind, number>>>,
): Attributes {
  for (const [kind, n] of Object.entries(byKind)) {
    if (typeof n === 'number' && n > 0) attributes[`${prefix}${kind}`] = n;
  }
  return attributes;
}

/**
 * A leak event's attributes: the handles left open, by kind.
 *
 * @param event - the `leak` event
 * @returns the attributes
 */
export function leakAttributes(event: LeakEvent): Attributes {
  return addByKind({ [E.late]: event.late }, E.handlesPrefix, event.handles);
}

/**
 * A cleanup's event attributes: why, how, how long, and what it closed and failed to close, by kind.
 *
 * @param report - the `cleanup` event
 * @returns the attributes
 */
export function cleanupAttributes(report: CleanupReport): Attributes {
  const attributes: Attributes = {
    [ATTR_CLEANUP_REASON]: report.reason,
    [ATTR_CLEANUP_MODE]: report.mode,
    [E.attempted]: report.attempted,
    [E.survived]: report.survived,
    [E.duration]: report.durationMs / 1000,
  };
  addByKind(attributes, E.closedPrefix, report.closed);
  return addByKind(attributes, E.failedPrefix, report.failed);
}
