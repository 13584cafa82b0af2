/**
 * `@mcp-resource-guard/otel-exporter`: OpenTelemetry metrics from the resource guard, through
 * `@opentelemetry/api` only. Every export here is public API.
 *
 * @packageDocumentation
 */

export {
  errorTypeOf,
  type GuardEventSource,
  type GuardMetrics,
  type GuardMetricsOptions,
  instrumentGuard,
} from './guard-metrics.js';
export {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_DURATION_BUCKETS,
  MCP_METHOD_TOOLS_CALL,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from './semantic-conventions.js';
