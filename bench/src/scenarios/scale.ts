/**
 * scale: does the guard's cost grow with the number of registered tools, or of sessions? And how much
 * memory does it keep per call in flight?
 */

import * as z from 'zod';
import { compareBareGuarded } from '../compare.js';
import { measureNoopCalls } from '../noop-tools.js';
import { type LoopSettings, OverheadResult, type RunContext, type Scenario } from '../scenario.js';
import { measureSessionCalls } from '../session-tools.js';
import { BytesPerCall, bytesPerCallTask, measureBytesPerCall } from './scale-memory.js';

const NAME = 'scale';
const FULL: LoopSettings = { warmupMs: 400, batchMs: 150, batches: 8, concurrency: 1 };
const QUICK: LoopSettings = { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 1 };

/** A bare-vs-guarded result, with its headline under a second name. */
const ScaleEntry = OverheadResult.extend({
  /** Same as `addedMicrosP50`. */
  addedMicros: z.number(),
});
type ScaleEntry = z.infer<typeof ScaleEntry>;

export const ScaleResult = z.object({
  tools1: ScaleEntry,
  tools1000: ScaleEntry,
  sessions1: ScaleEntry,
  sessions1000: ScaleEntry,
  bytesPerCall: BytesPerCall,
});
export type ScaleResult = z.infer<typeof ScaleResult>;

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

async function withSessions(ctx: RunContext, sessions: number): Promise<ScaleEntry> {
  const result = await compareBareGuarded(ctx, {
    scenario: NAME,
    label: `${NAME}.sessions${sessions}`,
    params: { tools: 1, sessions },
    loop: ctx.quick ? QUICK : FULL,
    rounds: ctx.quick ? 2 : 5,
  });
  return { addedMicros: result.addedMicrosP50, ...result };
}

export const scale: Scenario<ScaleResult> = {
  name: NAME,
  description:
    'Added µs per call with 1 and with 1000 registered no-op tools (calls cycle through all of them); InMemoryTransport, sequential.',
  figures: {
    'scale.tools1': 'Added µs per call with 1 registered tool.',
    'scale.tools1000': 'Added µs per call with 1000 registered tools, calls cycling through all of them.',
    'scale.sessions1': 'Added µs per call, calls through 1 session (one server and SDK client per session).',
    'scale.sessions1000': 'Added µs per call, calls cycling through 1000 sessions (one server and SDK client each).',
    'scale.bytesPerCall': 'Heap the guard holds per call in flight (10 000 calls in flight; target ≤ 2 KB).',
  },
  result: ScaleResult,
  async run(ctx) {
    const tools1 = await withTools(ctx, 1);
    const tools1000 = await withTools(ctx, 1000);
    const sessions1 = await withSessions(ctx, 1);
    const sessions1000 = await withSessions(ctx, 1000);
    const bytesPerCall = await measureBytesPerCall(ctx);
    return { tools1, tools1000, sessions1, sessions1000, bytesPerCall };
  },
  overheads: (r) => [
    [`${NAME}.tools1`, r.tools1],
    [`${NAME}.tools1000`, r.tools1000],
    [`${NAME}.sessions1`, r.sessions1],
    [`${NAME}.sessions1000`, r.sessions1000],
  ],
  summarize: (r) => [`${NAME}.bytesPerCall: ${r.bytesPerCall.value}`],
  measure: (request) =>
    request.params.sessions === undefined
      ? measureNoopCalls(request, Number(request.params.tools))
      : measureSessionCalls(request, Number(request.params.sessions)),
  task: (request) => bytesPerCallTask(request),
};
