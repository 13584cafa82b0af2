/**
 * The names of the metrics this package defines itself. No semantic convention covers per-call CPU,
 * memory, handles or temp storage, or the guard's limits and cleanups, so they live under our own
 * prefix `mcp_resource_guard.`, never under `mcp.*` or `process.*`.
 */

/**
 * The prefix of every metric and attribute this package defines.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { GUARD_METRIC_PREFIX, instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * // Keep only the MCP convention's operation duration: drop every metric of the guard's own.
 * const meterProvider = new MeterProvider({
 *   views: [{ instrumentName: `${GUARD_METRIC_PREFIX}.*`, aggregation: { type: AggregationType.DROP } }],
 * });
 * instrumentGuard(createResourceGuard(), { meterProvider });
 * ```
 */
export const GUARD_METRIC_PREFIX = 'mcp_resource_guard';

// ---------------------------------------------------------------- per call (histograms)

/**
 * Histogram (`s`): CPU time attributed to each finished call.
 *
 * @example
 * ```ts
 * import { METRIC_CALL_CPU_TIME } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CALL_CPU_TIME.replaceAll('.', '_'); // Prometheus: 'mcp_resource_guard_call_cpu_time'
 * // Mean CPU seconds per call, by tool:
 * const meanCpu = `sum by (gen_ai_tool_name) (rate(${m}_sum[5m])) / sum by (gen_ai_tool_name) (rate(${m}_count[5m]))`;
 * ```
 */
export const METRIC_CALL_CPU_TIME = 'mcp_resource_guard.call.cpu_time';

/**
 * Histogram (`By`): the most memory attributed to each call at once.
 *
 * @example
 * ```ts
 * import { METRIC_CALL_MEMORY_PEAK } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CALL_MEMORY_PEAK.replaceAll('.', '_'); // Prometheus: 'mcp_resource_guard_call_memory_peak'
 * // p99 of the memory peak per call, by tool:
 * const p99 = `histogram_quantile(0.99, sum by (le, gen_ai_tool_name) (rate(${m}_bucket[5m])))`;
 * ```
 */
export const METRIC_CALL_MEMORY_PEAK = 'mcp_resource_guard.call.memory.peak';

/**
 * Histogram (`{handle}`): the most files, streams and watchers each call held open at once.
 *
 * @example
 * ```ts
 * import { METRIC_CALL_FILE_HANDLES_PEAK } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CALL_FILE_HANDLES_PEAK.replaceAll('.', '_');
 * // p99 of the files a call holds at once, by tool:
 * const p99 = `histogram_quantile(0.99, sum by (le, gen_ai_tool_name) (rate(${m}_bucket[5m])))`;
 * ```
 */
export const METRIC_CALL_FILE_HANDLES_PEAK = 'mcp_resource_guard.call.file_handles.peak';

/**
 * Histogram (`{connection}`): the most sockets, requests and servers each call held open at once.
 *
 * @example
 * ```ts
 * import { METRIC_CALL_NETWORK_CONNECTIONS_PEAK } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CALL_NETWORK_CONNECTIONS_PEAK.replaceAll('.', '_');
 * // Tools whose calls open more than 10 connections at once (p99):
 * const query = `histogram_quantile(0.99, sum by (le, gen_ai_tool_name) (rate(${m}_bucket[5m]))) > 10`;
 * ```
 */
export const METRIC_CALL_NETWORK_CONNECTIONS_PEAK = 'mcp_resource_guard.call.network_connections.peak';

/**
 * Histogram (`By`): size of each call's temp directory at its last measurement.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { instrumentGuard, METRIC_CALL_TEMP_STORAGE } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * // No tool of this server uses ctx.tempDir(): drop the histogram.
 * const meterProvider = new MeterProvider({
 *   views: [{ instrumentName: METRIC_CALL_TEMP_STORAGE, aggregation: { type: AggregationType.DROP } }],
 * });
 * instrumentGuard(createResourceGuard(), { meterProvider });
 * ```
 */
export const METRIC_CALL_TEMP_STORAGE = 'mcp_resource_guard.call.temp_storage';

// ---------------------------------------------------------------- events (counters, one histogram)

/**
 * Counter (`{handle}`): handles calls still held when they ended (or opened after), by kind.
 *
 * @example
 * ```ts
 * import { METRIC_HANDLE_LEAKED } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_HANDLE_LEAKED.replaceAll('.', '_');
 * // Handles leaked in the last hour, by tool (Prometheus adds `_total` to counters):
 * const leaks = `sum by (gen_ai_tool_name) (increase(${m}_total[1h])) > 0`;
 * ```
 */
export const METRIC_HANDLE_LEAKED = 'mcp_resource_guard.handle.leaked';

/**
 * Counter (`{handle}`): handles the guard's cleanup closed, by kind and reason.
 *
 * @example
 * ```ts
 * import { METRIC_HANDLE_CLOSED } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_HANDLE_CLOSED.replaceAll('.', '_');
 * // Handles the guard closed in the last hour, by kind:
 * const closed = `sum by (mcp_resource_guard_handle_kind) (increase(${m}_total[1h]))`;
 * ```
 */
export const METRIC_HANDLE_CLOSED = 'mcp_resource_guard.handle.closed';

/**
 * Counter (`{handle}`): handles still open after a closing cleanup, by kind and reason.
 *
 * @example
 * ```ts
 * import { METRIC_HANDLE_CLOSE_FAILED } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_HANDLE_CLOSE_FAILED.replaceAll('.', '_');
 * // Alert: a cleanup left handles open.
 * const survived = `sum by (gen_ai_tool_name, mcp_resource_guard_handle_kind) (increase(${m}_total[15m])) > 0`;
 * ```
 */
export const METRIC_HANDLE_CLOSE_FAILED = 'mcp_resource_guard.handle.close_failed';

/**
 * Counter (`{cleanup}`): cleanups run, by reason and mode.
 *
 * @example
 * ```ts
 * import { METRIC_CLEANUPS } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CLEANUPS.replaceAll('.', '_');
 * // Cleanups per minute, by tool and reason:
 * const rate = `sum by (gen_ai_tool_name, mcp_resource_guard_cleanup_reason) (rate(${m}_total[5m])) * 60`;
 * ```
 */
export const METRIC_CLEANUPS = 'mcp_resource_guard.cleanups';

/**
 * Histogram (`s`): wall time of each cleanup, by reason.
 *
 * @example
 * ```ts
 * import { METRIC_CLEANUP_DURATION } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_CLEANUP_DURATION.replaceAll('.', '_');
 * // p99 cleanup time, by reason:
 * const p99 = `histogram_quantile(0.99, sum by (le, mcp_resource_guard_cleanup_reason) (rate(${m}_bucket[1h])))`;
 * ```
 */
export const METRIC_CLEANUP_DURATION = 'mcp_resource_guard.cleanup.duration';

/**
 * Counter (`{entry}`): limit levels entered (upward crossings), by level, resource and scope.
 *
 * @example
 * ```ts
 * import { METRIC_LIMIT_ENTRIES } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_LIMIT_ENTRIES.replaceAll('.', '_');
 * // Levels entered in the last 5 minutes, by level:
 * const entries = `sum by (mcp_resource_guard_limit_level) (increase(${m}_total[5m]))`;
 * ```
 */
export const METRIC_LIMIT_ENTRIES = 'mcp_resource_guard.limit.entries';

/**
 * Counter (`{event}`): admission gates throttled or released, and calls rejected, by action and scope.
 *
 * @example
 * ```ts
 * import { METRIC_THROTTLE_EVENTS } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_THROTTLE_EVENTS.replaceAll('.', '_');
 * // Gates throttled, released and calls rejected per minute, by scope:
 * const events = `sum by (mcp_resource_guard_scope, mcp_resource_guard_throttle_action) (rate(${m}_total[5m])) * 60`;
 * ```
 */
export const METRIC_THROTTLE_EVENTS = 'mcp_resource_guard.throttle.events';

/**
 * Counter (`{emergency}`): emergency levels reached (a tool, session or the process deactivated).
 *
 * @example
 * ```ts
 * import { METRIC_EMERGENCIES } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_EMERGENCIES.replaceAll('.', '_');
 * // Alert on any emergency, naming the tool and the resource:
 * const alert = `sum by (gen_ai_tool_name, mcp_resource_guard_resource) (increase(${m}_total[5m])) > 0`;
 * ```
 */
export const METRIC_EMERGENCIES = 'mcp_resource_guard.emergencies';

/**
 * Counter (`{recovery}`): recovery attempts after a cleanup or emergency, by outcome.
 *
 * @example
 * ```ts
 * import { METRIC_RECOVERIES } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_RECOVERIES.replaceAll('.', '_');
 * // Share of recoveries that failed over a day:
 * const failed = `sum(increase(${m}_total{mcp_resource_guard_recovery_outcome="failure"}[1d]))`;
 * const failedShare = `${failed} / sum(increase(${m}_total[1d]))`;
 * ```
 */
export const METRIC_RECOVERIES = 'mcp_resource_guard.recoveries';

/**
 * Counter (`{block}`): times the event loop was blocked past the watchdog's threshold.
 *
 * @example
 * ```ts
 * import { METRIC_EVENT_LOOP_BLOCKS } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_EVENT_LOOP_BLOCKS.replaceAll('.', '_');
 * // Alert: the event loop was blocked, by the tool whose call was running:
 * const blocked = `sum by (gen_ai_tool_name) (increase(${m}_total[10m])) > 0`;
 * ```
 */
export const METRIC_EVENT_LOOP_BLOCKS = 'mcp_resource_guard.event_loop.blocks';

/**
 * Counter (`{error}`): failures the guard caught in itself (the tool call went on).
 *
 * @example
 * ```ts
 * import { METRIC_INTERNAL_ERRORS } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_INTERNAL_ERRORS.replaceAll('.', '_');
 * // Alert: the guard caught failures of its own.
 * const failing = `sum by (mcp_resource_guard_internal_error_source) (increase(${m}_total[15m])) > 0`;
 * ```
 */
export const METRIC_INTERNAL_ERRORS = 'mcp_resource_guard.internal_errors';

// ---------------------------------------------------------------- state (observed at collection)

/**
 * Observable up-down counter (`{call}`): calls of each tool running now.
 *
 * @example
 * ```ts
 * import { METRIC_TOOL_CALLS_IN_FLIGHT } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_TOOL_CALLS_IN_FLIGHT.replaceAll('.', '_');
 * // Calls running now, by tool, across every instance:
 * const inFlight = `sum by (gen_ai_tool_name) (${m})`;
 * ```
 */
export const METRIC_TOOL_CALLS_IN_FLIGHT = 'mcp_resource_guard.tool.calls_in_flight';

/**
 * Observable up-down counter (`{call}`): calls of each tool waiting at a throttled gate.
 *
 * @example
 * ```ts
 * import { METRIC_TOOL_CALLS_QUEUED } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_TOOL_CALLS_QUEUED.replaceAll('.', '_');
 * // Alert (for: 5m): calls have been waiting at a throttled gate.
 * const waiting = `sum by (gen_ai_tool_name) (${m}) > 0`;
 * ```
 */
export const METRIC_TOOL_CALLS_QUEUED = 'mcp_resource_guard.tool.calls_queued';

/**
 * Observable gauge (`1`): one series per tool and lifecycle state, 1 for the tool's current state and
 * 0 for the others (the state-set pattern of `hw.status`).
 *
 * @example
 * ```ts
 * import { ATTR_TOOL_STATE, METRIC_TOOL_STATUS } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Tools deactivated now:
 * const deactivated = `${prom(METRIC_TOOL_STATUS)}{${prom(ATTR_TOOL_STATE)}="deactivated"} == 1`;
 * ```
 */
export const METRIC_TOOL_STATUS = 'mcp_resource_guard.tool.status';

/**
 * Observable gauge (`1`): 1 while new calls are throttled (per tool, and process-wide), else 0.
 *
 * @example
 * ```ts
 * import { METRIC_THROTTLED } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_THROTTLED.replaceAll('.', '_');
 * // Alert (for: 2m): new calls are being throttled, by tool and scope.
 * const throttled = `max by (gen_ai_tool_name, mcp_resource_guard_scope) (${m}) == 1`;
 * ```
 */
export const METRIC_THROTTLED = 'mcp_resource_guard.throttled';

/**
 * Observable gauge (`1`): each tool's recovery rate, successes / attempts (only once it has attempts).
 *
 * @example
 * ```ts
 * import { METRIC_TOOL_RECOVERY_RATE } from '@mcp-resource-guard/otel-exporter';
 * const m = METRIC_TOOL_RECOVERY_RATE.replaceAll('.', '_');
 * // Alert: a tool recovers from fewer than 90 % of its cleanups and emergencies.
 * const poor = `min by (gen_ai_tool_name) (${m}) < 0.9`;
 * ```
 */
export const METRIC_TOOL_RECOVERY_RATE = 'mcp_resource_guard.tool.recovery_rate';

/**
 * Every metric name of this package that is ours (not a semantic convention), in the README's order.
 *
 * @example
 * ```ts
 * import { GUARD_METRIC_NAMES } from '@mcp-resource-guard/otel-exporter';
 * import type { MetricData } from '@opentelemetry/sdk-metrics';
 * // In a test: which of the guard's metrics a collection does not contain.
 * function missing(collected: readonly MetricData[]): string[] {
 *   const seen = new Set(collected.map((metric) => metric.descriptor.name));
 *   return GUARD_METRIC_NAMES.filter((name) => !seen.has(name));
 * }
 * ```
 */
export const GUARD_METRIC_NAMES: readonly string[] = Object.freeze([
  METRIC_CALL_CPU_TIME,
  METRIC_CALL_MEMORY_PEAK,
  METRIC_CALL_FILE_HANDLES_PEAK,
  METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
  METRIC_CALL_TEMP_STORAGE,
  METRIC_HANDLE_LEAKED,
  METRIC_HANDLE_CLOSED,
  METRIC_HANDLE_CLOSE_FAILED,
  METRIC_CLEANUPS,
  METRIC_CLEANUP_DURATION,
  METRIC_LIMIT_ENTRIES,
  METRIC_THROTTLE_EVENTS,
  METRIC_EMERGENCIES,
  METRIC_RECOVERIES,
  METRIC_EVENT_LOOP_BLOCKS,
  METRIC_INTERNAL_ERRORS,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_CALLS_QUEUED,
  METRIC_TOOL_STATUS,
  METRIC_THROTTLED,
  METRIC_TOOL_RECOVERY_RATE,
]);
