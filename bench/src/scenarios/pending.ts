/**
 * Scenarios the product cannot run yet. Each reports `{ value: null, reason }` until the feature it
 * needs exists; then it moves to a file of its own, like overhead-trivial.ts. None is waiting now.
 */

import { NotMeasured, notImplemented, type Scenario } from '../scenario.js';

/**
 * A scenario that reports `{ value: null, reason }`.
 *
 * @param name - its name
 * @param description - one line for BENCHMARKS.md
 * @param needs - the feature it waits for
 * @returns the scenario
 */
export function pending(name: string, description: string, needs: string): Scenario<NotMeasured> {
  const result = notImplemented(needs);
  return { name, description, result: NotMeasured, run: async () => result, notMeasured: (r) => [[name, r]] };
}

export const pendingScenarios: readonly Scenario<NotMeasured>[] = [];
