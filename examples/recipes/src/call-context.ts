#!/usr/bin/env node
// Recipe: a tool using getCallContext(): its signal, its own temp directory, and ctx.track().
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCallContext, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

export async function runCallContextRecipe(): Promise<boolean> {
  const guard = resourceMiddleware({ limits: { perCall: { maxTempStorageMb: 10 } } });
  const server = withMiddleware(new McpServer({ name: 'ctx', version: '1.0.0' }));
  server.use(guard);
  let tempDir = '';
  let disposed = false;
  server.registerTool('build', {}, async () => {
    const ctx = getCallContext();
    tempDir = ctx.tempDir(); // owner-only, measured against maxTempStorageMb, removed at the end
    await writeFile(join(tempDir, 'part-1.txt'), 'partial result', { signal: ctx.signal });
    // Disposed when the call ends (if the tool has not untracked it).
    ctx.track({
      [Symbol.dispose]: () => {
        disposed = true;
      },
    });
    const files = await readdir(tempDir);
    return { content: [{ type: 'text', text: `${ctx.toolName} (call ${ctx.callId}) wrote ${files.length} file(s)` }] };
  });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(b);
  await client.connect(a);
  const result = await client.callTool({ name: 'build' });
  await client.close();
  await guard.close();
  const gone = await readdir(tempDir).then(
    () => false,
    () => true,
  );
  console.log(
    `call context: ${(result.content as { text: string }[])[0]?.text}; temp dir removed: ${gone}; tracked resource disposed: ${disposed}`,
  );
  return gone && disposed && result.isError !== true;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = (await runCallContextRecipe()) ? 0 : 1;
}
