/**
 * `@mcp-resource-guard/core`: per-call resource tracking, graduated limits and cleanup for Node.js
 * tool servers. Every export here is public API.
 *
 * @packageDocumentation
 */
export type { GateScope } from './admission-gate.js';
export { type AuditAction, type AuditEntry, type AuditSink, jsonLinesAuditSink, MemoryAuditSink } from './audit-log.js';
export {
  type CallContext,
  type Disposable,
  getCallContext,
  type TrackOptions,
  tryGetCallContext,
} from './call-context.js';
export { CALL_OUTCOMES, CallOutcome } from './call-outcome.js';
export { CallRefused, type Refusal, type RefusalCause } from './call-refused.js';
export type { CallRequest } from './call-request.js';
export type { CleanupReason, CleanupReport, HandleCleanupResult } from './cleanup.js';
export type { Clock } from './clock.js';
export { ErrorCode, ResourceGuardError, type ResourceGuardErrorInit } from './errors.js';
export type {
  BlockedEvent,
  EmergencyEvent,
  GuardEvents,
  InternalErrorEvent,
  LeakEvent,
  LimitEvent,
  RecoveryEvent,
  StateEvent,
  ThrottleEvent,
} from './guard-events.js';
export type { AggregateLimits, GuardLimits, ToolLimits } from './guard-limits.js';
export { type GuardLogger, type JsonLoggerOptions, jsonLogger, LOG_LEVEL_ENV, type LogLevel } from './guard-logger.js';
export type {
  AdaptiveOptions,
  CleanupOptions,
  EmergencyOptions,
  LevelOptions,
  ResourceGuardOptions,
  SamplingOptions,
  ThrottleOptions,
} from './guard-options.js';
export { GUARD_CREATED_CHANNEL } from './guard-registry.js';
export { type CleanupStepName, HandleKind } from './handle-kind.js';
export type { LeakPolicy, LeakPolicyOptions } from './leak-policy.js';
export { DEFAULT_THRESHOLDS, type LevelThresholds, LIMIT_LEVELS, LimitLevel } from './limit-level.js';
export { detach, runShared } from './probes/attribution.js';
export type { ProbeOptions } from './probes/probe-set.js';
export {
  createResourceGuard,
  type GuardSnapshot,
  liveGuards,
  type RegisterToolOptions,
  ResourceGuard,
  type TaskSnapshot,
} from './resource-guard.js';
export { type LimitExceededDetail, type LimitScope, ResourceLimitExceeded } from './resource-limit-exceeded.js';
export { LIMIT_NAMES, type LimitName, type ResourceLimits } from './resource-limits.js';
export { openFdCount, type ProcessSnapshot, processSnapshot, type ResourceSnapshot } from './resource-snapshot.js';
export { type MeasuredResource, RESOURCE_NAMES, type ResourceName, type ResourceUsage } from './resource-usage.js';
export type { Scheduler } from './scheduler.js';
export {
  CALL_STOPPED,
  type CallRecord,
  type CallRunWrapper,
  type StartCallInit,
  type ToolCall,
} from './tool-call.js';
export type { ToolSnapshot } from './tool-record.js';
export { TOOL_STATES, type ToolState } from './tool-state.js';
export type { ToolStatsSnapshot } from './tool-stats.js';
export type { UsageHistorySnapshot, UsagePercentiles } from './usage-history.js';
export type { UsageSource } from './usage-source.js';
