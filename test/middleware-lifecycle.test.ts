import { openSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server as NetServer, Socket } from 'node:net';
import { openFdCount, runShared } from '@mcp-resource-guard/core';
import {
  type ResourceMiddleware,
  type ResourceMiddlewareOptions,
  resourceMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { Client as ClientV2, InMemoryTransport as InMemoryV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as InMemoryV1 } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const FILE = new URL(import.meta.url).pathname;
let peer: NetServer;
let peerPort = 0;
beforeAll(async () => {
  peer = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  peerPort = (peer.address() as { port: number }).port;
});
afterAll(() => new Promise((r) => peer.close(r)));

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const never = () => new Promise<never>(() => {});

interface Harness {
  server: McpServerV1;
  client: ClientV1;
  guard: ResourceMiddleware;
  listChanged: number;
}

async function v1(options: ResourceMiddlewareOptions, register: (server: McpServerV1) => void): Promise<Harness> {
  const server = new McpServerV1({ name: 's', version: '1.0.0' });
  const guard = resourceMiddleware({ sampling: { activeMs: 10, idleMs: 50, deactivatedMs: 50 }, ...options });
  withMiddleware(server).use(guard);
  register(server);
  const [a, b] = InMemoryV1.createLinkedPair();
  const client = new ClientV1({ name: 'c', version: '1.0.0' });
  const h: Harness = { server, client, guard, listChanged: 0 };
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    h.listChanged++;
  });
  await server.connect(b);
  await client.connect(a);
  closers.push(
    () => guard.close(),
    () => server.close(),
    () => client.close(),
  );
  return h;
}

describe('the call path (SDK v1 over InMemoryTransport)', () => {
  it('enforces the execution-time limit on a handler that ignores its signal, and drops its late result', async () => {
    let finishedLate = false;
    const h = await v1({ limits: { perCall: { maxExecutionTimeMs: 100 } } }, (s) =>
      s.registerTool('hang', {}, async () => {
        // Work the guard cannot see or stop (a timer shared with the process), ignoring the signal.
        await runShared(() => sleep(400));
        finishedLate = true;
        return text('too late');
      }),
    );
    const result = await h.client.callTool({ name: 'hang' });
    expect(result.isError).toBe(true);
    expect((result.content as { text: string }[])[0]?.text).toBe(
      'the tool took too long and was stopped at its time limit of 100 ms; try a smaller or simpler request',
    );
    expect(result._meta?.['mcp-resource-guard/error']).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      resource: 'executionTimeMs',
      limit: 100,
      scope: 'call',
    });
    const snap = h.guard.snapshot();
    expect(snap.tools.hang?.outcomes.timeout).toBe(1);
    expect(snap.orphanedHandlers).toBe(1);
    await until(() => finishedLate, { what: 'the stopped handler to finish' });
    await until(() => h.guard.snapshot().orphanedHandlers === 0, { what: 'no orphaned handler' });
    expect(h.guard.snapshot().orphanedHandlers).toBe(0);
  });

  it('closes what a tool leaks before the response leaves: the fd count is back at once', async () => {
    const h = await v1({}, (s) =>
      s.registerTool('leaky', {}, async () => {
        await open(FILE, 'r');
        const socket = new Socket();
        await new Promise<void>((r) => socket.connect(peerPort, '127.0.0.1', r));
        setInterval(() => {}, 1000);
        return text('leaked');
      }),
    );
    // The baseline includes the guard's own watchdog thread.
    await sleep(200);
    const fds = openFdCount();
    const leaks: unknown[] = [];
    h.guard.on('leak', (e) => leaks.push(e.handles));
    const result = await h.client.callTool({ name: 'leaky' });
    expect(result).toEqual(text('leaked'));
    expect(leaks).toEqual([{ file: 1, socket: 1, interval: 1 }]);
    expect(h.guard.snapshot().tools.leaky?.cleanups).toMatchObject({ count: 1, handlesClosed: 3, handlesSurvived: 0 });
    await sleep(20);
    expect(openFdCount()).toBe(fds);
  });

  it('on a client cancel, ends the call and cleans it up even though the handler keeps running', async () => {
    let opened = false;
    const h = await v1({}, (s) =>
      s.registerTool('stubborn', {}, async () => {
        await open(FILE, 'r');
        opened = true;
        return never();
      }),
    );
    const controller = new AbortController();
    const pending = h.client.callTool({ name: 'stubborn' }, undefined, { signal: controller.signal });
    await until(() => opened, { what: 'the tool to open its file' });
    controller.abort('user cancelled');
    await expect(pending).rejects.toThrow();
    await until(() => h.guard.snapshot().tools.stubborn?.cleanups.count === 1, { what: 'the cleanup of stubborn' });
    expect(h.guard.snapshot().tools.stubborn).toMatchObject({
      outcomes: { cancelled: 1 },
      cleanups: { count: 1, handlesClosed: 1, handlesSurvived: 0 },
    });
  });

  it('on a transport close mid-call, ends and cleans up the call', async () => {
    let opened = false;
    const h = await v1({}, (s) =>
      s.registerTool('stubborn', {}, async () => {
        await open(FILE, 'r');
        opened = true;
        return never();
      }),
    );
    void h.client.callTool({ name: 'stubborn' }).catch(() => {});
    await until(() => opened, { what: 'the tool to open its file' });
    await h.client.close();
    await until(() => h.guard.snapshot().tools.stubborn?.cleanups.count === 1, { what: 'the cleanup of stubborn' });
    expect(h.guard.snapshot().tools.stubborn).toMatchObject({
      outcomes: { cancelled: 1 },
      cleanups: { handlesClosed: 1 },
    });
  });

  it('maps disable, enable and remove on a registered tool to the guard’s lifecycle, with calls in flight', async () => {
    let started = false;
    let tool!: ReturnType<McpServerV1['registerTool']>;
    const h = await v1({}, (s) => {
      tool = s.registerTool('t', {}, async () => {
        await open(FILE, 'r');
        started = true;
        return never();
      });
    });
    const pending = h.client.callTool({ name: 't' });
    await until(() => started, { what: 'the call of t to start' });
    tool.disable();
    const stopped = await pending;
    expect(stopped.isError).toBe(true);
    expect(h.guard.guard.toolState('t')).toBe('deactivated');
    await until(() => h.guard.snapshot().tools.t?.cleanups.count === 1, { what: 'the cleanup of t' });
    expect(h.guard.snapshot().tools.t?.cleanups.handlesClosed).toBe(1);
    // The SDK refuses a disabled tool itself, as it would without the guard.
    const refused = await h.client.callTool({ name: 't' });
    expect((refused.content as { text: string }[])[0]?.text).toMatch(/disabled/);
    tool.enable();
    expect(h.guard.guard.toolState('t')).not.toBe('deactivated');
    tool.remove();
    expect(h.guard.guard.toolState('t')).toBeUndefined();
    expect(h.listChanged).toBeGreaterThanOrEqual(1);
  });

  it('answers a throttled call with an error result naming the resource and a retry-after', async () => {
    let release!: () => void;
    // The tool's aggregate (every call of it): a call-scope level acts on its call only, never on admission.
    const h = await v1(
      { limits: { perTool: { maxFileHandles: 10 } }, throttle: { maxQueue: 0, retryAfterMs: 750 } },
      (s) =>
        s.registerTool('hog', {}, async () => {
          for (let i = 0; i < 10; i++) await open(FILE, 'r'); // 10 of 10: past throttle (9), not past the limit
          await new Promise<void>((r) => {
            release = r;
          });
          return text('done');
        }),
    );
    const first = h.client.callTool({ name: 'hog' });
    await until(() => h.guard.snapshot().tools.hog?.throttled === true, { what: 'hog to be throttled' });
    const refused = await h.client.callTool({ name: 'hog' });
    expect(refused.isError).toBe(true);
    expect(refused._meta?.['mcp-resource-guard/error']).toMatchObject({
      code: 'THROTTLED',
      resource: 'fileHandles',
      retryAfterMs: 750,
    });
    release();
    expect(await first).toEqual(text('done'));
  });
});

describe.each(['v1', 'v2'] as const)('emergency deactivation, SDK %s', (variant) => {
  it('disables the tool in the SDK (clients told with list_changed), then re-enables it after the cool-down', async () => {
    const server =
      variant === 'v1' ? new McpServerV1({ name: 's', version: '1' }) : new McpServerV2({ name: 's', version: '1' });
    const guard = resourceMiddleware({
      tools: { greedy: { perCall: { maxFileHandles: 2 } } },
      sampling: { activeMs: 10, idleMs: 20, deactivatedMs: 20 },
      emergency: { coolDownMs: 300 },
    });
    withMiddleware(server).use(guard);
    const reg = server as unknown as McpServerV1;
    reg.registerTool('greedy', {}, async () => {
      // Four at once, before any sample: the first sample sees 200 % of the limit.
      for (let i = 0; i < 4; i++) openSync(FILE, 'r');
      await sleep(200);
      return text('done');
    });
    reg.registerTool('other', {}, async () => text('fine'));
    let listChanged = 0;
    const [a, b] = variant === 'v1' ? InMemoryV1.createLinkedPair() : InMemoryV2.createLinkedPair();
    const client = (
      variant === 'v1' ? new ClientV1({ name: 'c', version: '1' }) : new ClientV2({ name: 'c', version: '1' })
    ) as ClientV1;
    if (variant === 'v1') {
      client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
        listChanged++;
      });
    } else {
      (client as unknown as ClientV2).setNotificationHandler('notifications/tools/list_changed', () => {
        listChanged++;
      });
    }
    await server.connect(b as never);
    await client.connect(a as never);
    closers.push(
      () => guard.close(),
      () => server.close(),
      () => client.close(),
    );

    const result = await client.callTool({ name: 'greedy' });
    expect(result.isError).toBe(true);
    expect(result._meta?.['mcp-resource-guard/error']).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      resource: 'fileHandles',
    });
    await until(() => listChanged >= 1, { what: 'a list_changed notification' });
    expect(listChanged).toBeGreaterThanOrEqual(1);
    const listed = await client.listTools();
    expect(listed.tools.map((t) => t.name)).toEqual(['other']);
    expect(await client.callTool({ name: 'other' })).toEqual(text('fine'));

    await until(() => guard.guard.toolState('greedy') !== 'deactivated', {
      what: 'greedy to be enabled again after its cool-down',
      timeoutMs: 2000,
    });
    await until(() => listChanged >= 2, { what: 'a second list_changed notification' });
    expect((await client.listTools()).tools.map((t) => t.name).sort()).toEqual(['greedy', 'other']);
    const snap = guard.snapshot().tools.greedy;
    expect(snap?.levelEntries.emergency).toBe(1);
    expect(snap?.cleanups.handlesSurvived).toBe(0);
  });
});

describe('robustness of the middleware', () => {
  it('runs the call untracked when the guard fails internally, and counts the failure', async () => {
    const real = resourceMiddleware({ watchdog: false });
    // Fault injection into our own guard: admission throws something that is not a refusal.
    const broken = new Proxy(real.guard, {
      get(target, key) {
        if (key === 'admit') {
          return () => {
            throw new Error('guard bug');
          };
        }
        const value = Reflect.get(target, key, target) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const guard = resourceMiddleware({ guard: broken });
    const server = new McpServerV1({ name: 's', version: '1' });
    withMiddleware(server).use(guard);
    server.registerTool('t', {}, () => text('still served'));
    const [a, b] = InMemoryV1.createLinkedPair();
    const client = new ClientV1({ name: 'c', version: '1' });
    await server.connect(b);
    await client.connect(a);
    closers.push(
      () => real.close(),
      () => server.close(),
      () => client.close(),
    );
    expect(await client.callTool({ name: 't' })).toEqual(text('still served'));
    expect(real.snapshot().internalErrors).toBe(1);
    expect(real.guard.audit().some((e) => e.action === 'internal_error' && e.detail?.includes('guard bug'))).toBe(true);
  });

  it('works on the SDK v2 low-level Server', async () => {
    const { Server } = await import('@modelcontextprotocol/server');
    const server = new Server({ name: 's', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler('tools/list', () => ({ tools: [] }));
    server.setRequestHandler('tools/call', async (request) => {
      await open(FILE, 'r');
      return text(`called ${request.params.name}`);
    });
    const guard = resourceMiddleware({ watchdog: false });
    withMiddleware(server).use(guard);
    const [a, b] = InMemoryV2.createLinkedPair();
    const client = new ClientV2({ name: 'c', version: '1' });
    await server.connect(b);
    await client.connect(a);
    closers.push(
      () => guard.close(),
      () => server.close(),
      () => client.close(),
    );
    expect(await client.callTool({ name: 'anything' })).toEqual(text('called anything'));
    expect(guard.snapshot().tools.anything).toMatchObject({
      calls: 1,
      leaks: { calls: 1 },
      cleanups: { handlesSurvived: 0 },
    });
  });
});
