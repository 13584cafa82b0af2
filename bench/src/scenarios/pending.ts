/**
 * Scenarios the product cannot run yet. Each reports `{ value: null, reason }` until the feature it
 * needs exists; then it moves to a file of its own, like overhead-trivial.ts.
 */

import type { Scenario } from '../scenario.js';
import { notImplemented } from '../scenario.js';

function pending(name: string, description: string, needs: string): Scenario {
  const result = notImplemented(needs);
  return { name, description, run: async () => result };
}

export const pendingScenarios: readonly Scenario[] = [
  pending(
    'cleanup',
    'Time from a call ending to everything it left open being closed (target < 50 ms).',
    'the cleanup sequence (tracking and force-closing what a call leaves open)',
  ),
  pending(
    'reclamationRate',
    'Share of the resources a call leaked that cleanup gives back (target > 95 %).',
    'the resource probes and the cleanup sequence',
  ),
  pending(
    'falsePositiveRate',
    'Share of calls within their limits that are wrongly flagged (target < 1 %).',
    'limit enforcement (the resource probes and graduated responses)',
  ),
  pending(
    'leakDetection',
    'Share of leaked handles (files, sockets, timers, child processes) detected (target > 99 %).',
    'per-call handle tracking',
  ),
  pending(
    'recoveryRate',
    'Share of failed or stopped calls after which the tool serves the next call normally (target > 90 %).',
    'error recovery in the tool lifecycle',
  ),
  pending(
    'cpuAttribution',
    'Accuracy of CPU time attributed to each of several concurrent calls.',
    'the per-call CPU probe',
  ),
  pending(
    'sampler',
    'Cost of the periodic resource sampler, and its detection delay for a limit breach.',
    'the resource sampler',
  ),
];
