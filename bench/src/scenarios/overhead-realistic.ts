/** overhead.realistic: the guard's cost on a tool that does some work (CPU, awaits, a file read), 8 calls in flight. */

import { callTool, connectInMemory } from '../mcp-fixtures.js';
import { measureCalls } from '../measure.js';
import { type RealisticDriver, realisticScenario } from '../realistic-scenario.js';
import { REALISTIC_TOOL } from '../work.js';

/** Calls the realistic tool over InMemoryTransport. */
export const driveInMemory: RealisticDriver = async (factory, variant, loop) => {
  const connection = await connectInMemory(factory.create());
  let id = 0;
  try {
    return await measureCalls(
      variant,
      () => callTool(connection.client, REALISTIC_TOOL, { id: id++ }),
      loop,
      () => factory.guardCalls(),
    );
  } finally {
    await connection.close();
  }
};

export const overheadRealistic = realisticScenario(
  'overhead.realistic',
  'Tool doing ~1 ms of CPU (fixed work), 10 awaits and one small file open/read/close; InMemoryTransport, 8 calls in flight.',
  {
    full: { warmupMs: 500, batchMs: 200, batches: 6, concurrency: 8 },
    quick: { warmupMs: 200, batchMs: 100, batches: 3, concurrency: 8 },
  },
  driveInMemory,
);
