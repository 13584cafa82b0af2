/**
 * soak: the soak (soak-run.ts) at full size, 100 000 calls, in a child started with `--expose-gc`, so that its
 * figures land in the results file and BENCHMARKS.md. Runs only when named (`--scenario soak`): a full bench
 * run keeps its previous result. Known bugs of the guard are counted apart (`allowKnownIssues`) and shown.
 */

import type { JsonObject, Scenario } from '../scenario.js';
import { runSoak } from '../soak-run.js';

const NAME = 'soak';
const FULL_CALLS = 100_000;
const QUICK_CALLS = 2000;
const MAX_SECONDS = 1800;

export const soak: Scenario = {
  name: NAME,
  description:
    'The soak: 100 000 mixed calls (leaky tools of every kind, failures, cancels, calls stopped at their limit) over InMemoryTransport and Streamable HTTP, 16 in flight, sessions opened and closed throughout; descriptors, live handles and the objects in the heap after gc back within 5 % of the baseline taken after the warm-up; no process a call started left alive; every call answered; cleanup events and audit entries for exactly the calls that left something open.',
  onRequest: true,
  async run(ctx) {
    const calls = ctx.quick ? QUICK_CALLS : FULL_CALLS;
    const { result, backgroundCores, seconds } = await ctx.runTask(
      { scenario: NAME, task: 'soak', params: { calls, maxSeconds: MAX_SECONDS } },
      { nodeOptions: ['--expose-gc'], timeoutMs: (MAX_SECONDS + 600) * 1000 },
    );
    return { ...result, backgroundCores, childSeconds: seconds, measuredAt: new Date().toISOString() };
  },
  summarize(result) {
    const r = result as JsonObject;
    return [
      `${NAME}: ${r.ok === true ? 'ok' : 'FAILED'}, ${JSON.stringify(r.calls)} in ${String(r.seconds)} s ` +
        `(${String(r.callsPerSec)} calls/s); ${JSON.stringify(r.resources)}; known issues ${JSON.stringify(r.knownIssues)}`,
    ];
  },
  async task(request) {
    return runSoak({
      calls: Number(request.params.calls),
      maxSeconds: Number(request.params.maxSeconds),
      allowKnownIssues: true,
      log: (message) => console.error(`[soak ${process.version}] ${message}`),
    });
  },
};
