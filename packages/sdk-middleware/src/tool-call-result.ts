/** The structural shape of what a `tools/call` handler returns, shared by SDK v1 and v2. */

/**
 * The result of a `tools/call` request as the SDK's handler returns it: a `CallToolResult`
 * (`content`, `structuredContent`, `isError`), or for task-augmented calls a task-creation result.
 * Declared structurally so that this package does not depend on either SDK's types.
 *
 * @example
 * ```ts
 * import type { ToolCallResult } from '@mcp-resource-guard/sdk-middleware';
 * const result: ToolCallResult = { content: [{ type: 'text', text: 'done' }] };
 * ```
 */
export interface ToolCallResult {
  /** Content blocks (absent in a task-creation result). */
  content?: unknown[];
  /** True when the tool reports a failure in-band. */
  isError?: boolean;
  /** Structured output matching the tool's output schema. */
  structuredContent?: Record<string, unknown>;
  /** Result metadata. */
  _meta?: Record<string, unknown>;
  [key: string]: unknown;
}

/**
 * Builds an `isError` tool result with one text block; used for answers the guard itself gives.
 *
 * @param text - the message for the client (and the model)
 * @param detail - machine-readable detail, put in `_meta['mcp-resource-guard/error']` (not in `structuredContent`,
 *   which clients check against the tool's output schema)
 * @returns the result
 * @example
 * ```ts
 * import { errorResult, type ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * // Refuse destructive tools in read-only mode, with an answer the client and the model can act on.
 * const readOnly: ToolCallMiddleware = async (ctx, next) => {
 *   if (process.env.READ_ONLY === '1' && ctx.tool?.annotations?.destructiveHint === true) {
 *     return errorResult(`Tool "${ctx.toolName}" is disabled in read-only mode`, { reason: 'read_only' });
 *   }
 *   return next();
 * };
 * ```
 */
export function errorResult(text: string, detail?: Record<string, unknown>): ToolCallResult {
  const result: ToolCallResult = { content: [{ type: 'text', text }], isError: true };
  if (detail !== undefined) result._meta = { 'mcp-resource-guard/error': detail };
  return result;
}
