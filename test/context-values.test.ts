// Values a middleware sets for one call and the tool handler reads, typed by their key (as Hono's c.set / c.get),
// through the real SDK v1 and v2 servers, with the guard in the chain.
import {
  contextKey,
  contextValue,
  resourceMiddleware,
  type ToolCallMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import { Client as ClientV2, InMemoryTransport as InMemoryV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as InMemoryV1 } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';

interface User {
  readonly name: string;
  readonly scopes: readonly string[];
}
const USER = contextKey<User>('user');
const REQUEST_NUMBER = contextKey<number>('request number');

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

type Extra = object;
// A tool without an input schema: the SDK calls its handler with the extra (v1) or context (v2) alone.
type Handler = (extra: Extra) => Promise<{ content: { type: 'text'; text: string }[] }>;

async function serve(variant: 'v1' | 'v2', middlewares: ToolCallMiddleware[], handler: Handler) {
  const server =
    variant === 'v1'
      ? new McpServerV1({ name: 's', version: '1.0.0' })
      : new McpServerV2({ name: 's', version: '1.0.0' });
  const guarded = withMiddleware(server);
  for (const m of middlewares) guarded.use(m);
  (server as unknown as { registerTool(n: string, c: object, h: Handler): void }).registerTool('whoami', {}, handler);
  const [clientSide, serverSide] = variant === 'v1' ? InMemoryV1.createLinkedPair() : InMemoryV2.createLinkedPair();
  const client =
    variant === 'v1' ? new ClientV1({ name: 'c', version: '1.0.0' }) : new ClientV2({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide as never);
  await client.connect(clientSide as never);
  closers.push(
    () => client.close(),
    () => server.close(),
  );
  return client as ClientV1;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;

describe.each(['v1', 'v2'] as const)('SDK %s: values middlewares pass to the tool handler', (variant) => {
  it('reach the handler through its extra, typed by their key, one set per call', async () => {
    let n = 0;
    const auth: ToolCallMiddleware = async (ctx, next) => {
      ctx.set(USER, { name: `user-${String(ctx.arguments?.who ?? 'anon')}`, scopes: ['read'] });
      ctx.set(REQUEST_NUMBER, ++n);
      return next();
    };
    const audit: ToolCallMiddleware = async (ctx, next) => {
      // A later middleware reads what an earlier one set.
      const user = ctx.get(USER);
      if (user?.scopes.includes('read') !== true) return text('refused');
      return next();
    };
    const guard = resourceMiddleware({ watchdog: false });
    closers.push(() => guard.close());
    const client = await serve(variant, [auth, guard, audit], async (extra) => {
      const user: User | undefined = contextValue(extra, USER);
      return text(`${user?.name} #${contextValue(extra, REQUEST_NUMBER)}`);
    });
    expect(firstText(await client.callTool({ name: 'whoami', arguments: { who: 'ada' } }))).toBe('user-ada #1');
    expect(firstText(await client.callTool({ name: 'whoami', arguments: { who: 'bob' } }))).toBe('user-bob #2');
  });

  it('are undefined in a handler no middleware set them for, and keys with one name stay distinct', async () => {
    const other = contextKey<User>('user'); // same name, another key
    const client = await serve(
      variant,
      [
        async (ctx, next) => {
          ctx.set(other, { name: 'x', scopes: [] });
          return next();
        },
      ],
      async (extra) => text(`${contextValue(extra, USER)?.name ?? 'none'} ${contextValue(extra, other)?.name}`),
    );
    expect(firstText(await client.callTool({ name: 'whoami' }))).toBe('none x');
  });
});

describe('contextValue', () => {
  it('is undefined for an object that is not a call’s extra', () => {
    expect(contextValue({}, USER)).toBeUndefined();
  });
});
