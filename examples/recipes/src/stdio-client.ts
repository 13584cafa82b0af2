#!/usr/bin/env node
// Recipe: an SDK client starting `stdio-server.js` as a child process and calling it. Self-checking.
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';

export async function runStdioRecipe(): Promise<boolean> {
  const server = fileURLToPath(new URL('./stdio-server.js', import.meta.url));
  const client = new Client({ name: 'stdio-recipe-client', version: '1.0.0' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [server], stderr: 'ignore' }));
  const lines = await client.callTool({ name: 'count_lines', arguments: { path: 'self' } });
  const status = await client.callTool({ name: 'guard_status' });
  await client.close();
  const text = (r: typeof lines) => (r.content as { text: string }[])[0]?.text ?? '';
  const stats = JSON.parse(text(status)) as {
    calls?: number;
    leaks?: { calls: number };
    cleanups?: { handlesSurvived: number };
  };
  console.log(
    `stdio: count_lines answered ${text(lines)}; the guard closed its leaked file (${JSON.stringify(stats.leaks)})`,
  );
  return Number(text(lines)) > 10 && stats.leaks?.calls === 1 && stats.cleanups?.handlesSurvived === 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = (await runStdioRecipe()) ? 0 : 1;
}
