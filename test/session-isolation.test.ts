// Isolation between sessions over Streamable HTTP, one guard for every session: a call-scope level acts on that
// call only (a call nearing its own limit does not throttle the tool for others), and one session driving a tool
// past 150 % of its per-call limit is blocked from that tool for the cool-down while the others keep using it;
// the tool is deactivated for everyone only by tool-scope limits or emergencies from several sessions.
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { EmergencyEvent, LimitEvent, ThrottleEvent } from '@mcp-resource-guard/core';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { sleep } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';

const FILE = fileURLToPath(import.meta.url);
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const errorCode = (r: { _meta?: Record<string, unknown> | undefined }) =>
  (r._meta?.['mcp-resource-guard/error'] as { code?: string } | undefined)?.code;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function host(options: Parameters<typeof resourceMiddleware>[0]) {
  const guard = resourceMiddleware({ watchdog: false, sampling: { activeMs: 10 }, ...options });
  const throttles: ThrottleEvent[] = [];
  const emergencies: EmergencyEvent[] = [];
  const limits: LimitEvent[] = [];
  guard.on('throttle', (e) => throttles.push(e));
  guard.on('limit', (e) => limits.push(e));
  guard.on('emergency', (e) => emergencies.push(e));
  const h = await startHttpHost(() => {
    const server = withMiddleware(new McpServer({ name: 'isolation', version: '1.0.0' }));
    server.use(guard);
    // Holds `files` files for `ms`.
    server.registerTool('work', { inputSchema: { files: z.number(), ms: z.number() } }, async ({ files, ms }) => {
      const held = [];
      for (let i = 0; i < files; i++) held.push(await open(FILE, 'r'));
      await sleep(ms);
      for (const f of held) await f.close();
      return text('done');
    });
    return server;
  });
  closers.push(
    () => guard.close(),
    () => h.close(),
  );
  const connect = async () => {
    const client = new Client({ name: 'c', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(h.url));
    closers.push(() => client.close());
    return client;
  };
  return { guard, throttles, emergencies, limits, connect };
}

describe('isolation between sessions over Streamable HTTP', () => {
  it("a call near its own limit does not throttle the tool for another session's calls", async () => {
    const { throttles, limits, connect } = await host({ limits: { perCall: { maxFileHandles: 10 } } });
    const [a, b] = await Promise.all([connect(), connect()]);
    // A's call holds 10 of 10 files: past 90 %, the throttle level of its own limit.
    const near = a.callTool({ name: 'work', arguments: { files: 10, ms: 300 } });
    await sleep(100);
    for (let i = 0; i < 5; i++) {
      expect(await b.callTool({ name: 'work', arguments: { files: 1, ms: 5 } })).toEqual(text('done'));
    }
    expect(await near).toEqual(text('done'));
    expect(limits.some((e) => e.scope === 'call' && e.level === 'throttle')).toBe(true);
    expect(throttles.filter((e) => e.action === 'throttled' || e.action === 'rejected')).toEqual([]);
  });

  it('an emergency in one session blocks that session from the tool, not the others', async () => {
    const { guard, emergencies, connect } = await host({
      limits: { perCall: { maxFileHandles: 2 } },
      emergency: { coolDownMs: 60_000 },
    });
    const [a, b] = await Promise.all([connect(), connect()]);
    // 4 files at once: 200 % of the per-call limit, the emergency level.
    const greedy = await a.callTool({ name: 'work', arguments: { files: 4, ms: 100 } });
    expect(greedy.isError).toBe(true);
    expect(emergencies).toMatchObject([{ scope: 'call', tool: 'work' }]);
    // A is refused the tool for the cool-down; B is not, and the tool stays listed and enabled.
    const again = await a.callTool({ name: 'work', arguments: { files: 1, ms: 1 } });
    expect(again.isError).toBe(true);
    expect(errorCode(again)).toBe('TOOL_DEACTIVATED');
    expect(await b.callTool({ name: 'work', arguments: { files: 1, ms: 1 } })).toEqual(text('done'));
    expect((await b.listTools()).tools.map((t) => t.name)).toContain('work');
    expect(guard.snapshot().tools.work?.state).not.toBe('deactivated');
  });

  it('emergencies from two sessions deactivate the tool for everyone', async () => {
    const { guard, emergencies, connect } = await host({
      limits: { perCall: { maxFileHandles: 2 } },
      emergency: { coolDownMs: 60_000 },
    });
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    expect((await a.callTool({ name: 'work', arguments: { files: 4, ms: 100 } })).isError).toBe(true);
    expect((await b.callTool({ name: 'work', arguments: { files: 4, ms: 100 } })).isError).toBe(true);
    expect(emergencies.length).toBeGreaterThanOrEqual(2);
    expect(guard.snapshot().tools.work?.state).toBe('deactivated');
    expect((await c.callTool({ name: 'work', arguments: { files: 1, ms: 1 } })).isError).toBe(true);
  });
});
