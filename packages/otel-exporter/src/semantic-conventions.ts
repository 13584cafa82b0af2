/**
 * The OpenTelemetry semantic-convention names this package emits, copied locally as OpenTelemetry
 * advises for conventions still in Development status (MCP and GenAI conventions).
 */

/**
 * `mcp.server.operation.duration`: histogram of server-side MCP operation durations, in seconds.
 *
 * @example
 * ```ts
 * metrics.find((m) => m.descriptor.name === METRIC_MCP_SERVER_OPERATION_DURATION);
 * ```
 */
export const METRIC_MCP_SERVER_OPERATION_DURATION = 'mcp.server.operation.duration';

/**
 * Explicit bucket boundaries the MCP convention advises for operation durations, in seconds.
 *
 * @example
 * ```ts
 * new View({ instrumentName: METRIC_MCP_SERVER_OPERATION_DURATION, aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries: [...MCP_DURATION_BUCKETS] } } });
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
 * point.attributes[ATTR_MCP_METHOD_NAME]; // 'tools/call'
 * ```
 */
export const ATTR_MCP_METHOD_NAME = 'mcp.method.name';

/**
 * The tool's name.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_GEN_AI_TOOL_NAME]; // 'search'
 * ```
 */
export const ATTR_GEN_AI_TOOL_NAME = 'gen_ai.tool.name';

/**
 * The GenAI operation; `execute_tool` for tool calls.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_GEN_AI_OPERATION_NAME]; // 'execute_tool'
 * ```
 */
export const ATTR_GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';

/**
 * The class of error that ended the operation; absent on success.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_ERROR_TYPE]; // 'tool_error', 'timeout', ... or undefined
 * ```
 */
export const ATTR_ERROR_TYPE = 'error.type';

/**
 * `gen_ai.operation.name` value for a tool call.
 *
 * @example
 * ```ts
 * GEN_AI_OPERATION_EXECUTE_TOOL; // 'execute_tool'
 * ```
 */
export const GEN_AI_OPERATION_EXECUTE_TOOL = 'execute_tool';

/**
 * `mcp.method.name` value for a tool call.
 *
 * @example
 * ```ts
 * MCP_METHOD_TOOLS_CALL; // 'tools/call'
 * ```
 */
export const MCP_METHOD_TOOLS_CALL = 'tools/call';

/**
 * `error.type` value the conventions reserve for an error of no better-known class.
 *
 * @example
 * ```ts
 * errorTypeOf('thrown') === ERROR_TYPE_OTHER; // true
 * ```
 */
export const ERROR_TYPE_OTHER = '_OTHER';
