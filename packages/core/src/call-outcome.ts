/** How a tool call ended. */

/**
 * How a tool call ended, as recorded by the guard and exported as `error.type`.
 *
 * - `ok`: the tool returned a result without `isError`.
 * - `tool_error`: the tool returned a result with `isError: true`.
 * - `thrown`: the tool (or the SDK around it) threw.
 * - `cancelled`: the client cancelled the request or its transport closed.
 * - `timeout`: the guard stopped the call at its execution-time limit.
 * - `limit`: the guard stopped the call at another resource limit.
 * - `rejected`: the guard did not admit the call (throttled or deactivated tool).
 *
 * @example
 * ```ts
 * import { CallOutcome } from '@mcp-resource-guard/core';
 * const failed = (o: CallOutcome) => o !== CallOutcome.Ok;
 * ```
 */
export const CallOutcome = {
  Ok: 'ok',
  ToolError: 'tool_error',
  Thrown: 'thrown',
  Cancelled: 'cancelled',
  Timeout: 'timeout',
  Limit: 'limit',
  Rejected: 'rejected',
} as const;

/** The union of {@link CallOutcome} values. */
export type CallOutcome = (typeof CallOutcome)[keyof typeof CallOutcome];

/**
 * Every {@link CallOutcome}, in a stable order (used to pre-size counters).
 *
 * @example
 * ```ts
 * import { CALL_OUTCOMES } from '@mcp-resource-guard/core';
 * const counts = Object.fromEntries(CALL_OUTCOMES.map((o) => [o, 0]));
 * ```
 */
export const CALL_OUTCOMES: readonly CallOutcome[] = Object.freeze(Object.values(CallOutcome));
