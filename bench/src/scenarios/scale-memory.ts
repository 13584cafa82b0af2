/**
 * scale.bytesPerCall: heap the guard keeps per call in flight. In a child run with `--expose-gc`: admit
 * 10 000 calls, each having run a small piece of async work inside `call.run()`, let the sampler pass
 * over them, collect garbage, and divide the growth of `heapUsed` by 10 000; with all probes on and with
 * `probes: false`. The harness's own array of call references (8 bytes a call) is included.
 */

import * as z from 'zod';
import type { RunContext, TaskRequest } from '../scenario.js';
import { median, round } from '../stats.js';

const CALLS = 10_000;
const QUICK_CALLS = 2000;

declare const gc: (() => void) | undefined;

function collect(): number {
  if (typeof gc !== 'function') throw new Error('run with --expose-gc');
  for (let i = 0; i < 3; i++) gc();
  return process.memoryUsage().heapUsed;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** What one child measures. */
const BytesPerCallSample = z.object({
  /** Growth of `heapUsed` per call in flight. */
  bytesPerCall: z.number(),
  /** The same once every call has ended. */
  retainedAfterEndBytesPerCall: z.number(),
  /** Calls in flight by the guard's count (a check). */
  inFlight: z.number(),
  calls: z.number(),
});
type BytesPerCallSample = z.infer<typeof BytesPerCallSample>;

/** One configuration (probes on or off): medians over its children. */
const BytesPerCallMedians = z.object({
  bytesPerCall: z.number(),
  retainedAfterEndBytesPerCall: z.number(),
  /** Each child's `bytesPerCall`. */
  samples: z.array(z.number()),
});
type BytesPerCallMedians = z.infer<typeof BytesPerCallMedians>;

/** `scale.bytesPerCall`: heap per call in flight with all probes on and with `probes: false`. */
export const BytesPerCall = z.object({
  /** The headline: `probesOn.bytesPerCall`. */
  value: z.number(),
  probesOn: BytesPerCallMedians,
  probesOff: BytesPerCallMedians,
  calls: z.number(),
  /** Children per configuration. */
  rounds: z.number(),
  measuredAt: z.string(),
});
export type BytesPerCall = z.infer<typeof BytesPerCall>;

/**
 * In a child: the heap growth per call in flight.
 *
 * @param request - `probes` (boolean) and `calls`
 * @returns bytes per call in flight, and per call after they all ended
 */
export async function bytesPerCallTask(request: TaskRequest): Promise<BytesPerCallSample> {
  const probes = request.params.probes === true;
  const calls = Number(request.params.calls);
  const { loadCore } = await import('../core.js');
  const core = await loadCore();
  const guard = core.createResourceGuard(probes ? {} : { probes: false });
  guard.registerTool('work');
  const work = async (): Promise<number> => {
    await Promise.resolve();
    return 1;
  };
  // Warm-up: lazily created structures (tool record, probes, sampler state) exist before the baseline.
  for (let i = 0; i < 200; i++) {
    const call = core.tryAdmit(guard, { toolName: 'work' }) ?? (await guard.admit({ toolName: 'work' }));
    await call.run(work);
    call.end('ok');
  }
  await sleep(120);
  const held: import('../core.js').ToolCall[] = new Array(calls);
  const before = collect();
  for (let i = 0; i < calls; i++) {
    const call = core.tryAdmit(guard, { toolName: 'work' }) ?? (await guard.admit({ toolName: 'work' }));
    await call.run(work);
    held[i] = call;
  }
  // Let the sampler pass over them (its per-call state is part of the bookkeeping).
  await sleep(150);
  const inFlight = collect();
  const snapshot = guard.snapshot();
  for (const call of held) call.end('ok');
  held.fill(undefined as never);
  await sleep(150);
  const after = collect();
  await guard.close();
  return {
    bytesPerCall: round((inFlight - before) / calls, 4),
    retainedAfterEndBytesPerCall: round((after - before) / calls, 4),
    inFlight: snapshot.inFlight,
    calls,
  };
}

/**
 * In the runner: two children per configuration (probes on, probes off), medians.
 *
 * @param ctx - the runner's context
 * @returns the figures
 */
export async function measureBytesPerCall(ctx: RunContext): Promise<BytesPerCall> {
  const calls = ctx.quick ? QUICK_CALLS : CALLS;
  const rounds = ctx.quick ? 1 : 3;
  const measureWith = async (probes: boolean): Promise<BytesPerCallMedians> => {
    const runs: BytesPerCallSample[] = [];
    for (let r = 0; r < rounds; r++) {
      const { result } = await ctx.runTask(
        { scenario: 'scale', task: 'bytesPerCall', params: { probes, calls } },
        BytesPerCallSample,
        { nodeOptions: ['--expose-gc'] },
      );
      if (result.inFlight !== calls)
        throw new Error(`bytesPerCall: ${result.inFlight} calls in flight, expected ${calls}`);
      runs.push(result);
    }
    const medians = {
      bytesPerCall: round(median(runs.map((r) => r.bytesPerCall)), 4),
      retainedAfterEndBytesPerCall: round(median(runs.map((r) => r.retainedAfterEndBytesPerCall)), 4),
      samples: runs.map((r) => r.bytesPerCall),
    };
    ctx.log(`scale.bytesPerCall (probes ${probes ? 'on' : 'off'}): ${medians.bytesPerCall} B per call in flight`);
    return medians;
  };
  const probesOn = await measureWith(true);
  const probesOff = await measureWith(false);
  return { value: probesOn.bytesPerCall, probesOn, probesOff, calls, rounds, measuredAt: new Date().toISOString() };
}
