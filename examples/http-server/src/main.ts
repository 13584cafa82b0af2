#!/usr/bin/env node
// Example: a Streamable HTTP server whose sessions share one guard with per-session limits.
// Two clients (two sessions) call the same tool: the one that holds too many files at once is stopped at
// its session's limit, the other is not slowed. Exits non-zero if that is not what happened.
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { startHttpHost } from './http-host.js';

const guard = resourceMiddleware({
  limits: { perSession: { maxFileHandles: 4 } },
  sampling: { activeMs: 10 },
});

const host = await startHttpHost(() => {
  const server = withMiddleware(new McpServer({ name: 'files', version: '1.0.0' }));
  server.use(guard);
  server.registerTool('hold_files', { inputSchema: { count: z.number().int().min(1).max(20) } }, async ({ count }) => {
    const self = fileURLToPath(import.meta.url);
    for (let i = 0; i < count; i++) await open(self, 'r'); // left open: the guard closes them
    await new Promise((r) => setTimeout(r, 100));
    return { content: [{ type: 'text', text: `held ${count} files` }] };
  });
  return server;
});

async function connect(name: string): Promise<Client> {
  const client = new Client({ name, version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(host.url));
  return client;
}

const greedy = await connect('greedy');
const modest = await connect('modest');
const [a, b] = await Promise.all([
  greedy.callTool({ name: 'hold_files', arguments: { count: 6 } }),
  modest.callTool({ name: 'hold_files', arguments: { count: 2 } }),
]);
const textOf = (r: typeof a) => (r.content as { text: string }[])[0]?.text ?? '';
console.log(`greedy session: ${a.isError ? 'stopped' : 'ok'}: ${textOf(a)}`);
console.log(`modest session: ${b.isError ? 'stopped' : 'ok'}: ${textOf(b)}`);
await greedy.close();
await modest.close();
await host.close();
const snapshot = guard.snapshot();
await guard.close();

const ok =
  a.isError === true &&
  /session/.test(textOf(a)) &&
  b.isError !== true &&
  snapshot.tools.hold_files?.cleanups.handlesSurvived === 0;
console.log(ok ? 'example: per-session limits behaved as expected' : 'EXAMPLE FAILED');
process.exitCode = ok ? 0 : 1;
