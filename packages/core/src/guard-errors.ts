/** The errors a call in flight is stopped with when its tool is deactivated or removed, or the guard closed. */

import { ErrorCode, ResourceGuardError } from './errors.js';

/** Why a tool's calls in flight were stopped: its owner disabled it, or removed it. */
export type DeactivationCause = 'owner' | 'removed';

/**
 * The `TOOL_DEACTIVATED` error a call in flight is stopped with when its owner disables or removes its tool.
 *
 * @param toolName - the tool
 * @param cause - disabled by the owner, or removed
 * @returns the error
 */
export function toolDeactivatedError(toolName: string, cause: DeactivationCause): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.ToolDeactivated,
    message: `Tool "${toolName}" ${cause === 'owner' ? 'was deactivated' : 'was removed'}`,
    hint: 'The server owner must enable it again.',
    data: { tool: toolName, cause },
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
