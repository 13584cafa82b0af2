#!/usr/bin/env node
// The demo: a real MCP server behind the resource guard, driven by a real SDK client over Streamable HTTP.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { registerDemoTools } from './demo-tools.js';
import { toolTable } from './report.js';

async function main(): Promise<number> {
  const dir = await mkdtemp(join(tmpdir(), 'mcp-resource-guard-demo-'));
  const dataFile = join(dir, 'data.txt');
  await writeFile(dataFile, 'x'.repeat(4096));

  // One guard shared by every session's server.
  const guard = resourceMiddleware({ limits: { maxExecutionTimeMs: 10_000 } });
  const host = await startHttpHost(() => {
    const server = withMiddleware(new McpServer({ name: 'demo-server', version: '1.0.0' }));
    server.use(guard);
    registerDemoTools(server, dataFile);
    return server;
  });
  console.log(`MCP server (Streamable HTTP) listening at ${host.url.href}`);

  const client = new Client({ name: 'demo-client', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(host.url));
  const { tools } = await client.listTools();
  console.log(`client connected; server offers ${tools.length} tools: ${tools.map((t) => t.name).join(', ')}\n`);

  const calls: { name: string; arguments?: Record<string, unknown> }[] = [
    ...Array.from({ length: 5 }, (_, i) => ({ name: 'echo', arguments: { message: `hello ${i}` } })),
    ...Array.from({ length: 3 }, (_, i) => ({ name: 'sum', arguments: { values: [i, 2, 3] } })),
    ...Array.from({ length: 4 }, () => ({ name: 'read_data' })),
    { name: 'flaky' },
    { name: 'flaky' },
    { name: 'crash' },
    { name: 'sleep', arguments: { ms: 25 } },
    { name: 'sleep', arguments: { ms: 50 } },
  ];
  const results = await Promise.all(calls.map((c) => client.callTool(c)));
  const sample = results.find((r) => (r.content as { text?: string }[])[0]?.text?.startsWith('read_data'));
  console.log(`sample result: ${(sample?.content as { text: string }[] | undefined)?.[0]?.text}`);

  // A cancelled call: the client gives up after 20 ms on a 2 s sleep.
  const cancelled = await client
    .callTool({ name: 'sleep', arguments: { ms: 2000 } }, undefined, { signal: AbortSignal.timeout(20) })
    .then(
      () => 'completed',
      () => 'cancelled',
    );
  await new Promise((r) => setTimeout(r, 50)); // let the server see the cancellation
  console.log(`long sleep: ${cancelled} by the client\n`);

  await client.close();
  await host.close();
  await rm(dir, { recursive: true, force: true });

  const snapshot = guard.snapshot();
  console.log('What the guard measured, per tool (execution time on the monotonic clock):\n');
  console.log(toolTable(snapshot));
  console.log(`\ncalls in flight: ${snapshot.inFlight}, guard internal errors: ${snapshot.internalErrors}`);
  await guard.close();

  // The demo checks its own outcome.
  const t = snapshot.tools;
  const failures: string[] = [];
  const expect = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
  };
  expect(t.echo?.outcomes.ok === 5, 'echo: 5 ok calls');
  expect(t.sum?.outcomes.ok === 3, 'sum: 3 ok calls');
  expect(t.read_data?.outcomes.ok === 4, 'read_data: 4 ok calls');
  expect(t.flaky?.outcomes.tool_error === 2, 'flaky: 2 tool errors');
  expect(t.crash?.calls === 1 && t.crash.outcomes.ok === 0, 'crash: 1 failed call');
  expect(t.sleep?.outcomes.ok === 2 && t.sleep.outcomes.cancelled === 1, 'sleep: 2 ok, 1 cancelled');
  expect((t.sleep?.executionTimeMs.peak ?? 0) >= 45, 'sleep: peak execution time at least 45 ms');
  expect(snapshot.inFlight === 0, 'no call left in flight');
  expect(snapshot.internalErrors === 0, 'no internal guard error');
  if (failures.length > 0) {
    console.error(`\nDEMO FAILED: ${failures.join('; ')}`);
    return 1;
  }
  console.log('\ndemo: every scenario behaved as expected');
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
