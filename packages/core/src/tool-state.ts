/** The per-tool lifecycle of the specification: registration, activation, operation, deactivation, unregistration, error. */

/**
 * Where a tool is in its lifecycle.
 *
 * - `registered`: known, never called yet (sampled at the idle rate).
 * - `active`: calls in flight (sampled at the active rate).
 * - `idle`: no call in flight (idle rate).
 * - `error`: no call in flight, and the last one failed (thrown, timeout, limit) (idle rate).
 * - `deactivated`: disabled by the owner, or by the emergency level during its cool-down; calls are
 *   refused; in-flight calls were cleaned up (deactivated rate).
 * - `unregistered`: removed; everything cleaned up; no longer tracked.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ToolState } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * guard.on('state', (e) => console.error(`${e.tool}: ${e.from} -> ${e.to} (${e.reason})`));
 * // Events report registration, deactivation, reactivation and unregistration; the per-call changes
 * // between active, idle and error are visible in the snapshot.
 * const state: ToolState | undefined = guard.snapshot().tools.search?.state;
 * ```
 */
export type ToolState = 'registered' | 'active' | 'idle' | 'error' | 'deactivated' | 'unregistered';

/**
 * Every {@link ToolState}.
 *
 * @example
 * ```ts
 * import { TOOL_STATES } from '@mcp-resource-guard/core';
 * TOOL_STATES.includes('idle'); // true
 * ```
 */
export const TOOL_STATES: readonly ToolState[] = Object.freeze([
  'registered',
  'active',
  'idle',
  'error',
  'deactivated',
  'unregistered',
]);
