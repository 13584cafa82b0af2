/**
 * `@mcp-resource-guard/core/internal`: the building blocks the sibling packages (`sdk-middleware`,
 * `otel-exporter`), the tests and the benchmarks use, and that users of the guard do not need: the level
 * tracker, the event hub, the handle registry and closers, option resolution. Not public API: it may change
 * in any release.
 *
 * @packageDocumentation
 */

export { tryAdmit } from './admission.js';
export { type CleanupTimings, closeHandles } from './cleanup.js';
export { systemClock } from './clock.js';
export { describeValue } from './errors.js';
export { EventHub } from './event-hub.js';
export { type ResolvedGuardOptions, resolveGuardOptions, validateLimits } from './guard-options.js';
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
export { CLEANUP_STEPS, countsAsFile, countsAsNetwork } from './handle-kind.js';
export { type HandleCloser, HandleRegistry, type TrackedHandle } from './handle-registry.js';
export { type LevelChange, type LevelPolicy, LevelTracker } from './level-tracker.js';
export { levelRank } from './limit-level.js';
export { acquireProbes } from './probes/probe-set.js';
export { ProcessTree } from './process-tree.js';
export { LIMITED_RESOURCE, narrowLimits } from './resource-limits.js';
export { ZERO_USAGE } from './resource-usage.js';
export { systemScheduler } from './scheduler.js';
export { type CallOwner, cleanupPending, TrackedCall } from './tool-call.js';
