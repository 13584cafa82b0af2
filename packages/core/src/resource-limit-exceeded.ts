/** The reason a call's signal carries when the guard stops it at a limit. */

import { ErrorCode, ResourceGuardError } from './errors.js';
import type { LimitLevel } from './limit-level.js';
import type { LimitName } from './resource-limits.js';
import type { ResourceName } from './resource-usage.js';

/** The scope whose limit was reached: the call itself, all calls of its tool, its session, or the process. */
export type LimitScope = 'call' | 'tool' | 'session' | 'process';

/**
 * What {@link ResourceLimitExceeded} carries.
 *
 * @example
 * ```ts
 * const detail: LimitExceededDetail = { scope: 'call', resource: 'executionTimeMs', limitName: 'maxExecutionTimeMs', usage: 30012, limit: 30000, level: 'cleanup', toolName: 'search' };
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
 * import { ResourceLimitExceeded } from '@mcp-resource-guard/core';
 * signal.addEventListener('abort', () => {
 *   if (ResourceLimitExceeded.is(signal.reason)) console.error(signal.reason.resource, signal.reason.limit);
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
   * if (ResourceLimitExceeded.is(err)) console.error(err.resource);
   * ```
   */
  static override is(value: unknown): value is ResourceLimitExceeded {
    return ResourceGuardError.is(value) && value.code === ErrorCode.LimitExceeded;
  }
}
