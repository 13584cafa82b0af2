/** What an isolated tool's handler module exports, and the context its handler gets in the worker thread. */

import type { ToolCallResult } from './tool-call-result.js';

/**
 * The levels of MCP logging notifications (RFC 5424's, as the protocol names them).
 *
 * @example
 * ```ts
 * import type { IsolatedLogLevel } from '@mcp-resource-guard/sdk-middleware';
 * const level: IsolatedLogLevel = 'warning';
 * ```
 */
export type IsolatedLogLevel = 'debug' | 'info' | 'notice' | 'warning' | 'error' | 'critical' | 'alert' | 'emergency';

/**
 * The second argument of an isolated tool's handler, in its worker thread: what SDK handlers find in `extra` (v1)
 * or `ctx` (v2) that can cross a thread, and the ways to reach the client. Notifications go through the request's
 * own channel on the main thread, in the order sent, before the result. `getCallContext()` works in the handler too
 * (`signal`, `usage()`, `tempDir()`, `track()`).
 *
 * @example
 * ```ts
 * import type { IsolatedToolContext } from '@mcp-resource-guard/sdk-middleware';
 * async function work(items: string[], ctx: IsolatedToolContext): Promise<number> {
 *   for (const [i, item] of items.entries()) {
 *     ctx.signal.throwIfAborted();
 *     await ctx.reportProgress(i + 1, items.length, item);
 *   }
 *   await ctx.log('info', { done: items.length });
 *   return items.length;
 * }
 * ```
 */
export interface IsolatedToolContext {
  /** Aborted when the call is stopped (limit, cancel, deactivation, session close); `reason` says why. */
  readonly signal: AbortSignal;
  /** The JSON-RPC id of the request. */
  readonly requestId: string | number | undefined;
  /** The transport's session, if it has sessions. */
  readonly sessionId: string | undefined;
  /** The request's `_meta` (its `progressToken`, among others). */
  readonly _meta: Readonly<Record<string, unknown>> | undefined;
  /** What the transport's authentication attached, as far as it survives a structured clone. */
  readonly authInfo: unknown;
  /**
   * Sends a notification to the client, related to this request (as SDK v1's `extra.sendNotification`).
   *
   * @param notification - its method and params
   * @returns a promise that settles once it was handed to the main thread
   */
  sendNotification(notification: { method: string; params?: Record<string, unknown> }): Promise<void>;
  /**
   * Sends `notifications/progress` with the request's progress token; does nothing when the client sent none.
   *
   * @param progress - progress so far
   * @param total - the total, if known
   * @param message - a short description
   * @returns a promise that settles once it was handed to the main thread
   */
  reportProgress(progress: number, total?: number, message?: string): Promise<void>;
  /**
   * Sends a logging message to the client (`notifications/message`; with SDK v2, through `ctx.mcpReq.log`, which
   * respects the level the client set).
   *
   * @param level - its level
   * @param data - anything structured-cloneable
   * @param logger - the logger's name
   * @returns a promise that settles once it was handed to the main thread
   */
  log(level: IsolatedLogLevel, data: unknown, logger?: string): Promise<void>;
}

/**
 * The default export of an isolated tool's module: the tool's handler, run in a worker thread with the arguments
 * (structured-cloned; `undefined` for a tool without an input schema) and an {@link IsolatedToolContext}. What it
 * returns is the tool's result, cloned back.
 *
 * @example
 * ```ts
 * // resize.ts, the module given to isolated(new URL('./resize.js', import.meta.url))
 * import type { IsolatedHandler } from '@mcp-resource-guard/sdk-middleware';
 * const resize: IsolatedHandler<{ width: number }> = async ({ width }, ctx) => {
 *   await ctx.reportProgress(1, 2);
 *   return { content: [{ type: 'text', text: `resized to ${width}` }] };
 * };
 * export default resize;
 * ```
 */
export type IsolatedHandler<Args = Record<string, unknown>> = (
  args: Args,
  ctx: IsolatedToolContext,
) => ToolCallResult | Promise<ToolCallResult>;
