#!/usr/bin/env node
// Recipe: the same middleware on an SDK v2 server (@modelcontextprotocol/server). Self-checking.
import { fileURLToPath } from 'node:url';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client, InMemoryTransport } from '@modelcontextprotocol/client';
import { McpServer } from '@modelcontextprotocol/server';
import * as z from 'zod';

export async function runSdkV2Recipe(): Promise<boolean> {
  const guard = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 200 } } });
  const server = withMiddleware(new McpServer({ name: 'v2-recipe', version: '1.0.0' }));
  server.use(guard);
  server.registerTool('greet', { inputSchema: z.object({ name: z.string() }) }, ({ name }) => ({
    content: [{ type: 'text', text: `hello ${name}` }],
  }));
  server.registerTool('stall', {}, () => new Promise(() => {}));
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'v2-client', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  const greeting = await client.callTool({ name: 'greet', arguments: { name: 'v2' } });
  const stalled = await client.callTool({ name: 'stall' });
  await client.close();
  await guard.close();
  const text = (r: typeof greeting) => (r.content as { text: string }[])[0]?.text ?? '';
  console.log(
    `sdk v2: greet → "${text(greeting)}"; stall → ${stalled.isError ? 'stopped at its time limit' : 'answered'}`,
  );
  return text(greeting) === 'hello v2' && stalled.isError === true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = (await runSdkV2Recipe()) ? 0 : 1;
}
