// Limits by scope through the real SDK: maxConcurrentCalls at tool, session and process scope, and a tool's own
// aggregate limits (tools.<name>.perTool) beside the default for every tool (limits.perTool).
import { open } from 'node:fs/promises';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { type GuardedInMemory, guardedInMemory } from './support/guarded-in-memory.js';

const harnesses: GuardedInMemory[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

type Result = Awaited<ReturnType<GuardedInMemory['client']['callTool']>>;
const text = (r: Result): string => (r.content as { type: string; text: string }[])[0]?.text ?? '';

/** A tool whose calls wait for `release()`; `running` counts the calls inside the handler now. */
function gatedTool() {
  const state = { running: 0, peak: 0 };
  let releases: (() => void)[] = [];
  return {
    state,
    release(): void {
      for (const r of releases.splice(0)) r();
    },
    handler: async () => {
      state.running++;
      state.peak = Math.max(state.peak, state.running);
      await new Promise<void>((resolve) => releases.push(resolve));
      state.running--;
      return { content: [{ type: 'text' as const, text: 'done' }] };
    },
    reset(): void {
      releases = [];
    },
  };
}

describe('maxConcurrentCalls', () => {
  it('runs at most the cap of a tool’s calls at once; the others wait in the queue and then run', async () => {
    const gate = gatedTool();
    const h = await guardedInMemory(
      { tools: { gated: { perTool: { maxConcurrentCalls: 2 } } }, throttle: { maxQueue: 8, maxWaitMs: 5000 } },
      (s) => {
        s.registerTool('gated', {}, gate.handler);
        s.registerTool('other', {}, gate.handler);
      },
    );
    harnesses.push(h);
    const calls = Array.from({ length: 5 }, () => h.client.callTool({ name: 'gated' }));
    await until(() => gate.state.running === 2, { what: 'two calls running' });
    // Another tool is not held by this tool's cap.
    const other = h.client.callTool({ name: 'other' });
    await until(() => gate.state.running === 3, { what: 'the other tool running' });
    expect(h.guard.snapshot().tools.gated?.queued).toBe(3);
    while (gate.state.running > 0 || h.guard.snapshot().tools.gated?.queued) {
      gate.release();
      await sleep(10);
    }
    const results = await Promise.all([...calls, other]);
    expect(results.map(text)).toEqual(['done', 'done', 'done', 'done', 'done', 'done']);
    expect(gate.state.peak).toBe(3); // two of `gated` and one of `other`
  });

  it('refuses a call past the cap with a full queue, telling the client the tool is busy', async () => {
    const gate = gatedTool();
    const h = await guardedInMemory(
      {
        limits: { perTool: { maxConcurrentCalls: 1 } },
        throttle: { maxQueue: 0, retryAfterMs: 300, refusalDelayMs: 0 },
      },
      (s) => s.registerTool('gated', {}, gate.handler),
    );
    harnesses.push(h);
    const first = h.client.callTool({ name: 'gated' });
    await until(() => gate.state.running === 1, { what: 'the first call running' });
    const refused = await h.client.callTool({ name: 'gated' });
    expect(refused.isError).toBe(true);
    expect(text(refused)).toBe('the tool is busy right now; try again in 300 ms');
    expect(refused._meta?.['mcp-resource-guard/error']).toMatchObject({
      code: 'THROTTLED',
      scope: 'tool',
      cause: 'queue_full',
      retryAfterMs: 300,
    });
    gate.release();
    expect(text(await first)).toBe('done');
  });

  it('caps one session’s calls without holding another session’s (limits.perSession, Streamable HTTP)', async () => {
    const gate = gatedTool();
    const guard = resourceMiddleware({
      watchdog: false,
      limits: { perSession: { maxConcurrentCalls: 1 } },
      throttle: { maxQueue: 0, refusalDelayMs: 0 },
    });
    const host = await startHttpHost(() => {
      const server = withMiddleware(new McpServer({ name: 'sessions', version: '1.0.0' }));
      server.use(guard);
      server.registerTool('gated', {}, gate.handler);
      return server;
    });
    const clients = [new Client({ name: 'a', version: '1' }), new Client({ name: 'b', version: '1' })];
    closers.push(
      () => guard.close(),
      () => host.close(),
      ...clients.map((c) => () => c.close()),
    );
    const [a, b] = clients as [Client, Client];
    await a.connect(new StreamableHTTPClientTransport(host.url));
    await b.connect(new StreamableHTTPClientTransport(host.url));
    const first = a.callTool({ name: 'gated' });
    await until(() => gate.state.running === 1, { what: 'session a running' });
    const refused = await a.callTool({ name: 'gated' });
    expect(refused._meta?.['mcp-resource-guard/error']).toMatchObject({ scope: 'session', cause: 'queue_full' });
    expect(text(refused as Result)).toBe(
      "this session's calls are using their whole budget right now; try again in 1 s",
    );
    const other = b.callTool({ name: 'gated' });
    await until(() => gate.state.running === 2, { what: 'session b running beside a' });
    gate.release();
    expect([text((await first) as Result), text((await other) as Result)]).toEqual(['done', 'done']);
  });
});

describe('a tool’s own aggregate limits', () => {
  it('holds one tool to its own limits.perTool entry and every other tool to the default', async () => {
    const h = await guardedInMemory(
      {
        sampling: { activeMs: 10 },
        limits: { perTool: { maxFileHandles: 100 } },
        tools: { narrow: { perTool: { maxFileHandles: 2 } } },
        throttle: { maxQueue: 0, refusalDelayMs: 0 },
      },
      (s) => {
        for (const name of ['narrow', 'wide']) {
          s.registerTool(name, {}, async () => {
            const files = await Promise.all([0, 1, 2].map(() => open(import.meta.filename, 'r')));
            await sleep(100);
            await Promise.all(files.map((f) => f.close()));
            return { content: [{ type: 'text' as const, text: 'done' }] };
          });
        }
      },
    );
    harnesses.push(h);
    const [narrow, wide] = await Promise.all([
      h.client.callTool({ name: 'narrow' }),
      h.client.callTool({ name: 'wide' }),
    ]);
    // Three files against the tool's two: past the cleanup level, its largest call is stopped.
    expect(narrow.isError).toBe(true);
    expect(narrow._meta?.['mcp-resource-guard/error']).toMatchObject({ scope: 'tool', resource: 'fileHandles' });
    expect(text(wide)).toBe('done');
  });
});
