import { sleep, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  applyMiddleware,
  getCallContext,
  ResourceGuardError,
  resourceMiddleware,
  type ToolCallContext,
  type ToolCallMiddleware,
  withMiddleware,
} from '../src/index.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function connect(server: McpServer | Server): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  closers.push(async () => {
    await client.close();
    await server.close();
  });
  return client;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;

describe('withMiddleware', () => {
  it('returns the same instance, adds use() to it only, and installing twice is a no-op', async () => {
    const a = new McpServer({ name: 'a', version: '1' });
    const b = new McpServer({ name: 'b', version: '1' });
    const wrapped = withMiddleware(a);
    expect(wrapped).toBe(a);
    expect(withMiddleware(a)).toBe(a);
    expect('use' in b).toBe(false);
    expect('use' in McpServer.prototype).toBe(false);
    let runs = 0;
    wrapped.use(async (_ctx, next) => {
      runs++;
      return next();
    });
    a.registerTool('t', {}, () => text('ok'));
    const client = await connect(a);
    await client.callTool({ name: 't' });
    expect(runs).toBe(1);
  });

  it('runs middlewares as an onion, outermost first, for tools registered before and after use()', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('early', {}, () => text('early'));
    const order: string[] = [];
    const mw =
      (name: string): ToolCallMiddleware =>
      async (ctx, next) => {
        order.push(`${name}>${ctx.toolName}`);
        const result = await next();
        order.push(`<${name}`);
        return result;
      };
    withMiddleware(server).use(mw('outer'), mw('inner'));
    server.registerTool('late', {}, () => text('late'));
    const client = await connect(server);
    expect(firstText(await client.callTool({ name: 'early' }))).toBe('early');
    expect(firstText(await client.callTool({ name: 'late' }))).toBe('late');
    expect(order).toEqual([
      'outer>early',
      'inner>early',
      '<inner',
      '<outer',
      'outer>late',
      'inner>late',
      '<inner',
      '<outer',
    ]);
  });

  it('lets a middleware answer without calling the tool', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    let toolRan = false;
    server.registerTool('t', {}, () => {
      toolRan = true;
      return text('tool');
    });
    applyMiddleware(server, async () => ({ ...text('short-circuit'), isError: true }));
    const client = await connect(server);
    const result = await client.callTool({ name: 't' });
    expect(result).toEqual({ ...text('short-circuit'), isError: true });
    expect(toolRan).toBe(false);
  });

  it('rejects next() called twice with a typed error', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('t', {}, () => text('ok'));
    applyMiddleware(server, async (_ctx, next) => {
      await next();
      return next();
    });
    const client = await connect(server);
    await expect(client.callTool({ name: 't' })).rejects.toThrow(/next\(\) more than once/);
  });

  it('gives middlewares the call context fields and the registered tool metadata', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool(
      't',
      { title: 'T', description: 'd', annotations: { readOnlyHint: true }, _meta: { owner: 'x' } },
      () => text('ok'),
    );
    let seen: Partial<ToolCallContext> & { args?: unknown; toolInfo?: unknown } = {};
    applyMiddleware(server, async (ctx, next) => {
      seen = { toolName: ctx.toolName, requestId: ctx.requestId, sdkMajor: ctx.sdkMajor, meta: ctx.meta };
      seen.args = ctx.arguments;
      seen.toolInfo = ctx.tool;
      return next();
    });
    const client = await connect(server);
    await client.callTool({ name: 't', arguments: { q: 1 }, _meta: { progressToken: 7 } });
    expect(seen.toolName).toBe('t');
    expect(typeof seen.requestId).toBe('number');
    expect(seen.sdkMajor).toBe(1);
    expect(seen.meta).toEqual({ progressToken: 7 });
    expect(seen.args).toEqual({ q: 1 });
    expect(seen.toolInfo).toEqual({
      name: 't',
      title: 'T',
      description: 'd',
      annotations: { readOnlyHint: true },
      meta: { owner: 'x' },
      enabled: true,
    });
  });

  it("gives every middleware the SDK's own signal, whatever signal an inner one gave the handler", async () => {
    const server = withMiddleware(new McpServer({ name: 's', version: '1' }));
    const seen: { sdkSignal: AbortSignal; signal: AbortSignal }[] = [];
    const replaced = new AbortController();
    server.use(
      async (ctx, next) => {
        ctx.useSignal(() => replaced.signal);
        return next();
      },
      async (ctx, next) => {
        seen.push({ sdkSignal: ctx.sdkSignal, signal: ctx.signal });
        return next();
      },
    );
    let started: () => void = () => {};
    const running = new Promise<void>((r) => {
      started = r;
    });
    server.registerTool('wait', {}, async (extra) => {
      started();
      await new Promise((r) => extra.signal.addEventListener('abort', r));
      return text('aborted');
    });
    const client = await connect(server);
    const cancel = new AbortController();
    const call = client.callTool({ name: 'wait' }, undefined, { signal: cancel.signal }).catch(() => 'cancelled');
    await running;
    cancel.abort();
    replaced.abort(); // lets the handler, which sees the replaced signal, return
    expect(await call).toBe('cancelled');
    expect(seen).toHaveLength(1);
    expect(seen[0]?.signal).toBe(replaced.signal);
    expect(seen[0]?.sdkSignal).not.toBe(replaced.signal);
    expect(seen[0]?.sdkSignal.aborted).toBe(true); // the client's cancel reached the SDK's own signal
  });

  it('works on the low-level Server, whose handler is set before and replaced after use()', async () => {
    const server = new Server({ name: 's', version: '1' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [] }));
    server.setRequestHandler(CallToolRequestSchema, (req) => text(`v1:${req.params.name}`));
    const seen: string[] = [];
    withMiddleware(server).use(async (ctx, next) => {
      seen.push(ctx.toolName);
      return next();
    });
    server.setRequestHandler(CallToolRequestSchema, (req) => text(`v2:${req.params.name}`));
    const client = await connect(server);
    expect(firstText(await client.callTool({ name: 'anything' }))).toBe('v2:anything');
    expect(seen).toEqual(['anything']);
  });

  it('works on an McpServer whose tool handler is installed at construction (capabilities.tools)', async () => {
    const server = new McpServer({ name: 's', version: '1' }, { capabilities: { tools: {} } });
    const guard = resourceMiddleware();
    withMiddleware(server).use(guard);
    server.registerTool('t', {}, () => text(getCallContext().toolName));
    const client = await connect(server);
    expect(firstText(await client.callTool({ name: 't' }))).toBe('t');
    expect(guard.snapshot().tools.t?.calls).toBe(1);
  });

  it('shares one interceptor between an McpServer and its low-level server', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    server.registerTool('t', {}, () => text('ok'));
    const seen: string[] = [];
    withMiddleware(server).use(async (_c, next) => {
      seen.push('mcp');
      return next();
    });
    withMiddleware(server.server).use(async (_c, next) => {
      seen.push('low');
      return next();
    });
    const client = await connect(server);
    await client.callTool({ name: 't' });
    expect(seen).toEqual(['mcp', 'low']);
  });

  it.each([
    ['null', null],
    ['a plain object', { connect() {} }],
    ['a server-like object without connect()', { _requestHandlers: new Map(), setRequestHandler() {} }],
  ])('refuses %s with UNSUPPORTED_SDK naming the installed SDK', (_label, value) => {
    let caught: unknown;
    try {
      withMiddleware(value as never);
    } catch (e) {
      caught = e;
    }
    expect(ResourceGuardError.is(caught)).toBe(true);
    const err = caught as ResourceGuardError;
    expect(err.code).toBe('UNSUPPORTED_SDK');
    expect(err.hint).toMatch(/this package's: @modelcontextprotocol\/sdk 1\.32\.2/);
  });

  it('refuses a server that already has its own use member, changing nothing', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    Object.assign(server, { use: 'theirs' });
    expect(() => withMiddleware(server)).toThrow(/already has a `use` member/);
    const handlers = (server.server as unknown as { _requestHandlers: Map<string, unknown> })._requestHandlers;
    server.registerTool('t', {}, () => text('ok'));
    expect(Object.getOwnPropertySymbols(handlers.get('tools/call') as object)).toEqual([]);
  });

  it('rejects a middleware that is not a function', () => {
    const server = withMiddleware(new McpServer({ name: 's', version: '1' }));
    expect(() => server.use('nope' as never)).toThrow(ResourceGuardError);
  });
});

describe('resourceMiddleware signal', () => {
  it('gives the tool a signal that the client cancel aborts, and records the call as cancelled', async () => {
    const server = new McpServer({ name: 's', version: '1' });
    const guard = resourceMiddleware();
    withMiddleware(server).use(guard);
    let aborted: Promise<unknown> | undefined;
    server.registerTool('wait', {}, async (extra) => {
      const signal = extra.signal;
      expect(signal).toBe(getCallContext().signal);
      aborted = new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));
      await aborted;
      return text('done');
    });
    const client = await connect(server);
    const controller = new AbortController();
    const pending = client.callTool({ name: 'wait' }, undefined, { signal: controller.signal });
    await until(() => aborted !== undefined, { what: 'the handler to wait for its signal', intervalMs: 1 });
    controller.abort('user gave up');
    await expect(pending).rejects.toThrow();
    await aborted;
    await sleep(5);
    expect(guard.snapshot().tools.wait?.outcomes.cancelled).toBe(1);
  });
});
