// One session floods a tool over Streamable HTTP while other sessions call normally: with per-session and per-tool
// limits, the flooder is throttled or refused and the others are never touched. Latency under the flood is
// measured by the bench (scenario floodIsolation), not asserted here: this machine is shared.
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { ThrottleEvent } from '@mcp-resource-guard/core';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { sleep } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';

const FILE = fileURLToPath(import.meta.url);
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** How a call of the flooder ended. */
function kindOf(result: { isError?: unknown; _meta?: Record<string, unknown> | undefined }): string {
  if (result.isError !== true) return 'ok';
  const code = (result._meta?.['mcp-resource-guard/error'] as { code?: string } | undefined)?.code;
  return code ?? 'sdk_error'; // the SDK's answer for a tool the guard disabled during an emergency cool-down
}

describe('flood isolation over Streamable HTTP, one guard for every session', () => {
  it('throttles or refuses the flooding session and never the others', async () => {
    const guard = resourceMiddleware({
      limits: { perSession: { maxFileHandles: 8 }, perTool: { maxFileHandles: 12 } },
      throttle: { maxQueue: 4, maxWaitMs: 100, retryAfterMs: 50 },
      emergency: { coolDownMs: 200 },
      sampling: { activeMs: 10 },
      watchdog: false,
    });
    const throttles: ThrottleEvent[] = [];
    guard.on('throttle', (e) => throttles.push(e));
    const host = await startHttpHost(() => {
      const server = withMiddleware(new McpServer({ name: 'flood', version: '1.0.0' }));
      server.use(guard);
      // Holds a file for 30 ms: a flood of it piles up descriptors.
      server.registerTool('search', {}, async () => {
        const file = await open(FILE, 'r');
        await sleep(30);
        await file.close();
        return text('found');
      });
      server.registerTool('lookup', {}, async () => {
        const file = await open(FILE, 'r');
        await file.read(Buffer.alloc(256), 0, 256, 0);
        await file.close();
        return text('ok');
      });
      return server;
    });
    closers.push(
      () => guard.close(),
      () => host.close(),
    );
    const connect = async (name: string) => {
      const client = new Client({ name, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(host.url);
      await client.connect(transport);
      closers.push(() => client.close());
      return { client, sessionId: transport.sessionId ?? '' };
    };
    const flooder = await connect('flooder');
    const others = await Promise.all(['b', 'c', 'd'].map(connect));

    let flooding = true;
    const floodKinds: Record<string, number> = {};
    /** How long the flooder waited for each of its calls refused at once (a full queue), in ms. */
    const refusedAtOnceMs: number[] = [];
    const floodLoop = async () => {
      while (flooding) {
        const sent = performance.now();
        const result = await flooder.client.callTool({ name: 'search' });
        const kind = kindOf(result);
        floodKinds[kind] = (floodKinds[kind] ?? 0) + 1;
        const detail = result._meta?.['mcp-resource-guard/error'] as { cause?: string } | undefined;
        if (detail?.cause === 'queue_full') refusedAtOnceMs.push(performance.now() - sent);
        if (kind !== 'ok') await sleep(25); // half the retry-after it was given: an impatient client
      }
    };
    const flood = Promise.all(Array.from({ length: 16 }, floodLoop));
    await sleep(100); // the flood is on
    const answers = await Promise.all(
      others.map(async ({ client }) => {
        const results = [];
        for (let i = 0; i < 40; i++) results.push(await client.callTool({ name: 'lookup' }));
        return results;
      }),
    );
    flooding = false;
    await flood;

    // The flooder was held back: answered with the guard's throttle or limit errors (or the SDK's, for the tool
    // disabled during an emergency cool-down), and the guard throttled its session or its tool.
    const heldBack = Object.entries(floodKinds).filter(([kind]) => kind !== 'ok');
    expect(heldBack.length).toBeGreaterThan(0);
    expect(throttles.some((e) => e.key === flooder.sessionId || e.key === 'search')).toBe(true);
    // A refusal made at once (its queue full) was answered only after the default refusal delay of 100 ms: the
    // flooder's retry loop is slowed to one refusal per 100 ms for each call it keeps in flight. (A lower
    // bound, which a loaded machine cannot break: timers never fire early.)
    expect(refusedAtOnceMs.length).toBeGreaterThan(0);
    expect(Math.min(...refusedAtOnceMs)).toBeGreaterThanOrEqual(98);
    // The others: every call answered normally; no throttle event names their sessions or their tool.
    for (const results of answers) for (const result of results) expect(result).toEqual(text('ok'));
    const otherIds = new Set(others.map((o) => o.sessionId));
    expect(throttles.filter((e) => otherIds.has(e.key) || e.key === 'lookup' || e.tool === 'lookup')).toEqual([]);
    expect(guard.snapshot().tools.lookup).toMatchObject({ calls: 120, rejected: 0, outcomes: { ok: 120 } });
  });
});
