/** The reason a call's signal carries when the guard stops it at a limit. */

import { ErrorCode, ResourceGuardError } from './errors.js';
import type { LimitLevel } from './limit-level.js';
import type { LimitName } from './resource-limits.js';
import type { ResourceName } from './resource-usage.js';

/**
 * The scope whose limit was reached: the call itself, all calls of its tool, its session, or the process.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LimitScope } from '@mcp-resource-guard/core';
 * const emergencies: Record<LimitScope, number> = { call: 0, tool: 0, session: 0, process: 0 };
 * createResourceGuard().on('emergency', (e) => {
 *   emergencies[e.scope]++;
 * });
 * ```
 */
export type LimitScope = 'call' | 'tool' | 'session' | 'process';

/**
 * What {@link ResourceLimitExceeded} carries.
 *
 * @example
 * ```ts
 * import { type LimitExceededDetail, ResourceLimitExceeded } from '@mcp-resource-guard/core';
 * const detail: LimitExceededDetail = {
 *   scope: 'call',
 *   resource: 'executionTimeMs',
 *   limitName: 'maxExecutionTimeMs',
 *   usage: 30_012,
 *   limit: 30_000,
 *   level: 'cleanup',
 *   toolName: 'search',
 * };
 * console.error(new ResourceLimitExceeded(detail).message);
 * // 'Tool "search" was stopped: the call reached 30012 ms, cleanup level of maxExecutionTimeMs 30000. Make the
 * // call faster, honour its AbortSignal, or raise maxExecutionTimeMs for this tool.'
 * ```
 */
export interface LimitExceededDetail {
  readonly scope: LimitScope;
  readonly resource: ResourceName;
  readonly limitName: LimitName;
  /** The usage that crossed the level. */
  readonly usage: number;
  readonly limit: number;
  readonly level: LimitLevel;
  readonly toolName: string;
  readonly callId?: string | undefined;
  readonly sessionId?: string | undefined;
}

const UNITS: Readonly<Record<ResourceName, string>> = {
  memoryMb: 'MiB',
  cpuPercent: '% CPU',
  cpuTimeMs: 'ms CPU',
  fileHandles: 'file handles',
  networkConnections: 'connections',
  executionTimeMs: 'ms',
  tempStorageMb: 'MiB temp storage',
};

function round(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

/**
 * A call was stopped because usage reached a limit (the cleanup level, or the emergency level). It is
 * the `reason` of the call's `AbortSignal`, with code `LIMIT_EXCEEDED`.
 *
 * @example
 * ```ts
 * import { getCallContext, ResourceLimitExceeded } from '@mcp-resource-guard/core';
 * // Inside a tool: say which limit stopped the work.
 * const { signal } = getCallContext();
 * signal.addEventListener('abort', () => {
 *   const reason: unknown = signal.reason;
 *   if (ResourceLimitExceeded.is(reason)) console.error(reason.limitName, reason.usage, reason.limit);
 * });
 * ```
 */
export class ResourceLimitExceeded extends ResourceGuardError {
  readonly scope: LimitScope;
  readonly resource: ResourceName;
  readonly limitName: LimitName;
  readonly usage: number;
  readonly limit: number;
  readonly level: LimitLevel;
  readonly toolName: string;

  constructor(detail: LimitExceededDetail) {
    const unit = UNITS[detail.resource];
    const where =
      detail.scope === 'call' ? 'the call' : detail.scope === 'tool' ? 'all calls of the tool' : `the ${detail.scope}`;
    super({
      code: ErrorCode.LimitExceeded,
      message: `Tool "${detail.toolName}" was stopped: ${where} reached ${round(detail.usage)} ${unit}, ${detail.level} level of ${detail.limitName} ${round(detail.limit)}`,
      hint:
        detail.resource === 'executionTimeMs'
          ? 'Make the call faster, honour its AbortSignal, or raise maxExecutionTimeMs for this tool.'
          : `Reduce the tool's ${detail.resource}, or raise ${detail.limitName} for this tool.`,
      data: { ...detail },
    });
    this.name = 'ResourceLimitExceeded';
    this.scope = detail.scope;
    this.resource = detail.resource;
    this.limitName = detail.limitName;
    this.usage = detail.usage;
    this.limit = detail.limit;
    this.level = detail.level;
    this.toolName = detail.toolName;
  }

  /**
   * True when `value` is a guard error with code `LIMIT_EXCEEDED` (from any copy of the package).
   *
   * @param value - anything
   * @returns whether it is a limit stop
   * @example
   * ```ts
   * import { getCallContext, ResourceLimitExceeded } from '@mcp-resource-guard/core';
   * // Inside a tool: fetch rejects with the signal's reason when the guard stops the call.
   * try {
   *   await fetch('https://example.com/large.json', { signal: getCallContext().signal });
   * } catch (err) {
   *   if (ResourceLimitExceeded.is(err)) console.error(`stopped at ${err.limitName} ${err.limit}`);
   *   throw err;
   * }
   * ```
   */
  static override is(value: unknown): value is ResourceLimitExceeded {
    return ResourceGuardError.is(value) && value.code === ErrorCode.LimitExceeded;
  }
}
