/**
 * The attribute keys this package defines itself, under `mcp_resource_guard.*`. Every value they take
 * comes from a small closed set (an enum of core), so they never raise cardinality; the tool name and
 * the error class use the semantic-convention keys `gen_ai.tool.name` and `error.type`. Session ids,
 * request ids, call ids and arguments are never attributes.
 */

/**
 * The kind of handle: `file`, `watcher`, `socket`, `server`, `udp`, `timer`, `interval`, `immediate`,
 * `child_process`, `worker`, `temp_dir`, `memory`, `custom`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_HANDLE_KIND]; // 'file'
 * ```
 */
export const ATTR_HANDLE_KIND = 'mcp_resource_guard.handle.kind';

/**
 * The limit level entered: `warn`, `throttle`, `cleanup`, `emergency`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_LIMIT_LEVEL]; // 'throttle'
 * ```
 */
export const ATTR_LIMIT_LEVEL = 'mcp_resource_guard.limit.level';

/**
 * The resource a limit bounds: `memory`, `cpu_percent`, `cpu_time`, `file_handles`,
 * `network_connections`, `execution_time`, `temp_storage` (see {@link RESOURCE_ATTRIBUTE_VALUES}).
 *
 * @example
 * ```ts
 * point.attributes[ATTR_RESOURCE]; // 'memory'
 * ```
 */
export const ATTR_RESOURCE = 'mcp_resource_guard.resource';

/**
 * Where a limit or gate applies: `call`, `tool`, `session`, `process`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_SCOPE]; // 'call'
 * ```
 */
export const ATTR_SCOPE = 'mcp_resource_guard.scope';

/**
 * Why a cleanup ran: `leak`, `limit`, `timeout`, `cancelled`, `deactivated`, `unregistered`,
 * `emergency`, `session_closed`, `closed`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_CLEANUP_REASON]; // 'leak'
 * ```
 */
export const ATTR_CLEANUP_REASON = 'mcp_resource_guard.cleanup.reason';

/**
 * Whether a cleanup closed the handles (`close`) or only reported them (`report`, the `leaks: 'report'` option).
 *
 * @example
 * ```ts
 * point.attributes[ATTR_CLEANUP_MODE]; // 'close'
 * ```
 */
export const ATTR_CLEANUP_MODE = 'mcp_resource_guard.cleanup.mode';

/**
 * A tool's lifecycle state: `registered`, `active`, `idle`, `error`, `deactivated`, `unregistered`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_TOOL_STATE]; // 'idle'
 * ```
 */
export const ATTR_TOOL_STATE = 'mcp_resource_guard.tool.state';

/**
 * What an admission gate did: `throttled`, `released`, `rejected`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_THROTTLE_ACTION]; // 'rejected'
 * ```
 */
export const ATTR_THROTTLE_ACTION = 'mcp_resource_guard.throttle.action';

/**
 * How a recovery attempt ended: `success` or `failure`.
 *
 * @example
 * ```ts
 * point.attributes[ATTR_RECOVERY_OUTCOME]; // 'success'
 * ```
 */
export const ATTR_RECOVERY_OUTCOME = 'mcp_resource_guard.recovery.outcome';

/**
 * Which call decided a recovery: `probe` (the half-open call after an emergency) or `next_call` (after a cleanup).
 *
 * @example
 * ```ts
 * point.attributes[ATTR_RECOVERY_VIA]; // 'probe'
 * ```
 */
export const ATTR_RECOVERY_VIA = 'mcp_resource_guard.recovery.via';

/**
 * Where in the guard an internal error happened: the part of core's source before any `:`
 * (`listener`, `source`, `middleware`, `sampler`, `cleanup`, `watchdog`, `audit`, ...).
 *
 * @example
 * ```ts
 * point.attributes[ATTR_INTERNAL_ERROR_SOURCE]; // 'listener'
 * ```
 */
export const ATTR_INTERNAL_ERROR_SOURCE = 'mcp_resource_guard.internal_error.source';
