/** What the integration that admits a call knows of the request behind it, for observers of the call. */

/**
 * The request behind a call, as the integration that admits it (the SDK middleware) sees it: what observers
 * of the call (a tracer) read of it. Every field may be undefined; the guard itself reads none of them. The
 * middleware hands over its per-call context, whose fields are read only when an observer asks.
 *
 * @example
 * ```ts
 * import { type CallRequest, createResourceGuard } from '@mcp-resource-guard/core';
 * const request: CallRequest = {
 *   meta: { traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
 *   protocolVersion: '2025-06-18',
 *   transport: 'stdio',
 * };
 * const guard = createResourceGuard();
 * guard.on('start', (call) => console.error(call.toolName, call.request?.transport)); // 'search stdio'
 * const call = await guard.admit({ toolName: 'search', request });
 * call.end('ok');
 * ```
 */
export interface CallRequest {
  /**
   * The metadata the client sent with the request (for MCP, `params._meta`): the carrier of the caller's trace
   * context (`traceparent`, `tracestate`, `baggage`), among others.
   */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /** The version of the protocol the request was made in (for MCP, the negotiated revision, e.g. `2025-06-18`). */
  readonly protocolVersion: string | undefined;
  /** How the request reached the server: `stdio` (a pipe), `http`, or another transport's name; undefined when unknown. */
  readonly transport: string | undefined;
}
