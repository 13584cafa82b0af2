#!/usr/bin/env node
// The conformance server on Streamable HTTP at 127.0.0.1 (a free port unless --port is given), bare or with
// the resource guard installed on every session's server (--guarded). Prints one JSON line on stdout when it
// listens ({"url": ...}) and one when it has closed after SIGTERM or SIGINT ({"closed": true, "guardCalls": N}),
// so that a driver (scripts/conformance.mjs) can run the MCP conformance suite against it.
import { parseArgs } from 'node:util';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { type ResourceMiddleware, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { InMemoryEventStore } from '@modelcontextprotocol/sdk/examples/shared/inMemoryEventStore.js';
import { createConformanceServer } from './conformance-server.js';

const { values } = parseArgs({
  options: { guarded: { type: 'boolean', default: false }, port: { type: 'string', default: '0' } },
  strict: true,
});

// Limits a conformant call never reaches: the guard tracks and cleans up every call, and answers as the SDK does.
const guard: ResourceMiddleware | undefined = values.guarded
  ? resourceMiddleware({
      limits: {
        perCall: { maxExecutionTimeMs: 10_000, maxFileHandles: 64, maxNetworkConnections: 16, maxMemoryMb: 512 },
        perSession: { maxFileHandles: 256 },
      },
    })
  : undefined;

const host = await startHttpHost(
  () => {
    const server = createConformanceServer();
    if (guard !== undefined) withMiddleware(server).use(guard);
    return server;
  },
  { eventStore: () => new InMemoryEventStore(), retryIntervalMs: 500, port: Number(values.port) },
);
console.log(JSON.stringify({ url: host.url.href, variant: guard === undefined ? 'bare' : 'guarded' }));

async function shutdown(): Promise<void> {
  await host.close();
  const snapshot = guard?.snapshot();
  await guard?.close();
  const guardCalls =
    snapshot === undefined ? null : Object.values(snapshot.tools).reduce((sum, tool) => sum + tool.calls, 0);
  console.log(JSON.stringify({ closed: true, guardCalls }));
}

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}
