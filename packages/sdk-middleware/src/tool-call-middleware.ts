/** The middleware contract: an onion of async functions around every `tools/call`. */

import type { ToolCallResult } from './tool-call-result.js';

/**
 * What the server knows about a registered tool, when it was registered through `McpServer`.
 *
 * @example
 * ```ts
 * const mw: ToolCallMiddleware = async (ctx, next) => {
 *   if (ctx.tool?.annotations?.readOnlyHint) console.error(`${ctx.toolName} is read-only`);
 *   return next();
 * };
 * ```
 */
export interface RegisteredToolInfo {
  readonly name: string;
  readonly title: string | undefined;
  readonly description: string | undefined;
  readonly annotations: Readonly<Record<string, unknown>> | undefined;
  /** The tool's `_meta`, as registered. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** Whether the tool is enabled right now. */
  readonly enabled: boolean;
}

/**
 * Everything a middleware knows about one `tools/call` request.
 *
 * @example
 * ```ts
 * const logCalls: ToolCallMiddleware = async (ctx, next) => {
 *   console.error(`-> ${ctx.toolName} (session ${ctx.sessionId ?? 'none'})`);
 *   return next();
 * };
 * ```
 */
export interface ToolCallContext {
  /** The tool's name, from `params.name`. */
  readonly toolName: string;
  /** The tool's arguments, from `params.arguments`, as sent (not yet validated). */
  readonly arguments: Readonly<Record<string, unknown>> | undefined;
  /** The JSON-RPC request id. */
  readonly requestId: string | number;
  /** The transport session, if the transport has sessions. */
  readonly sessionId: string | undefined;
  /** The request's `_meta` (progress token and the like). */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** Authentication info the transport attached, if any. */
  readonly authInfo: unknown;
  /** The registered tool, when the server is an `McpServer` that knows it. */
  readonly tool: RegisteredToolInfo | undefined;
  /** The SDK major version serving the call. */
  readonly sdkMajor: 1 | 2;
  /**
   * The signal the tool handler will see. It starts as the SDK's (client cancel, transport close);
   * a middleware may replace it with {@link ToolCallContext.useSignal}.
   */
  readonly signal: AbortSignal;
  /** Per-call scratch space shared by the middlewares of one call. */
  readonly state: Map<unknown, unknown>;
  /**
   * Replaces the signal passed to the tool handler. The function is called only if the handler
   * (or a later middleware) reads the signal, so an unread signal costs nothing.
   *
   * @param provide - returns the signal to use
   */
  useSignal(provide: () => AbortSignal): void;
}

/**
 * A tools/call middleware: runs around the tool handler and everything inside it. Call `next()` at
 * most once to run the rest of the chain and the tool; return its result, or a result of your own.
 *
 * @example
 * ```ts
 * import type { ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const timing: ToolCallMiddleware = async function timing(ctx, next) {
 *   const start = performance.now();
 *   try {
 *     return await next();
 *   } finally {
 *     console.error(`${ctx.toolName} took ${(performance.now() - start).toFixed(1)} ms`);
 *   }
 * };
 * server.use(timing);
 * ```
 */
export type ToolCallMiddleware = (ctx: ToolCallContext, next: () => Promise<ToolCallResult>) => Promise<ToolCallResult>;
