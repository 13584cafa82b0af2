/**
 * The attribute keys this package defines itself, under `mcp_resource_guard.*`. Every value they take
 * comes from a small closed set (an enum of core), so they never raise cardinality; the tool name and
 * the error class use the semantic-convention keys `gen_ai.tool.name` and `error.type`. Session ids,
 * request ids, call ids and arguments are never attributes.
 */

/**
 * The kind of handle: `file`, `watcher`, `socket`, `server`, `udp`, `timer`, `interval`, `immediate`,
 * `child_process`, `worker`, `temp_dir`, `memory`, `custom`.
 *
 * @example
 * ```ts
 * import { ATTR_HANDLE_KIND, METRIC_HANDLE_LEAKED } from '@mcp-resource-guard/otel-exporter';
 * // Prometheus spells dots as underscores and adds `_total` to counters.
 * const prom = (name: string) => name.replaceAll('.', '_');
 * const leaksByKind = `sum by (${prom(ATTR_HANDLE_KIND)}) (increase(${prom(METRIC_HANDLE_LEAKED)}_total[1h]))`;
 * // 'sum by (mcp_resource_guard_handle_kind) (increase(mcp_resource_guard_handle_leaked_total[1h]))'
 * ```
 */
export const ATTR_HANDLE_KIND = 'mcp_resource_guard.handle.kind';

/**
 * The limit level entered: `warn`, `throttle`, `cleanup`, `emergency`.
 *
 * @example
 * ```ts
 * import { ATTR_LIMIT_LEVEL, METRIC_LIMIT_ENTRIES } from '@mcp-resource-guard/otel-exporter';
 * import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
 * // Limit levels entered, by level, from one collection of a MetricReader (e.g. in a test).
 * function entriesByLevel(collected: ResourceMetrics): Map<string, number> {
 *   const counts = new Map<string, number>();
 *   for (const metric of collected.scopeMetrics.flatMap((scope) => scope.metrics)) {
 *     if (metric.descriptor.name !== METRIC_LIMIT_ENTRIES) continue;
 *     for (const point of metric.dataPoints) {
 *       const level = String(point.attributes[ATTR_LIMIT_LEVEL]);
 *       counts.set(level, (counts.get(level) ?? 0) + (typeof point.value === 'number' ? point.value : 0));
 *     }
 *   }
 *   return counts;
 * }
 * ```
 */
export const ATTR_LIMIT_LEVEL = 'mcp_resource_guard.limit.level';

/**
 * The resource a limit bounds: `memory`, `cpu_percent`, `cpu_time`, `file_handles`,
 * `network_connections`, `execution_time`, `temp_storage` (see {@link RESOURCE_ATTRIBUTE_VALUES}).
 *
 * @example
 * ```ts
 * import { ATTR_RESOURCE, METRIC_LIMIT_ENTRIES, RESOURCE_ATTRIBUTE_VALUES } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Memory limit levels entered in the last hour, by tool:
 * const memory = `${prom(ATTR_RESOURCE)}="${RESOURCE_ATTRIBUTE_VALUES.memoryMb}"`;
 * const query = `sum by (gen_ai_tool_name) (increase(${prom(METRIC_LIMIT_ENTRIES)}_total{${memory}}[1h]))`;
 * ```
 */
export const ATTR_RESOURCE = 'mcp_resource_guard.resource';

/**
 * Where a limit or gate applies: `call`, `tool`, `session`, `process`.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { ATTR_SCOPE, instrumentGuard, METRIC_EMERGENCIES } from '@mcp-resource-guard/otel-exporter';
 * import { createAllowListAttributesProcessor, MeterProvider } from '@opentelemetry/sdk-metrics';
 * // Keep only the scope on the emergency counter: one series per scope instead of one per tool.
 * const meterProvider = new MeterProvider({
 *   views: [
 *     { instrumentName: METRIC_EMERGENCIES, attributesProcessors: [createAllowListAttributesProcessor([ATTR_SCOPE])] },
 *   ],
 * });
 * instrumentGuard(createResourceGuard(), { meterProvider });
 * ```
 */
export const ATTR_SCOPE = 'mcp_resource_guard.scope';

/**
 * Why a cleanup ran: `leak`, `limit`, `timeout`, `cancelled`, `deactivated`, `unregistered`,
 * `emergency`, `session_closed`, `closed`.
 *
 * @example
 * ```ts
 * import { ATTR_CLEANUP_REASON, METRIC_CLEANUPS } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Cleanups per hour, by why they ran (leak, limit, timeout, ...):
 * const byReason = `sum by (${prom(ATTR_CLEANUP_REASON)}) (increase(${prom(METRIC_CLEANUPS)}_total[1h]))`;
 * ```
 */
export const ATTR_CLEANUP_REASON = 'mcp_resource_guard.cleanup.reason';

/**
 * Whether a cleanup closed the handles (`close`) or only reported them (`report`, the `leaks: 'report'` option).
 *
 * @example
 * ```ts
 * import { ATTR_CLEANUP_MODE, METRIC_CLEANUPS } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // With `leaks: 'report'`, leaked handles are only reported: how often would a cleanup have closed some?
 * const reportOnly = `${prom(ATTR_CLEANUP_MODE)}="report"`;
 * const query = `sum by (gen_ai_tool_name) (increase(${prom(METRIC_CLEANUPS)}_total{${reportOnly}}[1d]))`;
 * ```
 */
export const ATTR_CLEANUP_MODE = 'mcp_resource_guard.cleanup.mode';

/**
 * A tool's lifecycle state: `registered`, `active`, `idle`, `error`, `deactivated`, `unregistered`.
 *
 * @example
 * ```ts
 * import { ATTR_GEN_AI_TOOL_NAME, ATTR_TOOL_STATE, METRIC_TOOL_STATUS } from '@mcp-resource-guard/otel-exporter';
 * import type { MetricData } from '@opentelemetry/sdk-metrics';
 * // The state of each tool, from a collection of the state-set gauge (1 for the current state).
 * function toolStates(metrics: readonly MetricData[]): Record<string, string> {
 *   const states: Record<string, string> = {};
 *   for (const metric of metrics) {
 *     if (metric.descriptor.name !== METRIC_TOOL_STATUS) continue;
 *     for (const point of metric.dataPoints) {
 *       const tool = String(point.attributes[ATTR_GEN_AI_TOOL_NAME]);
 *       if (point.value === 1) states[tool] = String(point.attributes[ATTR_TOOL_STATE]);
 *     }
 *   }
 *   return states; // e.g. { search: 'idle', heavy: 'deactivated' }
 * }
 * ```
 */
export const ATTR_TOOL_STATE = 'mcp_resource_guard.tool.state';

/**
 * What an admission gate did: `throttled`, `released`, `rejected`.
 *
 * @example
 * ```ts
 * import { ATTR_THROTTLE_ACTION, METRIC_THROTTLE_EVENTS } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Calls refused per second, by tool:
 * const rejected = `${prom(ATTR_THROTTLE_ACTION)}="rejected"`;
 * const query = `sum by (gen_ai_tool_name) (rate(${prom(METRIC_THROTTLE_EVENTS)}_total{${rejected}}[5m]))`;
 * ```
 */
export const ATTR_THROTTLE_ACTION = 'mcp_resource_guard.throttle.action';

/**
 * How a recovery attempt ended: `success` or `failure`.
 *
 * @example
 * ```ts
 * import { ATTR_RECOVERY_OUTCOME, METRIC_RECOVERIES } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Alert when a tool failed to recover in the last hour:
 * const failed = `increase(${prom(METRIC_RECOVERIES)}_total{${prom(ATTR_RECOVERY_OUTCOME)}="failure"}[1h]) > 0`;
 * ```
 */
export const ATTR_RECOVERY_OUTCOME = 'mcp_resource_guard.recovery.outcome';

/**
 * Which call decided a recovery: `probe` (the half-open call after an emergency) or `next_call` (after a cleanup).
 *
 * @example
 * ```ts
 * import { ATTR_RECOVERY_OUTCOME, ATTR_RECOVERY_VIA, METRIC_RECOVERIES } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Recoveries by how they were decided (half-open probe or next call) and how they ended:
 * const labels = [ATTR_RECOVERY_VIA, ATTR_RECOVERY_OUTCOME].map(prom).join(', ');
 * const query = `sum by (${labels}) (increase(${prom(METRIC_RECOVERIES)}_total[1d]))`;
 * ```
 */
export const ATTR_RECOVERY_VIA = 'mcp_resource_guard.recovery.via';

/**
 * Where in the guard an internal error happened: the part of core's source before any `:`
 * (`listener`, `source`, `middleware`, `sampler`, `cleanup`, `watchdog`, `audit`, ...).
 *
 * @example
 * ```ts
 * import { ATTR_INTERNAL_ERROR_SOURCE, METRIC_INTERNAL_ERRORS } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Which part of the guard failed (listener, source, middleware, ...) in the last hour:
 * const source = prom(ATTR_INTERNAL_ERROR_SOURCE);
 * const query = `sum by (${source}) (increase(${prom(METRIC_INTERNAL_ERRORS)}_total[1h])) > 0`;
 * ```
 */
export const ATTR_INTERNAL_ERROR_SOURCE = 'mcp_resource_guard.internal_error.source';
