/** overhead.http: the realistic tool over Streamable HTTP on 127.0.0.1 (server and client in one child). */

import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { connectHttp } from '../mcp-fixtures.js';
import { measureRealisticCalls, realisticScenario } from '../realistic-scenario.js';

/** Loop settings of both HTTP scenarios. */
export const HTTP_LOOPS = {
  full: { warmupMs: 700, batchMs: 200, batches: 6, concurrency: 8 },
  quick: { warmupMs: 300, batchMs: 100, batches: 3, concurrency: 8 },
} as const;

export const overheadHttp = realisticScenario(
  'overhead.http',
  'The realistic tool over Streamable HTTP on 127.0.0.1 (v1 StreamableHTTPServerTransport, stateful session, node:http; SDK StreamableHTTPClientTransport in the same process), 8 calls in flight.',
  HTTP_LOOPS,
  async (factory, variant, loop) => {
    const host = await startHttpHost(() => factory.create());
    const connection = await connectHttp(host.url);
    try {
      return await measureRealisticCalls(connection.client, factory, variant, loop);
    } finally {
      await connection.close();
      await host.close();
    }
  },
);
