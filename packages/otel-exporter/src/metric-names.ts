/**
 * The names of the metrics this package defines itself. No semantic convention covers per-call CPU,
 * memory, handles or temp storage, or the guard's limits and cleanups, so they live under our own
 * prefix `mcp_resource_guard.`, never under `mcp.*` or `process.*`.
 */

/**
 * The prefix of every metric and attribute this package defines.
 *
 * @example
 * ```ts
 * name.startsWith(`${GUARD_METRIC_PREFIX}.`); // true for our own metrics
 * ```
 */
export const GUARD_METRIC_PREFIX = 'mcp_resource_guard';

// ---------------------------------------------------------------- per call (histograms)

/**
 * Histogram (`s`): CPU time attributed to each finished call.
 *
 * @example
 * ```ts
 * // PromQL: sum by (gen_ai_tool_name) (rate(mcp_resource_guard_call_cpu_time_sum[5m]))
 * METRIC_CALL_CPU_TIME; // 'mcp_resource_guard.call.cpu_time'
 * ```
 */
export const METRIC_CALL_CPU_TIME = 'mcp_resource_guard.call.cpu_time';

/**
 * Histogram (`By`): the most memory attributed to each call at once.
 *
 * @example
 * ```ts
 * METRIC_CALL_MEMORY_PEAK; // 'mcp_resource_guard.call.memory.peak'
 * ```
 */
export const METRIC_CALL_MEMORY_PEAK = 'mcp_resource_guard.call.memory.peak';

/**
 * Histogram (`{handle}`): the most files, streams and watchers each call held open at once.
 *
 * @example
 * ```ts
 * METRIC_CALL_FILE_HANDLES_PEAK; // 'mcp_resource_guard.call.file_handles.peak'
 * ```
 */
export const METRIC_CALL_FILE_HANDLES_PEAK = 'mcp_resource_guard.call.file_handles.peak';

/**
 * Histogram (`{connection}`): the most sockets, requests and servers each call held open at once.
 *
 * @example
 * ```ts
 * METRIC_CALL_NETWORK_CONNECTIONS_PEAK; // 'mcp_resource_guard.call.network_connections.peak'
 * ```
 */
export const METRIC_CALL_NETWORK_CONNECTIONS_PEAK = 'mcp_resource_guard.call.network_connections.peak';

/**
 * Histogram (`By`): size of each call's temp directory at its last measurement.
 *
 * @example
 * ```ts
 * METRIC_CALL_TEMP_STORAGE; // 'mcp_resource_guard.call.temp_storage'
 * ```
 */
export const METRIC_CALL_TEMP_STORAGE = 'mcp_resource_guard.call.temp_storage';

// ---------------------------------------------------------------- events (counters, one histogram)

/**
 * Counter (`{handle}`): handles calls still held when they ended (or opened after), by kind.
 *
 * @example
 * ```ts
 * // PromQL: sum by (gen_ai_tool_name) (increase(mcp_resource_guard_handle_leaked_total[1h]))
 * METRIC_HANDLE_LEAKED; // 'mcp_resource_guard.handle.leaked'
 * ```
 */
export const METRIC_HANDLE_LEAKED = 'mcp_resource_guard.handle.leaked';

/**
 * Counter (`{handle}`): handles the guard's cleanup closed, by kind and reason.
 *
 * @example
 * ```ts
 * METRIC_HANDLE_CLOSED; // 'mcp_resource_guard.handle.closed'
 * ```
 */
export const METRIC_HANDLE_CLOSED = 'mcp_resource_guard.handle.closed';

/**
 * Counter (`{handle}`): handles still open after a closing cleanup, by kind and reason.
 *
 * @example
 * ```ts
 * METRIC_HANDLE_CLOSE_FAILED; // 'mcp_resource_guard.handle.close_failed'
 * ```
 */
export const METRIC_HANDLE_CLOSE_FAILED = 'mcp_resource_guard.handle.close_failed';

/**
 * Counter (`{cleanup}`): cleanups run, by reason and mode.
 *
 * @example
 * ```ts
 * METRIC_CLEANUPS; // 'mcp_resource_guard.cleanups'
 * ```
 */
export const METRIC_CLEANUPS = 'mcp_resource_guard.cleanups';

/**
 * Histogram (`s`): wall time of each cleanup, by reason.
 *
 * @example
 * ```ts
 * METRIC_CLEANUP_DURATION; // 'mcp_resource_guard.cleanup.duration'
 * ```
 */
export const METRIC_CLEANUP_DURATION = 'mcp_resource_guard.cleanup.duration';

/**
 * Counter (`{entry}`): limit levels entered (upward crossings), by level, resource and scope.
 *
 * @example
 * ```ts
 * // PromQL: sum by (mcp_resource_guard_limit_level) (increase(mcp_resource_guard_limit_entries_total[5m]))
 * METRIC_LIMIT_ENTRIES; // 'mcp_resource_guard.limit.entries'
 * ```
 */
export const METRIC_LIMIT_ENTRIES = 'mcp_resource_guard.limit.entries';

/**
 * Counter (`{event}`): admission gates throttled or released, and calls rejected, by action and scope.
 *
 * @example
 * ```ts
 * METRIC_THROTTLE_EVENTS; // 'mcp_resource_guard.throttle.events'
 * ```
 */
export const METRIC_THROTTLE_EVENTS = 'mcp_resource_guard.throttle.events';

/**
 * Counter (`{emergency}`): emergency levels reached (a tool, session or the process deactivated).
 *
 * @example
 * ```ts
 * METRIC_EMERGENCIES; // 'mcp_resource_guard.emergencies'
 * ```
 */
export const METRIC_EMERGENCIES = 'mcp_resource_guard.emergencies';

/**
 * Counter (`{recovery}`): recovery attempts after a cleanup or emergency, by outcome.
 *
 * @example
 * ```ts
 * METRIC_RECOVERIES; // 'mcp_resource_guard.recoveries'
 * ```
 */
export const METRIC_RECOVERIES = 'mcp_resource_guard.recoveries';

/**
 * Counter (`{block}`): times the event loop was blocked past the watchdog's threshold.
 *
 * @example
 * ```ts
 * METRIC_EVENT_LOOP_BLOCKS; // 'mcp_resource_guard.event_loop.blocks'
 * ```
 */
export const METRIC_EVENT_LOOP_BLOCKS = 'mcp_resource_guard.event_loop.blocks';

/**
 * Counter (`{error}`): failures the guard caught in itself (the tool call went on).
 *
 * @example
 * ```ts
 * METRIC_INTERNAL_ERRORS; // 'mcp_resource_guard.internal_errors'
 * ```
 */
export const METRIC_INTERNAL_ERRORS = 'mcp_resource_guard.internal_errors';

// ---------------------------------------------------------------- state (observed at collection)

/**
 * Observable up-down counter (`{call}`): calls of each tool running now.
 *
 * @example
 * ```ts
 * METRIC_TOOL_CALLS_IN_FLIGHT; // 'mcp_resource_guard.tool.calls_in_flight'
 * ```
 */
export const METRIC_TOOL_CALLS_IN_FLIGHT = 'mcp_resource_guard.tool.calls_in_flight';

/**
 * Observable up-down counter (`{call}`): calls of each tool waiting at a throttled gate.
 *
 * @example
 * ```ts
 * METRIC_TOOL_CALLS_QUEUED; // 'mcp_resource_guard.tool.calls_queued'
 * ```
 */
export const METRIC_TOOL_CALLS_QUEUED = 'mcp_resource_guard.tool.calls_queued';

/**
 * Observable gauge (`1`): one series per tool and lifecycle state, 1 for the tool's current state and
 * 0 for the others (the state-set pattern of `hw.status`).
 *
 * @example
 * ```ts
 * // PromQL: mcp_resource_guard_tool_status{mcp_resource_guard_tool_state="deactivated"} == 1
 * METRIC_TOOL_STATUS; // 'mcp_resource_guard.tool.status'
 * ```
 */
export const METRIC_TOOL_STATUS = 'mcp_resource_guard.tool.status';

/**
 * Observable gauge (`1`): 1 while new calls are throttled (per tool, and process-wide), else 0.
 *
 * @example
 * ```ts
 * METRIC_THROTTLED; // 'mcp_resource_guard.throttled'
 * ```
 */
export const METRIC_THROTTLED = 'mcp_resource_guard.throttled';

/**
 * Observable gauge (`1`): each tool's recovery rate, successes / attempts (only once it has attempts).
 *
 * @example
 * ```ts
 * METRIC_TOOL_RECOVERY_RATE; // 'mcp_resource_guard.tool.recovery_rate'
 * ```
 */
export const METRIC_TOOL_RECOVERY_RATE = 'mcp_resource_guard.tool.recovery_rate';

/**
 * Every metric name of this package that is ours (not a semantic convention), in the README's order.
 *
 * @example
 * ```ts
 * for (const name of GUARD_METRIC_NAMES) console.log(name);
 * ```
 */
export const GUARD_METRIC_NAMES: readonly string[] = Object.freeze([
  METRIC_CALL_CPU_TIME,
  METRIC_CALL_MEMORY_PEAK,
  METRIC_CALL_FILE_HANDLES_PEAK,
  METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
  METRIC_CALL_TEMP_STORAGE,
  METRIC_HANDLE_LEAKED,
  METRIC_HANDLE_CLOSED,
  METRIC_HANDLE_CLOSE_FAILED,
  METRIC_CLEANUPS,
  METRIC_CLEANUP_DURATION,
  METRIC_LIMIT_ENTRIES,
  METRIC_THROTTLE_EVENTS,
  METRIC_EMERGENCIES,
  METRIC_RECOVERIES,
  METRIC_EVENT_LOOP_BLOCKS,
  METRIC_INTERNAL_ERRORS,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_CALLS_QUEUED,
  METRIC_TOOL_STATUS,
  METRIC_THROTTLED,
  METRIC_TOOL_RECOVERY_RATE,
]);
