/** overhead.realistic: the guard's cost on a tool that does some work (CPU, awaits, a file read), 8 calls in flight. */

import { connectInMemory } from '../mcp-fixtures.js';
import { measureRealisticCalls, type RealisticDriver, realisticScenario } from '../realistic-scenario.js';

/** Calls the realistic tool over InMemoryTransport. */
export const driveInMemory: RealisticDriver = async (factory, variant, loop) => {
  const connection = await connectInMemory(factory.create());
  try {
    return await measureRealisticCalls(connection.client, factory, variant, loop);
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
