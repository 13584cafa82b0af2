/**
 * Whether another instrumentation already made the MCP server span of this request, so that the guard enriches
 * that span instead of making a second one.
 *
 * The rule: the span active in the request handler's context when the call starts is that request's MCP server
 * span when it is still recording, its kind is `SERVER`, its `mcp.method.name` is `tools/call`, and the
 * `gen_ai.tool.name` and `jsonrpc.request.id` it carries, if any, are this call's. Kind and attributes are read
 * from the SDK's span (`ReadableSpan.kind`, `.attributes`); a span that does not expose them (another API
 * implementation) is never taken for the request's. An HTTP server span (kind `SERVER`, no `mcp.method.name`) is
 * not the request's: the guard makes its own span and links it, as the conventions ask.
 */

import { type Context, type Span, SpanKind, trace } from '@opentelemetry/api';
import {
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_JSONRPC_REQUEST_ID,
  ATTR_MCP_METHOD_NAME,
  MCP_METHOD_TOOLS_CALL,
} from './semantic-conventions.js';

interface SpanFields {
  readonly kind?: unknown;
  readonly attributes?: Readonly<Record<string, unknown>>;
}

/**
 * The MCP server span another instrumentation made for this request, if it is active in `active`.
 *
 * @param active - the context where the call started
 * @param toolName - the call's tool
 * @param requestId - the call's JSON-RPC id, when known
 * @returns the span to enrich, or undefined
 * @example
 * ```ts
 * const existing = enclosingServerSpan(context.active(), call.toolName, call.requestId);
 * ```
 */
export function enclosingServerSpan(
  active: Context,
  toolName: string,
  requestId: string | number | undefined,
): Span | undefined {
  const span = trace.getSpan(active);
  if (span === undefined || !span.isRecording()) return undefined;
  const { kind, attributes } = span as unknown as SpanFields;
  if (kind !== SpanKind.SERVER || typeof attributes !== 'object' || attributes === null) return undefined;
  if (attributes[ATTR_MCP_METHOD_NAME] !== MCP_METHOD_TOOLS_CALL) return undefined;
  const tool = attributes[ATTR_GEN_AI_TOOL_NAME];
  if (tool !== undefined && tool !== toolName) return undefined;
  const id = attributes[ATTR_JSONRPC_REQUEST_ID];
  if (id !== undefined && requestId !== undefined && String(id) !== String(requestId)) return undefined;
  return span;
}
