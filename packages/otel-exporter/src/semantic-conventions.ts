/**
 * The OpenTelemetry semantic-convention names this package emits, copied locally as OpenTelemetry
 * advises for conventions still in Development status (MCP and GenAI conventions): the metric
 * `mcp.server.operation.duration` and the MCP server span's attributes.
 */

/**
 * `mcp.server.operation.duration`: histogram of server-side MCP operation durations, in seconds.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { instrumentGuard, METRIC_MCP_SERVER_OPERATION_DURATION } from '@mcp-resource-guard/otel-exporter';
 * import {
 *   AggregationTemporality,
 *   InMemoryMetricExporter,
 *   MeterProvider,
 *   PeriodicExportingMetricReader,
 * } from '@opentelemetry/sdk-metrics';
 * const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
 * const meterProvider = new MeterProvider({ readers: [new PeriodicExportingMetricReader({ exporter })] });
 * const guard = createResourceGuard();
 * instrumentGuard(guard, { meterProvider });
 * const call = await guard.admit({ toolName: 'echo' });
 * call.end('ok');
 * await meterProvider.forceFlush();
 * const metrics = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
 * const duration = metrics.find((m) => m.descriptor.name === METRIC_MCP_SERVER_OPERATION_DURATION);
 * duration?.dataPoints.length; // 1: gen_ai.tool.name 'echo', mcp.method.name 'tools/call'
 * ```
 */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration';

/**
 * Explicit bucket boundaries the MCP convention advises for operation durations, in seconds.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import {
 *   instrumentGuard,
 *   MCP_DURATION_BUCKETS,
 *   METRIC_MCP_SERVER_OPERATION_DURATION,
 * } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * // The convention's boundaries, plus 1 ms and 5 ms for fast in-process tools.
 * const boundaries = [0.001, 0.005, ...MCP_DURATION_BUCKETS];
 * const meterProvider = new MeterProvider({
 *   views: [
 *     {
 *       instrumentName: METRIC_MCP_SERVER_OPERATION_DURATION,
 *       aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
 *     },
 *   ],
 * });
 * instrumentGuard(createResourceGuard(), { meterProvider });
 * ```
 */
export const MCP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300,
]);

/**
 * The MCP method, e.g. `tools/call`.
 *
 * @example
 * ```ts
 * import {
 *   ATTR_MCP_METHOD_NAME,
 *   MCP_METHOD_TOOLS_CALL,
 *   METRIC_MCP_SERVER_OPERATION_DURATION,
 * } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Tool calls per second, across every instance:
 * const toolsCall = `${prom(ATTR_MCP_METHOD_NAME)}="${MCP_METHOD_TOOLS_CALL}"`; // 'mcp_method_name="tools/call"'
 * const calls = `sum(rate(${prom(METRIC_MCP_SERVER_OPERATION_DURATION)}_count{${toolsCall}}[5m]))`;
 * ```
 */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';

/**
 * The tool's name.
 *
 * @example
 * ```ts
 * import { ATTR_GEN_AI_TOOL_NAME, METRIC_MCP_SERVER_OPERATION_DURATION } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // p99 latency by tool:
 * const m = prom(METRIC_MCP_SERVER_OPERATION_DURATION);
 * const p99 = `histogram_quantile(0.99, sum by (le, ${prom(ATTR_GEN_AI_TOOL_NAME)}) (rate(${m}_bucket[5m])))`;
 * ```
 */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';

/**
 * The GenAI operation; `execute_tool` for tool calls.
 *
 * @example
 * ```ts
 * import { ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_EXECUTE_TOOL } from '@mcp-resource-guard/otel-exporter';
 * import type { DataPoint, Histogram } from '@opentelemetry/sdk-metrics';
 * // In a test: the points of tool executions among collected duration points.
 * const isToolExecution = (point: DataPoint<Histogram>): boolean =>
 *   point.attributes[ATTR_GEN_AI_OPERATION_NAME] === GEN_AI_OPERATION_EXECUTE_TOOL;
 * ```
 */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';

/**
 * The class of error that ended the operation; absent on success.
 *
 * @example
 * ```ts
 * import { ATTR_ERROR_TYPE, METRIC_MCP_SERVER_OPERATION_DURATION } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Failed tool calls per second, by error type (the attribute is absent on success):
 * const errorType = prom(ATTR_ERROR_TYPE); // 'error_type'
 * const count = `${prom(METRIC_MCP_SERVER_OPERATION_DURATION)}_count`;
 * const failures = `sum by (${errorType}) (rate(${count}{${errorType}!=""}[5m]))`;
 * ```
 */
export const ATTR_ERROR_TYPE = 'error.type';

/**
 * `gen_ai.operation.name` value for a tool call.
 *
 * @example
 * ```ts
 * import { ATTR_GEN_AI_OPERATION_NAME, GEN_AI_OPERATION_EXECUTE_TOOL } from '@mcp-resource-guard/otel-exporter';
 * const prom = (name: string) => name.replaceAll('.', '_');
 * // Select tool executions among every GenAI operation a collector receives:
 * // '{gen_ai_operation_name="execute_tool"}'
 * const selector = `{${prom(ATTR_GEN_AI_OPERATION_NAME)}="${GEN_AI_OPERATION_EXECUTE_TOOL}"}`;
 * ```
 */
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';

/**
 * `mcp.method.name` value for a tool call.
 *
 * @example
 * ```ts
 * import { ATTR_MCP_METHOD_NAME, MCP_METHOD_TOOLS_CALL } from '@mcp-resource-guard/otel-exporter';
 * import type { Attributes } from '@opentelemetry/api';
 * // In a test: is this data point a tool call?
 * const isToolCall = (attributes: Attributes): boolean => attributes[ATTR_MCP_METHOD_NAME] === MCP_METHOD_TOOLS_CALL;
 * ```
 */
export const MCP_METHOD_TOOLS_CALL = 'tools/call';

/**
 * `error.type` value the conventions reserve for an error of no better-known class.
 *
 * @example
 * ```ts
 * import { ATTR_ERROR_TYPE, ERROR_TYPE_OTHER, errorTypeOf } from '@mcp-resource-guard/otel-exporter';
 * errorTypeOf('thrown') === ERROR_TYPE_OTHER; // true: a tool that threw is counted as '_OTHER'
 * const prom = (name: string) => name.replaceAll('.', '_');
 * const thrown = `{${prom(ATTR_ERROR_TYPE)}="${ERROR_TYPE_OTHER}"}`; // '{error_type="_OTHER"}'
 * ```
 */
export const ERROR_TYPE_OTHER = '_OTHER';

/**
 * Span attribute: the MCP session the request belongs to (`Mcp-Session-Id` over Streamable HTTP); absent without one.
 *
 * @example
 * ```ts
 * import { ATTR_MCP_SESSION_ID } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // The tool-call spans of one session.
 * const ofSession = (spans: ReadableSpan[], id: string) => spans.filter((s) => s.attributes[ATTR_MCP_SESSION_ID] === id);
 * ```
 */
export const ATTR_MCP_SESSION_ID = 'mcp.session.id';

/**
 * Span attribute: the JSON-RPC request id, as a string.
 *
 * @example
 * ```ts
 * import { ATTR_JSONRPC_REQUEST_ID } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // The span of the request the client sent with id 7.
 * const request7 = (spans: ReadableSpan[]) => spans.find((s) => s.attributes[ATTR_JSONRPC_REQUEST_ID] === '7');
 * ```
 */
export const ATTR_JSONRPC_REQUEST_ID = 'jsonrpc.request.id';

/**
 * Span attribute: the MCP protocol revision of the request, e.g. `2025-06-18`.
 *
 * @example
 * ```ts
 * import { ATTR_MCP_PROTOCOL_VERSION } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // Calls made with a revision older than Streamable HTTP's (HTTP+SSE clients).
 * const legacy = (s: ReadableSpan) => String(s.attributes[ATTR_MCP_PROTOCOL_VERSION] ?? '9999') < '2025-03-26';
 * ```
 */
export const ATTR_MCP_PROTOCOL_VERSION = 'mcp.protocol.version';

/**
 * Span attribute: the transport of the MCP session: `pipe` for stdio, `tcp` for HTTP.
 *
 * @example
 * ```ts
 * import { ATTR_NETWORK_TRANSPORT } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * const overStdio = (s: ReadableSpan): boolean => s.attributes[ATTR_NETWORK_TRANSPORT] === 'pipe';
 * ```
 */
export const ATTR_NETWORK_TRANSPORT = 'network.transport';

/**
 * Span attribute: the application protocol under MCP: `http` over Streamable HTTP or SSE; absent over stdio.
 *
 * @example
 * ```ts
 * import { ATTR_NETWORK_PROTOCOL_NAME } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * const overHttp = (s: ReadableSpan): boolean => s.attributes[ATTR_NETWORK_PROTOCOL_NAME] === 'http';
 * ```
 */
export const ATTR_NETWORK_PROTOCOL_NAME = 'network.protocol.name';

/**
 * Span attribute: the JSON-RPC error code of the response, as a string (e.g. `-32602`), when it has one.
 *
 * @example
 * ```ts
 * import { ATTR_RPC_RESPONSE_STATUS_CODE } from '@mcp-resource-guard/otel-exporter';
 * import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
 * // Calls answered with "invalid params".
 * const invalid = (s: ReadableSpan): boolean => s.attributes[ATTR_RPC_RESPONSE_STATUS_CODE] === '-32602';
 * ```
 */
export const ATTR_RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
