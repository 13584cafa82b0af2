/** How the guard's values become attribute values: closed, low-cardinality sets only. */

import type { CallOutcome, ResourceName } from '@mcp-resource-guard/core';
import { ERROR_TYPE_OTHER } from './semantic-conventions.js';

/**
 * `error.type` for an outcome: the convention's `tool_error` for in-band errors, our own
 * low-cardinality values otherwise; undefined on success.
 *
 * | outcome      | `error.type`     |
 * | ------------ | ---------------- |
 * | `ok`         | (absent)         |
 * | `tool_error` | `tool_error`     |
 * | `thrown`     | `_OTHER`         |
 * | `cancelled`  | `cancelled`      |
 * | `timeout`    | `timeout`        |
 * | `limit`      | `resource_limit` |
 * | `rejected`   | `rejected`       |
 *
 * @param outcome - how the call ended
 * @returns the attribute value, or undefined for `ok`
 * @example
 * ```ts
 * import { errorTypeOf } from '@mcp-resource-guard/otel-exporter';
 * errorTypeOf('timeout'); // 'timeout'
 * errorTypeOf('limit'); // 'resource_limit'
 * errorTypeOf('ok'); // undefined: no `error.type` on success
 * ```
 */
export function errorTypeOf(outcome: CallOutcome): string | undefined {
  switch (outcome) {
    case 'ok':
      return undefined;
    case 'thrown':
      return ERROR_TYPE_OTHER;
    case 'limit':
      return 'resource_limit';
    default:
      return outcome;
  }
}

/**
 * The value of `mcp_resource_guard.resource` for each of core's resource names: snake case, without
 * the unit core's names carry (the unit belongs to the metric, not to the attribute).
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { RESOURCE_ATTRIBUTE_VALUES } from '@mcp-resource-guard/otel-exporter';
 * RESOURCE_ATTRIBUTE_VALUES.memoryMb; // 'memory'
 * // Log level changes with the same resource names as the metrics.
 * createResourceGuard().on('limit', (e) => console.error(e.tool, RESOURCE_ATTRIBUTE_VALUES[e.resource], e.level));
 * ```
 */
export const RESOURCE_ATTRIBUTE_VALUES: Readonly<Record<ResourceName, string>> = Object.freeze({
  memoryMb: 'memory',
  cpuPercent: 'cpu_percent',
  cpuTimeMs: 'cpu_time',
  fileHandles: 'file_handles',
  networkConnections: 'network_connections',
  executionTimeMs: 'execution_time',
  tempStorageMb: 'temp_storage',
});

const SOURCE_PATTERN = /^[a-z][a-z0-9_]{0,31}$/i;

/**
 * The value of `mcp_resource_guard.internal_error.source`: the part of core's source before the first
 * `:` (core appends listener and usage-source names after it), or `_OTHER` when it is not a short word.
 *
 * @param source - the `source` of an `internalError` event, e.g. `listener:call`
 * @returns a value from a small closed set
 * @example
 * ```ts
 * import { internalErrorSourceOf } from '@mcp-resource-guard/otel-exporter';
 * internalErrorSourceOf('source:my-probe'); // 'source'
 * internalErrorSourceOf('listener:call'); // 'listener'
 * internalErrorSourceOf('not a word'); // '_OTHER'
 * ```
 */
export function internalErrorSourceOf(source: string): string {
  const head = String(source).split(':', 1)[0] ?? '';
  return SOURCE_PATTERN.test(head) ? head : ERROR_TYPE_OTHER;
}
