/**
 * `@mcp-resource-guard/core`: per-call resource tracking, limits and cleanup for Node.js tool servers.
 * Every export here is public API.
 *
 * @packageDocumentation
 */

export { type CallContext, getCallContext, tryGetCallContext } from './call-context.js';
export { CALL_OUTCOMES, CallOutcome } from './call-outcome.js';
export { type Clock, systemClock } from './clock.js';
export { describeValue, ErrorCode, ResourceGuardError, type ResourceGuardErrorInit } from './errors.js';
export { EventHub } from './event-hub.js';
export {
  type ResolvedGuardOptions,
  type ResourceGuardOptions,
  resolveGuardOptions,
  validateLimits,
} from './guard-options.js';
export {
  createResourceGuard,
  type GuardEvents,
  type GuardSnapshot,
  type InternalErrorEvent,
  ResourceGuard,
} from './resource-guard.js';
export { LIMIT_NAMES, LIMITED_RESOURCE, type LimitName, narrowLimits, type ResourceLimits } from './resource-limits.js';
export { RESOURCE_NAMES, type ResourceName, type ResourceUsage, ZERO_USAGE } from './resource-usage.js';
export type { CallRecord, StartCallInit, ToolCall } from './tool-call.js';
export type { ToolStatsSnapshot } from './tool-stats.js';
