/** scale: does the guard's cost grow with the number of registered tools? (Sessions and memory: not yet.) */

import { compareBareGuarded } from '../compare.js';
import { measureNoopCalls } from '../noop-tools.js';
import type { LoopSettings, OverheadResult, RunContext, Scenario } from '../scenario.js';
import { notImplemented } from '../scenario.js';

const NAME = 'scale';
const FULL: LoopSettings = { warmupMs: 400, batchMs: 150, batches: 8, concurrency: 1 };
const QUICK: LoopSettings = { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 1 };

/** A bare-vs-guarded result with the key the scale table reads. */
interface ScaleEntry extends OverheadResult {
  /** Same as `addedMicrosP50`. */
  readonly addedMicros: number;
}

async function withTools(ctx: RunContext, tools: number): Promise<ScaleEntry> {
  const result = await compareBareGuarded(ctx, {
    scenario: NAME,
    label: `${NAME}.tools${tools}`,
    params: { tools },
    loop: ctx.quick ? QUICK : FULL,
    rounds: ctx.quick ? 2 : 5,
  });
  return { addedMicros: result.addedMicrosP50, ...result };
}

export const scale: Scenario = {
  name: NAME,
  description:
    'Added µs per call with 1 and with 1000 registered no-op tools (calls cycle through all of them); InMemoryTransport, sequential.',
  figures: {
    'scale.tools1': 'Added µs per call with 1 registered tool.',
    'scale.tools1000': 'Added µs per call with 1000 registered tools, calls cycling through all of them.',
    'scale.sessions': 'Added µs per call with many concurrent sessions.',
    'scale.bytesPerCall': 'Memory the guard holds per call in flight.',
  },
  async run(ctx) {
    const tools1 = await withTools(ctx, 1);
    const tools1000 = await withTools(ctx, 1000);
    return {
      tools1,
      tools1000,
      sessions: notImplemented('per-session tracking and limits'),
      bytesPerCall: notImplemented('per-call memory accounting (the memory probe)'),
    };
  },
  measure: (request) => measureNoopCalls(request, Number(request.params.tools)),
};
