#!/usr/bin/env node
// Recipe: per-tool limits (exact names and patterns) and a middleware of your own next to the guard.
import { fileURLToPath } from 'node:url';
import { resourceMiddleware, type ToolCallMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

/** Refuses calls without an API key in `_meta`, before the guard even admits them. */
const requireKey: ToolCallMiddleware = async function requireKey(ctx, next) {
  if (ctx.meta?.apiKey !== 'secret') return { content: [{ type: 'text', text: 'missing API key' }], isError: true };
  return next();
};

export async function runCustomMiddlewareRecipe(): Promise<boolean> {
  const guard = resourceMiddleware({
    limits: { perCall: { maxExecutionTimeMs: 5_000 } },
    tools: {
      'db_*': { perCall: { maxNetworkConnections: 4 } },
      report: { perCall: { maxExecutionTimeMs: 60_000, maxMemoryMb: 256 } },
    },
  });
  const server = withMiddleware(new McpServer({ name: 'recipes', version: '1.0.0' }));
  server.use(requireKey, guard);
  server.registerTool('db_query', {}, () => ({ content: [{ type: 'text', text: 'rows' }] }));
  server.registerTool('report', {}, () => ({ content: [{ type: 'text', text: 'report' }] }));
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(b);
  await client.connect(a);
  const refused = await client.callTool({ name: 'db_query' });
  const allowed = await client.callTool({ name: 'db_query', _meta: { apiKey: 'secret' } });
  await client.close();
  const limits = guard.snapshot().tools;
  await guard.close();
  console.log(
    `custom middleware: without key → ${refused.isError ? 'refused' : 'served'}, with key → served; limits: db_query ${JSON.stringify(limits.db_query?.limits)}, report ${JSON.stringify(limits.report?.limits)}`,
  );
  return (
    refused.isError === true &&
    allowed.isError !== true &&
    limits.db_query?.limits.maxNetworkConnections === 4 &&
    limits.report?.limits.maxExecutionTimeMs === 60_000 &&
    limits.db_query?.calls === 1
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = (await runCustomMiddlewareRecipe()) ? 0 : 1;
}
