/**
 * overhead.httpServer: the realistic tool over Streamable HTTP on 127.0.0.1, with the client in a
 * process of its own: the server's figures alone, as a deployed server sees them.
 */

import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { realisticScenario } from '../realistic-scenario.js';
import { measureRemoteCalls } from '../remote-load.js';
import { REALISTIC_TOOL } from '../work.js';
import { HTTP_LOOPS } from './overhead-http.js';

export const overheadHttpServer = realisticScenario(
  'overhead.httpServer',
  'The realistic tool over Streamable HTTP on 127.0.0.1 (v1 StreamableHTTPServerTransport, stateful session, node:http), the SDK client in another process, 8 calls in flight; CPU is the server process’s.',
  HTTP_LOOPS,
  async (factory, variant, loop) => {
    const host = await startHttpHost(() => factory.create());
    try {
      return await measureRemoteCalls(variant, host.url, REALISTIC_TOOL, loop, () => factory.guardCalls());
    } finally {
      await host.close();
    }
  },
);
