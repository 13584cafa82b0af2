/**
 * `@mcp-resource-guard/otel-exporter`: OpenTelemetry metrics and traces from the resource guard, through
 * `@opentelemetry/api` only. Every export here is public API.
 *
 * @packageDocumentation
 */

export {
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
  ATTR_TOOL_STATE,
} from './attribute-names.js';
export { errorTypeOf, internalErrorSourceOf, RESOURCE_ATTRIBUTE_VALUES } from './attribute-values.js';
export {
  CLEANUP_DURATION_BUCKETS,
  CPU_TIME_BUCKETS,
  HANDLE_COUNT_BUCKETS,
  MEMORY_BUCKETS,
  TEMP_STORAGE_BUCKETS,
} from './bucket-boundaries.js';
export { GuardInstrumentation, type GuardInstrumentationConfig } from './guard-instrumentation.js';
export {
  type GuardMetrics,
  type GuardMetricsOptions,
  type GuardMetricsSource,
  instrumentGuard,
} from './guard-metrics.js';
export {
  type GuardTraces,
  type GuardTracesOptions,
  type GuardTracesSource,
  traceGuard,
} from './guard-traces.js';
export {
  GUARD_METRIC_NAMES,
  GUARD_METRIC_PREFIX,
  METRIC_CALL_CPU_TIME,
  METRIC_CALL_FILE_HANDLES_PEAK,
  METRIC_CALL_MEMORY_PEAK,
  METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
  METRIC_CALL_TEMP_STORAGE,
  METRIC_CLEANUP_DURATION,
  METRIC_CLEANUPS,
  METRIC_EMERGENCIES,
  METRIC_EVENT_LOOP_BLOCKS,
  METRIC_HANDLE_CLOSE_FAILED,
  METRIC_HANDLE_CLOSED,
  METRIC_HANDLE_LEAKED,
  METRIC_INTERNAL_ERRORS,
  METRIC_LIMIT_ENTRIES,
  METRIC_RECOVERIES,
  METRIC_THROTTLE_EVENTS,
  METRIC_THROTTLED,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_CALLS_QUEUED,
  METRIC_TOOL_RECOVERY_RATE,
  METRIC_TOOL_STATUS,
} from './metric-names.js';
export {
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
  ERROR_TYPE_OTHER,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_DURATION_BUCKETS,
  MCP_METHOD_TOOLS_CALL,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from './semantic-conventions.js';
export { GUARD_SPAN_ATTRIBUTES, GUARD_SPAN_EVENT_ATTRIBUTES, GUARD_SPAN_EVENTS } from './span-names.js';
