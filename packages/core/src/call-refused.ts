/** Why the guard refused a call at admission, and the error it is refused with. */

import { ErrorCode, ResourceGuardError } from './errors.js';
import type { LimitLevel } from './limit-level.js';
import type { LimitScope } from './resource-limit-exceeded.js';
import type { ResourceName } from './resource-usage.js';

/**
 * What refused a call:
 *
 * - `queue_full`: the scope is throttled (a limit at its throttle level, or its concurrency cap) and its
 *   wait queue is full.
 * - `wait_timeout`: the call waited in the queue of a throttled scope for `throttle.maxWaitMs`.
 * - `emergency`: an emergency's cool-down (the tool's, this session's use of the tool, the session's or
 *   the process's).
 * - `probing`: the tool's cool-down has ended and its one probe call is running.
 * - `owner`: the server's owner disabled the tool.
 * - `removed`: the tool was unregistered.
 *
 * @example
 * ```ts
 * import { CallRefused, type RefusalCause } from '@mcp-resource-guard/core';
 * function retryable(cause: RefusalCause): boolean {
 *   return cause !== 'owner' && cause !== 'removed';
 * }
 * function onError(e: unknown): void {
 *   if (CallRefused.is(e) && retryable(e.refusal.cause)) console.error(`retry in ${e.refusal.retryAfterMs} ms`);
 * }
 * ```
 */
export type RefusalCause = 'queue_full' | 'wait_timeout' | 'emergency' | 'probing' | 'owner' | 'removed';

/**
 * A refused call: everything the error, the `throttle` event, the audit entry and the client's answer
 * say about it.
 *
 * @example
 * ```ts
 * import { createResourceGuard, CallRefused } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * guard.registerTool('deploy');
 * guard.disableTool('deploy');
 * try {
 *   await guard.admit({ toolName: 'deploy' });
 * } catch (e) {
 *   if (CallRefused.is(e)) console.error(e.refusal); // { code: 'TOOL_DEACTIVATED', cause: 'owner', scope: 'tool', ... }
 * }
 * ```
 */
export interface Refusal {
  /** `THROTTLED` (a throttled or blocked scope) or `TOOL_DEACTIVATED` (the tool, or its use by this session). */
  readonly code: typeof ErrorCode.Throttled | typeof ErrorCode.ToolDeactivated;
  /** What refused it. */
  readonly cause: RefusalCause;
  /** The scope that refused: the tool, the session (its budget, or its use of the tool), or the process. */
  readonly scope: Exclude<LimitScope, 'call'>;
  /** The tool the call was for. */
  readonly toolName: string;
  /** The call's session, if any. */
  readonly sessionId: string | undefined;
  /** The resource whose limit throttles the scope, when one does (not a concurrency cap). */
  readonly resource: ResourceName | undefined;
  /** That limit's level. */
  readonly level: LimitLevel | undefined;
  /** When a retry may succeed; undefined when only the owner can re-enable the tool. */
  readonly retryAfterMs: number | undefined;
}

function describe(r: Refusal): { message: string; hint: string } {
  const tool = `Tool "${r.toolName}"`;
  const retry = r.retryAfterMs === undefined ? undefined : `Retry after ${Math.ceil(r.retryAfterMs)} ms.`;
  switch (r.cause) {
    case 'owner':
      return { message: `${tool} is deactivated by the server`, hint: 'The server owner must enable it again.' };
    case 'removed':
      return { message: `${tool} was removed`, hint: 'The server owner must register it again.' };
    case 'probing':
      return { message: `${tool} is being probed after an emergency`, hint: retry ?? '' };
    case 'emergency':
      return {
        message:
          r.scope === 'tool'
            ? `${tool} is deactivated after an emergency`
            : r.code === ErrorCode.ToolDeactivated
              ? `${tool} is refused to this session after an emergency in one of its calls`
              : `Calls are refused after an emergency (${r.scope} scope)`,
        hint: retry ?? '',
      };
    default: {
      const what = r.resource === undefined ? 'its concurrency cap' : `${r.resource} at ${r.level} level`;
      const why = r.cause === 'queue_full' ? 'queue full' : 'waited too long in the queue';
      const key = r.scope === 'tool' ? ` "${r.toolName}"` : r.scope === 'session' ? ` "${r.sessionId}"` : '';
      return {
        message: `The ${r.scope}${key} is throttled (${what}); ${tool} was not admitted (${why})`,
        hint: retry ?? '',
      };
    }
  }
}

/**
 * A call the guard refused at admission (`THROTTLED` or `TOOL_DEACTIVATED`). The middleware answers it
 * with an `isError` result saying when to retry; the `throttle` event and the audit entry carry the same
 * {@link Refusal}.
 *
 * @example
 * ```ts
 * import { CallRefused, createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * try {
 *   const call = await guard.admit({ toolName: 'search', sessionId: 's1' });
 *   call.end('ok');
 * } catch (e) {
 *   if (!CallRefused.is(e)) throw e;
 *   const { cause, scope, retryAfterMs } = e.refusal;
 *   console.error(`refused by the ${scope} (${cause}); retry after ${retryAfterMs ?? 'never'} ms`);
 * }
 * ```
 */
export class CallRefused extends ResourceGuardError {
  /** Why the call was refused. */
  readonly refusal: Refusal;

  /** @param refusal - why the call was refused */
  constructor(refusal: Refusal) {
    const { message, hint } = describe(refusal);
    super({ code: refusal.code, message, hint, data: refusalData(refusal) });
    this.name = 'CallRefused';
    this.refusal = refusal;
  }

  /**
   * True when `value` is a refusal at admission (from any copy of the package).
   *
   * @param value - anything caught
   * @returns whether it is a {@link CallRefused}
   * @example
   * ```ts
   * import { CallRefused } from '@mcp-resource-guard/core';
   * function retryAfter(e: unknown): number | undefined {
   *   return CallRefused.is(e) ? e.refusal.retryAfterMs : undefined;
   * }
   * ```
   */
  static override is(value: unknown): value is CallRefused {
    return (
      ResourceGuardError.is(value) &&
      typeof (value as { refusal?: unknown }).refusal === 'object' &&
      (value.code === ErrorCode.Throttled || value.code === ErrorCode.ToolDeactivated)
    );
  }
}

/** The error's `data` (and the client's `_meta`): the refusal's defined fields, under their wire names. */
function refusalData(r: Refusal): Readonly<Record<string, unknown>> {
  const data: Record<string, unknown> = { tool: r.toolName, scope: r.scope, cause: r.cause };
  if (r.resource !== undefined) data.resource = r.resource;
  if (r.level !== undefined) data.level = r.level;
  if (r.retryAfterMs !== undefined) data.retryAfterMs = Math.ceil(r.retryAfterMs);
  return data;
}
