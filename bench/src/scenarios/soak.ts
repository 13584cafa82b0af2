/**
 * soak: the soak (soak-run.ts) at full size, 100 000 calls, in a child started with `--expose-gc`, so that its
 * figures land in the results file and BENCHMARKS.md. Runs only when named (`--scenario soak`): a full bench
 * run keeps its previous result. Known bugs of the guard are counted apart (`allowKnownIssues`) and shown.
 */

import * as z from 'zod';
import type { Scenario } from '../scenario.js';
import { runSoak, SoakSummary } from '../soak-run.js';

const NAME = 'soak';
const FULL_CALLS = 100_000;
const QUICK_CALLS = 2000;
const MAX_SECONDS = 1800;

/** The soak's summary (its own `seconds` are the measured run's) and the child's run. */
export const SoakResult = SoakSummary.extend({
  /** CPU cores other processes kept busy while the child ran; null off Linux. */
  backgroundCores: z.number().nullable(),
  /** Wall-clock seconds of the child, warm-up and start-up included. */
  childSeconds: z.number(),
  measuredAt: z.string(),
});
export type SoakResult = z.infer<typeof SoakResult>;

export const soak: Scenario<SoakResult> = {
  name: NAME,
  description:
    'The soak: 100 000 mixed calls (leaky tools of every kind, failures, cancels, calls stopped at their limit) over InMemoryTransport and Streamable HTTP, 16 in flight, sessions opened and closed throughout; descriptors, live handles and the objects in the heap after gc back within 5 % of the baseline taken after the warm-up; no process a call started left alive; every call answered; cleanup events and audit entries for exactly the calls that left something open.',
  onRequest: true,
  result: SoakResult,
  async run(ctx) {
    const calls = ctx.quick ? QUICK_CALLS : FULL_CALLS;
    const { result, backgroundCores, seconds } = await ctx.runTask(
      { scenario: NAME, task: 'soak', params: { calls, maxSeconds: MAX_SECONDS } },
      SoakSummary,
      { nodeOptions: ['--expose-gc'], timeoutMs: (MAX_SECONDS + 600) * 1000 },
    );
    return { ...result, backgroundCores, childSeconds: seconds, measuredAt: new Date().toISOString() };
  },
  summarize(r) {
    return [
      `${NAME}: ${r.ok ? 'ok' : 'FAILED'}, ${JSON.stringify(r.calls)} in ${r.seconds} s ` +
        `(${r.callsPerSec} calls/s); ${JSON.stringify(r.resources)}; known issues ${JSON.stringify(r.knownIssues)}`,
    ];
  },
  async task(request): Promise<SoakSummary> {
    return runSoak({
      calls: Number(request.params.calls),
      maxSeconds: Number(request.params.maxSeconds),
      allowKnownIssues: true,
      log: (message) => console.error(`[soak ${process.version}] ${message}`),
    });
  },
};
