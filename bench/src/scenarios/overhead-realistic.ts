/** overhead.realistic: the guard's cost on a tool that does some work (CPU, awaits, a file read), 8 calls in flight. */

import { compareBareGuarded } from '../compare.js';
import { callTool, connectInMemory, serverFactory } from '../mcp-fixtures.js';
import { measureCalls } from '../measure.js';
import type { LoopSettings, Scenario } from '../scenario.js';
import { createTempFile, REALISTIC_TOOL, registerRealisticTool, spinIterationsPerMs } from '../work.js';

const NAME = 'overhead.realistic';
const FULL: LoopSettings = { warmupMs: 500, batchMs: 200, batches: 6, concurrency: 8 };
const QUICK: LoopSettings = { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 8 };

export const overheadRealistic: Scenario = {
  name: NAME,
  description:
    'Tool doing ~1 ms of CPU (fixed work), 10 awaits and one small file open/read/close; InMemoryTransport, 8 calls in flight.',
  run: (ctx) =>
    compareBareGuarded(ctx, {
      scenario: NAME,
      label: NAME,
      params: { spinIterations: spinIterationsPerMs() },
      loop: ctx.quick ? QUICK : FULL,
      rounds: ctx.quick ? 2 : 12,
    }),
  async measure(request) {
    const spinIterations = Number(request.params.spinIterations);
    const file = await createTempFile();
    const factory = await serverFactory(request.variant, (server) =>
      registerRealisticTool(server, { spinIterations, file: file.path }),
    );
    const connection = await connectInMemory(factory.create());
    let id = 0;
    try {
      return await measureCalls(
        request.variant,
        () => callTool(connection.client, REALISTIC_TOOL, { id: id++ }),
        request.loop,
        () => factory.guardCalls(),
      );
    } finally {
      await connection.close();
      await factory.close();
      await file.remove();
    }
  },
};
