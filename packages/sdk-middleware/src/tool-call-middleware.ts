/** The middleware contract: an onion of async functions around every `tools/call`. */

import type { ContextKey } from './context-key.js';
import type { ToolCallResult } from './tool-call-result.js';

/**
 * What the server knows about a registered tool, when it was registered through `McpServer`.
 *
 * @example
 * ```ts
 * import type { RegisteredToolInfo, ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const isReadOnly = (tool: RegisteredToolInfo | undefined): boolean => tool?.annotations?.readOnlyHint === true;
 * const logWrites: ToolCallMiddleware = async (ctx, next) => {
 *   if (!isReadOnly(ctx.tool)) console.error(`${ctx.toolName} (${ctx.tool?.title ?? 'untitled'}) may write`);
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
 * import type { ToolCallContext, ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const describe = (ctx: ToolCallContext): string =>
 *   `${ctx.toolName} #${ctx.requestId} (session ${ctx.sessionId ?? 'none'}, SDK v${ctx.sdkMajor})`;
 * const logCalls: ToolCallMiddleware = async (ctx, next) => {
 *   console.error(`-> ${describe(ctx)}`);
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
  /**
   * The MCP protocol revision of the request: its `mcp-protocol-version` header over HTTP, else the version the
   * server negotiated at `initialize`; undefined when unknown (a server guarded after its initialization, on v1).
   */
  readonly protocolVersion: string | undefined;
  /**
   * How the request came: `http` (Streamable HTTP or SSE), `stdio` (the SDK's stdio transport), or undefined (an
   * in-memory or custom transport).
   */
  readonly transport: string | undefined;
  /** Authentication info the transport attached, if any. */
  readonly authInfo: unknown;
  /** The registered tool, when the server is an `McpServer` that knows it. */
  readonly tool: RegisteredToolInfo | undefined;
  /** The SDK major version serving the call. */
  readonly sdkMajor: 1 | 2;
  /** The server the call came to. */
  readonly server: MiddlewareServer;
  /** True for a task-augmented call (`params.task`): the handler returns a task while the work goes on. */
  readonly taskRequested: boolean;
  /**
   * The signal the tool handler will see. It starts as the SDK's (client cancel, transport close);
   * a middleware may replace it with {@link ToolCallContext.useSignal}.
   */
  readonly signal: AbortSignal;
  /**
   * The SDK's own signal for this request (the client cancelled, the transport closed), whatever a middleware
   * gave the handler with {@link ToolCallContext.useSignal}.
   */
  readonly sdkSignal: AbortSignal;
  /**
   * Sets a value for this call, for later middlewares (`ctx.get(key)`) and the tool handler
   * (`contextValue(extra, key)`).
   * @param key - the value's key, from `contextKey<T>(name)`
   * @param value - the value
   */
  set<T>(key: ContextKey<T>, value: T): void;
  /**
   * Reads a value an earlier middleware set for this call.
   * @param key - the value's key
   * @returns the value, or undefined when none was set
   */
  get<T>(key: ContextKey<T>): T | undefined;
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
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { type ToolCallMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const timing: ToolCallMiddleware = async function timing(ctx, next) {
 *   const start = performance.now();
 *   try {
 *     return await next();
 *   } finally {
 *     console.error(`${ctx.toolName} took ${(performance.now() - start).toFixed(1)} ms`);
 *   }
 * };
 * const server = withMiddleware(new McpServer({ name: 'x', version: '1.0.0' }));
 * server.use(timing);
 * ```
 */
export interface ToolCallMiddleware {
  (ctx: ToolCallContext, next: () => Promise<ToolCallResult>): Promise<ToolCallResult>;
  /**
   * Called once per server the middleware is installed on, before any call; lets a middleware follow
   * the server's tools and sessions. A middleware installed on many servers is told about each.
   */
  onInstall?(server: MiddlewareServer): void;
}

/**
 * A change in a server's tool registry.
 *
 * @example
 * ```ts
 * import type { ToolCallMiddleware, ToolChange } from '@mcp-resource-guard/sdk-middleware';
 * const followTools: ToolCallMiddleware = (_ctx, next) => next();
 * followTools.onInstall = (server) => {
 *   server.onToolChange((change: ToolChange) => console.error(`${change.name}: ${change.type}`, change.tool?.enabled));
 * };
 * ```
 */
export interface ToolChange {
  readonly type: 'registered' | 'removed' | 'enabled' | 'disabled';
  readonly name: string;
  readonly tool: RegisteredToolInfo | undefined;
}

/**
 * What a middleware can see of, and do to, a server it is installed on.
 *
 * @example
 * ```ts
 * import type { MiddlewareServer, ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * // Disables tools marked destructive on every server this middleware is installed on.
 * const noDestructiveTools: ToolCallMiddleware = (_ctx, next) => next();
 * noDestructiveTools.onInstall = (server: MiddlewareServer) => {
 *   for (const tool of server.tools()) {
 *     if (tool.annotations?.destructiveHint === true) server.setToolEnabled(tool.name, false);
 *   }
 *   server.onClose((sessionId) => console.error(`session ${sessionId ?? '(stdio)'} closed`));
 * };
 * ```
 */
export interface MiddlewareServer {
  /** The SDK major version. */
  readonly sdkMajor: 1 | 2;
  /** Whether the server keeps a tool registry (an `McpServer`); a low-level `Server` does not. */
  readonly hasToolRegistry: boolean;
  /** The registered tools (empty for a low-level `Server`). */
  tools(): RegisteredToolInfo[];
  /** Whether `name` is a registered tool (always true for a low-level `Server`, which has no registry). */
  isRegistered(name: string): boolean;
  /**
   * Enables or disables a registered tool through the SDK (clients get `notifications/tools/list_changed`).
   *
   * @returns whether the tool exists on this server
   */
  setToolEnabled(name: string, enabled: boolean): boolean;
  /**
   * Follows registrations, removals, enables and disables (by anyone but {@link MiddlewareServer.setToolEnabled}).
   *
   * @returns a function that unsubscribes
   */
  onToolChange(listener: (change: ToolChange) => void): () => void;
  /**
   * Called when the server's transport closes, with its session id (undefined for stdio).
   *
   * @returns a function that unsubscribes
   */
  onClose(listener: (sessionId: string | undefined) => void): () => void;
}
