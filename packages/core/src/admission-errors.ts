/** The errors a call is refused or stopped with when its tool is deactivated or the guard is closed. */

import { ErrorCode, ResourceGuardError } from './errors.js';

/** Why a tool is deactivated: its owner disabled it, an emergency did, or it was removed. */
export type DeactivationCause = 'owner' | 'emergency' | 'removed';

/**
 * The `TOOL_DEACTIVATED` error for a tool.
 *
 * @param toolName - the tool
 * @param what - what happened to it, after its name ("was removed")
 * @param cause - who or what deactivated it
 * @param retryAfterMs - when a retry may succeed (an emergency's cool-down)
 * @returns the error
 */
export function toolDeactivatedError(
  toolName: string,
  what: string,
  cause: DeactivationCause,
  retryAfterMs?: number,
  scope?: 'session',
): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.ToolDeactivated,
    message: `Tool "${toolName}" ${what}`,
    hint:
      retryAfterMs === undefined
        ? 'The server owner must enable it again.'
        : `Retry after ${Math.ceil(retryAfterMs)} ms.`,
    data: {
      tool: toolName,
      cause,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs: Math.ceil(retryAfterMs) }),
      ...(scope === undefined ? {} : { scope }),
    },
  });
}

/**
 * The `GUARD_CLOSED` error.
 *
 * @returns the error
 */
export function guardClosedError(): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.GuardClosed,
    message: 'The resource guard is closed',
    hint: 'Calls in flight when the guard closes are stopped; create a new guard to track more calls.',
  });
}
