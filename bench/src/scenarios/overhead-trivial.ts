/** overhead.trivial: what the guard adds to the cheapest possible call (no-op tool, in-memory, sequential). */

import { compareBareGuarded } from '../compare.js';
import { measureNoopCalls } from '../noop-tools.js';
import { type LoopSettings, OverheadResult, type Scenario } from '../scenario.js';

const NAME = 'overhead.trivial';
// Node 24's figures settle only after ~1.5 s of calls (its JIT tiers): a shorter warm-up measured it at half speed.
const FULL: LoopSettings = { warmupMs: 2000, batchMs: 150, batches: 10, concurrency: 1 };
const QUICK: LoopSettings = { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 1 };

export const overheadTrivial: Scenario<OverheadResult> = {
  name: NAME,
  description: 'No-op tool on an McpServer over InMemoryTransport, real SDK Client, sequential calls.',
  result: OverheadResult,
  run: (ctx) =>
    compareBareGuarded(ctx, {
      scenario: NAME,
      label: NAME,
      params: { tools: 1 },
      loop: ctx.quick ? QUICK : FULL,
      rounds: ctx.quick ? 2 : 6,
    }),
  overheads: (result) => [[NAME, result]],
  measure: (request) => measureNoopCalls(request, 1),
};
