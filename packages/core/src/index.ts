/**
 * `@mcp-resource-guard/core`: per-call resource tracking, graduated limits and cleanup for Node.js
 * tool servers. Every export here is public API.
 *
 * @packageDocumentation
 */

export type { GateScope } from './admission-gate.js';
export {
  type AuditAction,
  type AuditEntry,
  type AuditSink,
  jsonLinesAuditSink,
  MemoryAuditSink,
} from './audit-log.js';
export {
  type CallContext,
  type Disposable,
  getCallContext,
  type TrackOptions,
  tryGetCallContext,
} from './call-context.js';
export { CALL_OUTCOMES, CallOutcome } from './call-outcome.js';
export {
  type CleanupReason,
  type CleanupReport,
  type CleanupTimings,
  closeHandles,
  type HandleCleanupResult,
} from './cleanup.js';
export { type Clock, systemClock } from './clock.js';
export { describeValue, ErrorCode, ResourceGuardError, type ResourceGuardErrorInit } from './errors.js';
export { EventHub } from './event-hub.js';
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
export {
  type GuardLogger,
  type JsonLoggerOptions,
  jsonLogger,
  LOG_LEVEL_ENV,
  type LogLevel,
} from './guard-logger.js';
export {
  type AdaptiveOptions,
  type CleanupOptions,
  type EmergencyOptions,
  type LevelOptions,
  type ResolvedGuardOptions,
  type ResourceGuardOptions,
  resolveGuardOptions,
  type SamplingOptions,
  type ThrottleOptions,
  validateLimits,
} from './guard-options.js';
export {
  childProcessCloser,
  closerFor,
  descendantsOf,
  fdCloser,
  fileHandleCloser,
  serverCloser,
  socketCloser,
  streamCloser,
  timerCloser,
  udpCloser,
  watcherCloser,
  workerCloser,
} from './handle-closers.js';
export { CLEANUP_STEPS, type CleanupStepName, countsAsFile, countsAsNetwork, HandleKind } from './handle-kind.js';
export { type HandleCloser, HandleRegistry, type TrackedHandle } from './handle-registry.js';
export type { LeakPolicy, LeakPolicyOptions } from './leak-policy.js';
export { type LevelChange, type LevelPolicy, LevelTracker } from './level-tracker.js';
export { DEFAULT_THRESHOLDS, type LevelThresholds, LIMIT_LEVELS, LimitLevel, levelRank } from './limit-level.js';
export { detach, runShared } from './probes/attribution.js';
export type { ProbeOptions } from './probes/probe-set.js';
export {
  createResourceGuard,
  type GuardSnapshot,
  type RegisterToolOptions,
  ResourceGuard,
} from './resource-guard.js';
export { type LimitExceededDetail, type LimitScope, ResourceLimitExceeded } from './resource-limit-exceeded.js';
export { LIMIT_NAMES, LIMITED_RESOURCE, type LimitName, narrowLimits, type ResourceLimits } from './resource-limits.js';
export { openFdCount, type ProcessSnapshot, processSnapshot, type ResourceSnapshot } from './resource-snapshot.js';
export {
  type MeasuredResource,
  RESOURCE_NAMES,
  type ResourceName,
  type ResourceUsage,
  ZERO_USAGE,
} from './resource-usage.js';
export { type Scheduler, systemScheduler } from './scheduler.js';
export {
  CALL_STOPPED,
  type CallRecord,
  type StartCallInit,
  type ToolCall,
} from './tool-call.js';
export type { BreakerState, ToolSnapshot } from './tool-record.js';
export { TOOL_STATES, type ToolState } from './tool-state.js';
export type { ToolStatsSnapshot } from './tool-stats.js';
export type { UsageHistorySnapshot, UsagePercentiles } from './usage-history.js';
export type { UsageSource } from './usage-source.js';
