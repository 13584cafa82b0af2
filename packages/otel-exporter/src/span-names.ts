/**
 * The names of what this package records on a tool call's span, under the same prefix as its metrics
 * (`mcp_resource_guard.`): the call's usage and peaks as attributes, and the guard's responses (level changes,
 * throttling, the stop, leaks, the cleanup) as span events. Span attributes may carry per-call values (the call
 * id, figures); they never go on metrics.
 */

/**
 * The attribute keys of a tool call's span that this package defines, by role. Units are those of the metrics:
 * seconds (`s`) and bytes (`By`); counts are integers.
 *
 * | role                     | key                                                  | value                                                   |
 * | ------------------------ | ---------------------------------------------------- | ------------------------------------------------------- |
 * | `callId`                 | `mcp_resource_guard.call.id`                         | the guard's call id (as in its audit log)               |
 * | `outcome`                | `mcp_resource_guard.call.outcome`                    | `ok`, `tool_error`, `thrown`, `cancelled`, `timeout`, `limit`, `rejected` |
 * | `executionTime`          | `mcp_resource_guard.call.execution_time`             | s, admission to end                                     |
 * | `cpuTime`                | `mcp_resource_guard.call.cpu_time`                   | s of CPU attributed to the call                         |
 * | `cpuPercent`             | `mcp_resource_guard.call.cpu_percent`                | % of one core at the last sample                        |
 * | `memory`                 | `mcp_resource_guard.call.memory`                     | By attributed at the end                                |
 * | `memoryPeak`             | `mcp_resource_guard.call.memory.peak`                | By, the most at once                                    |
 * | `fileHandles`            | `mcp_resource_guard.call.file_handles`               | files held at the end                                   |
 * | `fileHandlesPeak`        | `mcp_resource_guard.call.file_handles.peak`          | the most files held at once                             |
 * | `networkConnections`     | `mcp_resource_guard.call.network_connections`        | connections held at the end                             |
 * | `networkConnectionsPeak` | `mcp_resource_guard.call.network_connections.peak`   | the most connections held at once                       |
 * | `tempStorage`            | `mcp_resource_guard.call.temp_storage`               | By in the call's temp dir at its last measurement       |
 * | `tempStoragePeak`        | `mcp_resource_guard.call.temp_storage.peak`          | By, the most measured                                   |
 * | `leakedHandles`          | `mcp_resource_guard.call.leaked_handles`             | handles still held at the end (its temp dir excepted)   |
 *
 * @example
 * ```ts
 * import { GUARD_SPAN_ATTRIBUTES } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // In a test or a span processor: the CPU time and memory peak the guard measured for the call.
 * function usageOf(span: ReadableSpan): { cpuSeconds: number; memoryPeakBytes: number } {
 *   return {
 *     cpuSeconds: Number(span.attributes[GUARD_SPAN_ATTRIBUTES.cpuTime] ?? 0),
 *     memoryPeakBytes: Number(span.attributes[GUARD_SPAN_ATTRIBUTES.memoryPeak] ?? 0),
 *   };
 * }
 * ```
 */
export const GUARD_SPAN_ATTRIBUTES = {
  callId: 'mcp_resource_guard.call.id',
  outcome: 'mcp_resource_guard.call.outcome',
  executionTime: 'mcp_resource_guard.call.execution_time',
  cpuTime: 'mcp_resource_guard.call.cpu_time',
  cpuPercent: 'mcp_resource_guard.call.cpu_percent',
  memory: 'mcp_resource_guard.call.memory',
  memoryPeak: 'mcp_resource_guard.call.memory.peak',
  fileHandles: 'mcp_resource_guard.call.file_handles',
  fileHandlesPeak: 'mcp_resource_guard.call.file_handles.peak',
  networkConnections: 'mcp_resource_guard.call.network_connections',
  networkConnectionsPeak: 'mcp_resource_guard.call.network_connections.peak',
  tempStorage: 'mcp_resource_guard.call.temp_storage',
  tempStoragePeak: 'mcp_resource_guard.call.temp_storage.peak',
  leakedHandles: 'mcp_resource_guard.call.leaked_handles',
  taskId: 'mcp_resource_guard.task.id',
} as const;

/**
 * The attribute keys of the span events this package records, by role (beside the metric attributes it shares:
 * `mcp_resource_guard.limit.level`, `.resource`, `.scope`, `.throttle.action`, `.cleanup.reason`, `.cleanup.mode`).
 *
 * | role            | key                                          | on             | value                                              |
 * | --------------- | -------------------------------------------- | -------------- | -------------------------------------------------- |
 * | `previousLevel` | `mcp_resource_guard.limit.previous_level`    | limit          | the level left (absent: none)                      |
 * | `usage`         | `mcp_resource_guard.limit.usage`             | limit, stop    | the usage that caused it, in the resource's unit (core's: MiB, %, ms, count) |
 * | `limit`         | `mcp_resource_guard.limit.value`             | limit, stop    | the limit, in the same unit                        |
 * | `ratio`         | `mcp_resource_guard.limit.ratio`             | limit          | usage / limit                                      |
 * | `retryAfter`    | `mcp_resource_guard.throttle.retry_after`    | throttle       | s until the client may retry (`rejected`)          |
 * | `stopCause`     | `mcp_resource_guard.stop.cause`              | stop           | `timeout`, `limit`, `emergency`, `cancelled`, `deactivated`, `unregistered`, `session_closed`, `closed` |
 * | `stopMessage`   | `mcp_resource_guard.stop.message`            | stop           | the guard's message                                |
 * | `late`          | `mcp_resource_guard.leak.late`               | leak           | true for a handle opened after the end             |
 * | `attempted`     | `mcp_resource_guard.cleanup.attempted`       | cleanup        | handles it tried to close                          |
 * | `survived`      | `mcp_resource_guard.cleanup.survived`        | cleanup        | handles still open after it                        |
 * | `duration`      | `mcp_resource_guard.cleanup.duration`        | cleanup        | s it took                                          |
 * | `closedPrefix`  | `mcp_resource_guard.cleanup.closed.` + kind  | cleanup        | handles of that kind closed (`...closed.file`: 2)  |
 * | `failedPrefix`  | `mcp_resource_guard.cleanup.failed.` + kind  | cleanup        | handles of that kind still open                    |
 * | `handlesPrefix` | `mcp_resource_guard.leak.handles.` + kind    | leak           | handles of that kind left open                     |
 *
 * @example
 * ```ts
 * import { GUARD_SPAN_EVENT_ATTRIBUTES, GUARD_SPAN_EVENTS } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // The files the guard's cleanup closed for this call.
 * function filesClosed(span: ReadableSpan): number {
 *   const cleanup = span.events.find((e) => e.name === GUARD_SPAN_EVENTS.cleanup);
 *   return Number(cleanup?.attributes?.[`${GUARD_SPAN_EVENT_ATTRIBUTES.closedPrefix}file`] ?? 0);
 * }
 * ```
 */
export const GUARD_SPAN_EVENT_ATTRIBUTES = {
  previousLevel: 'mcp_resource_guard.limit.previous_level',
  usage: 'mcp_resource_guard.limit.usage',
  limit: 'mcp_resource_guard.limit.value',
  ratio: 'mcp_resource_guard.limit.ratio',
  retryAfter: 'mcp_resource_guard.throttle.retry_after',
  stopCause: 'mcp_resource_guard.stop.cause',
  stopMessage: 'mcp_resource_guard.stop.message',
  late: 'mcp_resource_guard.leak.late',
  attempted: 'mcp_resource_guard.cleanup.attempted',
  survived: 'mcp_resource_guard.cleanup.survived',
  duration: 'mcp_resource_guard.cleanup.duration',
  closedPrefix: 'mcp_resource_guard.cleanup.closed.',
  failedPrefix: 'mcp_resource_guard.cleanup.failed.',
  handlesPrefix: 'mcp_resource_guard.leak.handles.',
} as const;

/**
 * The names of the span events this package records on a tool call's span.
 *
 * | role       | name                           | when                                                                     |
 * | ---------- | ------------------------------ | ------------------------------------------------------------------------ |
 * | `limit`    | `mcp_resource_guard.limit`     | a level of one of the call's limits was entered or left; or of its tool's, session's or the process's while it ran |
 * | `throttle` | `mcp_resource_guard.throttle`  | the admission gate of its tool, session or the process was throttled or released while it ran, or the call was refused |
 * | `stop`     | `mcp_resource_guard.stop`      | the guard stopped the call (its cause and, at a limit, which one)        |
 * | `leak`     | `mcp_resource_guard.leak`      | the call ended holding handles (by kind)                                 |
 * | `cleanup`  | `mcp_resource_guard.cleanup`   | the guard's cleanup of what the call held ran (what it closed, by kind)  |
 *
 * @example
 * ```ts
 * import { GUARD_SPAN_EVENTS } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // Was this call stopped by the guard?
 * const stopped = (span: ReadableSpan): boolean => span.events.some((e) => e.name === GUARD_SPAN_EVENTS.stop);
 * ```
 */
export const GUARD_SPAN_EVENTS = {
  limit: 'mcp_resource_guard.limit',
  throttle: 'mcp_resource_guard.throttle',
  stop: 'mcp_resource_guard.stop',
  leak: 'mcp_resource_guard.leak',
  cleanup: 'mcp_resource_guard.cleanup',
} as const;
