/** `withMiddleware(server)` and `applyMiddleware(server, ...)`: add tool-call middleware to one SDK server instance. */

import { ErrorCode, ResourceGuardError } from '@mcp-resource-guard/core';
import { resolveSdkServer } from './sdk-server.js';
import { ToolCallInterceptor } from './tool-call-interceptor.js';
import type { ToolCallMiddleware } from './tool-call-middleware.js';

const USE_MARK = Symbol.for('@mcp-resource-guard/use');

/**
 * The `use()` method that {@link withMiddleware} adds to a server instance.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { type MiddlewareHost, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * // Works for any server withMiddleware() returned, whatever its SDK version or class.
 * function installGuard(host: MiddlewareHost): void {
 *   host.use(resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } }));
 * }
 * installGuard(withMiddleware(new McpServer({ name: 'x', version: '1.0.0' })));
 * ```
 */
export interface MiddlewareHost {
  /**
   * Appends middlewares around every `tools/call` of this server, outermost first.
   *
   * @param middlewares - one or more middlewares
   * @returns the same server, for chaining
   */
  use(...middlewares: ToolCallMiddleware[]): this;
}

/**
 * A server instance with {@link MiddlewareHost.use} added.
 *
 * @example
 * ```ts
 * import { Server } from '@modelcontextprotocol/sdk/server/index.js';
 * import { resourceMiddleware, type WithMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const lowLevel = new Server({ name: 'low-level', version: '1.0.0' }, { capabilities: { tools: {} } });
 * const server: WithMiddleware<Server> = withMiddleware(lowLevel);
 * server.use(resourceMiddleware());
 * ```
 */
export type WithMiddleware<S extends object> = S & MiddlewareHost;

/**
 * Adds tool-call middlewares to a server instance (an `McpServer` or a low-level `Server`, SDK v1 or
 * v2). Tools registered before and after the call are all covered; applying to the same server twice
 * appends to the one chain. Nothing is changed on the SDK's classes, only on this instance.
 *
 * @param server - the server
 * @param middlewares - outermost first
 * @returns the same server
 * @throws {@link ResourceGuardError} `UNSUPPORTED_SDK` when the instance is not a supported SDK server
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/server';
 * import { applyMiddleware, resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * // SDK v2; the same call works on a v1 McpServer or a low-level Server.
 * const guard = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * const server = applyMiddleware(new McpServer({ name: 'x', version: '1.0.0' }), guard);
 * ```
 */
export function applyMiddleware<S extends object>(server: S, ...middlewares: ToolCallMiddleware[]): S {
  const interceptor = ToolCallInterceptor.for(resolveSdkServer(server));
  interceptor.add(middlewares);
  return server;
}

/**
 * Returns the same server instance with a `use(middleware)` method added to that instance only.
 *
 * @param server - an `McpServer` or low-level `Server` from `@modelcontextprotocol/sdk` 1.x (0.5 and later) or `@modelcontextprotocol/server` 2.x
 * @returns the same instance, typed with `use()`
 * @throws {@link ResourceGuardError} `UNSUPPORTED_SDK` when the instance is not a supported SDK server,
 *   or already has a `use` property of its own
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const server = withMiddleware(new McpServer({ name: 'x', version: '1.0.0' }));
 * server.use(resourceMiddleware());
 * ```
 */
export function withMiddleware<S extends object>(server: S): WithMiddleware<S> {
  const host = server as S & Partial<MiddlewareHost> & Record<symbol, unknown>;
  const sdk = resolveSdkServer(server);
  if (host[USE_MARK] === true) return host as WithMiddleware<S>;
  if ('use' in host) {
    throw new ResourceGuardError({
      code: ErrorCode.UnsupportedSdk,
      message: 'The server already has a `use` member of its own',
      hint: 'Call applyMiddleware(server, ...middlewares) instead of withMiddleware(server).use(...).',
      path: 'server.use',
      value: host.use,
    });
  }
  const interceptor = ToolCallInterceptor.for(sdk);
  Object.defineProperty(host, 'use', {
    configurable: true,
    writable: true,
    value: function use(this: WithMiddleware<S>, ...middlewares: ToolCallMiddleware[]) {
      interceptor.add(middlewares);
      return this;
    },
  });
  Object.defineProperty(host, USE_MARK, { value: true });
  return host as WithMiddleware<S>;
}
