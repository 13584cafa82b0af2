/**
 * scale.bytesPerCall: heap the guard keeps per call in flight. In a child run with `--expose-gc`: admit
 * 10 000 calls, each having run a small piece of async work inside `call.run()`, let the sampler pass
 * over them, collect garbage, and divide the growth of `heapUsed` by 10 000; with all probes on and with
 * `probes: false`. The harness's own array of call references (8 bytes a call) is included.
 */

import type { JsonObject, RunContext, TaskRequest } from '../scenario.js';
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

/**
 * In a child: the heap growth per call in flight.
 *
 * @param request - `probes` (boolean) and `calls`
 * @returns bytes per call in flight, and per call after they all ended
 */
export async function bytesPerCallTask(request: TaskRequest): Promise<JsonObject> {
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
export async function measureBytesPerCall(ctx: RunContext): Promise<JsonObject> {
  const calls = ctx.quick ? QUICK_CALLS : CALLS;
  const rounds = ctx.quick ? 1 : 3;
  const out: Record<string, JsonObject> = {};
  for (const probes of [true, false]) {
    const runs: JsonObject[] = [];
    for (let r = 0; r < rounds; r++) {
      const { result } = await ctx.runTask(
        { scenario: 'scale', task: 'bytesPerCall', params: { probes, calls } },
        { nodeOptions: ['--expose-gc'] },
      );
      if (result.inFlight !== calls)
        throw new Error(`bytesPerCall: ${String(result.inFlight)} calls in flight, expected ${calls}`);
      runs.push(result);
    }
    const pick = (key: string): number => round(median(runs.map((r) => Number(r[key]))), 4);
    out[probes ? 'probesOn' : 'probesOff'] = {
      bytesPerCall: pick('bytesPerCall'),
      retainedAfterEndBytesPerCall: pick('retainedAfterEndBytesPerCall'),
      samples: runs.map((r) => Number(r.bytesPerCall)),
    };
    ctx.log(
      `scale.bytesPerCall (probes ${probes ? 'on' : 'off'}): ${String(out[probes ? 'probesOn' : 'probesOff']?.bytesPerCall)} B per call in flight`,
    );
  }
  return { value: out.probesOn?.bytesPerCall ?? null, ...out, calls, rounds, measuredAt: new Date().toISOString() };
}
