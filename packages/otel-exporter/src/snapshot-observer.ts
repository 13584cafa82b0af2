/** From one `guard.snapshot()` to the observable instruments, in one batch callback per collection. */

import { type GuardSnapshot, TOOL_STATES } from '@mcp-resource-guard/core';
import type { BatchObservableResult } from '@opentelemetry/api';
import { ATTR_SCOPE, ATTR_TOOL_STATE } from './attribute-names.js';
import type { GuardInstruments } from './guard-instruments.js';
import { ATTR_GEN_AI_TOOL_NAME } from './semantic-conventions.js';

/**
 * Observes per tool: calls in flight and queued, one status series per lifecycle state (1 for the
 * current state, 0 for the others), throttled (0/1) and the recovery rate once the tool has had a
 * recovery attempt; and process-wide: throttled (0/1).
 *
 * @param result - the batch result of this collection
 * @param i - the instruments
 * @param snapshot - the guard's state now
 * @example
 * ```ts
 * meter.addBatchObservableCallback((r) => observeSnapshot(r, instruments, guard.snapshot()), observablesOf(instruments));
 * ```
 */
export function observeSnapshot(result: BatchObservableResult, i: GuardInstruments, snapshot: GuardSnapshot): void {
  for (const [name, tool] of Object.entries(snapshot.tools)) {
    const attributes = { [ATTR_GEN_AI_TOOL_NAME]: name };
    result.observe(i.toolCallsInFlight, tool.inFlight, attributes);
    result.observe(i.toolCallsQueued, tool.queued, attributes);
    for (const state of TOOL_STATES) {
      result.observe(i.toolStatus, tool.state === state ? 1 : 0, { ...attributes, [ATTR_TOOL_STATE]: state });
    }
    result.observe(i.throttled, tool.throttled ? 1 : 0, { ...attributes, [ATTR_SCOPE]: 'tool' });
    if (tool.recovery.rate !== undefined) result.observe(i.toolRecoveryRate, tool.recovery.rate, attributes);
  }
  result.observe(i.throttled, snapshot.processThrottled ? 1 : 0, { [ATTR_SCOPE]: 'process' });
}
