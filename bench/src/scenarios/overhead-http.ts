/** overhead.http: the realistic tool over Streamable HTTP on 127.0.0.1 (server and client in one child). */

import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { compareBareGuarded } from '../compare.js';
import { callTool, connectHttp, serverFactory } from '../mcp-fixtures.js';
import { measureCalls } from '../measure.js';
import type { LoopSettings, Scenario } from '../scenario.js';
import { createTempFile, REALISTIC_TOOL, registerRealisticTool, spinIterationsPerMs } from '../work.js';

const NAME = 'overhead.http';
const FULL: LoopSettings = { warmupMs: 700, batchMs: 200, batches: 6, concurrency: 8 };
const QUICK: LoopSettings = { warmupMs: 300, batchMs: 100, batches: 3, concurrency: 8 };

export const overheadHttp: Scenario = {
  name: NAME,
  description:
    'The realistic tool over Streamable HTTP on 127.0.0.1 (v1 StreamableHTTPServerTransport, stateful session, node:http; SDK StreamableHTTPClientTransport in the same process), 8 calls in flight.',
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
    const host = await startHttpHost(() => factory.create());
    const connection = await connectHttp(host.url);
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
      await host.close();
      await factory.close();
      await file.remove();
    }
  },
};
