/**
 * `@mcp-resource-guard/sdk-middleware`: `server.use(resourceMiddleware())` for MCP servers built on
 * the official TypeScript SDK (v1 `@modelcontextprotocol/sdk` and v2 `@modelcontextprotocol/server`).
 * Every export here is public API.
 *
 * @packageDocumentation
 */

export {
  type CallContext,
  detach,
  ErrorCode,
  type GuardEvents,
  type GuardSnapshot,
  getCallContext,
  type ResourceGuard,
  ResourceGuardError,
  type ResourceLimits,
  type ResourceUsage,
  runShared,
  tryGetCallContext,
} from '@mcp-resource-guard/core';
export { type ContextKey, contextKey, contextValue } from './context-key.js';
export { CONFIG_ENV, configFromEnv, DISABLED_ENV, type EnvConfig, SNAPSHOT_FILE_ENV } from './env-config.js';
export {
  type IsolatedOptions,
  type IsolatedResourceLimits,
  type IsolatedTool,
  isolated,
  WORKER_HEAP_ALLOWANCE_MB,
} from './isolated.js';
export type { IsolatedHandler, IsolatedLogLevel, IsolatedToolContext } from './isolated-context.js';
export { type ResourceMiddleware, type ResourceMiddlewareOptions, resourceMiddleware } from './resource-middleware.js';
export type {
  MiddlewareServer,
  RegisteredToolInfo,
  ToolCallContext,
  ToolCallMiddleware,
  ToolChange,
} from './tool-call-middleware.js';
export { errorResult, type ToolCallResult } from './tool-call-result.js';
export { applyMiddleware, type MiddlewareHost, type WithMiddleware, withMiddleware } from './with-middleware.js';
