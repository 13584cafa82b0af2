import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CorpusServer, registerCorpus } from './support/tool-corpus.js';

/** A server reached through raw JSON-RPC messages, so that any request can be sent. */
async function rawServer(guarded: boolean) {
  const server = new McpServer({ name: 's', version: '1.0.0' });
  const guard = resourceMiddleware({ watchdog: false });
  if (guarded) withMiddleware(server).use(guard);
  registerCorpus(server as unknown as CorpusServer);
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const responses = new Map<string | number, (m: JSONRPCMessage) => void>();
  client.onmessage = (message) => {
    const id = (message as { id?: string | number }).id;
    if (id !== undefined) responses.get(id)?.(message);
  };
  await server.connect(serverSide);
  await client.start();
  let next = 0;
  const request = (method: string, params: unknown): Promise<JSONRPCMessage> => {
    const id = ++next;
    const answered = new Promise<JSONRPCMessage>((resolve) => responses.set(id, resolve));
    void client.send({ jsonrpc: '2.0', id, method, params } as JSONRPCMessage);
    return answered;
  };
  await request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 'fuzz', version: '1' },
  });
  await client.send({ jsonrpc: '2.0', method: 'notifications/initialized' } as JSONRPCMessage);
  return {
    call: async (params: unknown) => {
      const answer = await Promise.race([
        request('tools/call', params),
        new Promise<JSONRPCMessage>((r) => setTimeout(() => r({ unanswered: params } as never), 300)),
      ]);
      const { id: _id, ...rest } = answer as JSONRPCMessage & { id: unknown };
      return rest;
    },
    guard,
    close: async () => {
      await client.close();
      await server.close();
      await guard.close();
    },
  };
}

const toolName = fc.oneof(
  fc.constantFrom('echo', 'structured', 'no_args', 'reports_error', 'throws', 'rejects_non_error', 'mixed', 'disabled'),
  fc.string({ maxLength: 12 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'hasOwnProperty', ''),
);
const jsonValue = fc.jsonValue({ maxDepth: 3 });
const paramsArb = fc.oneof(
  fc.record(
    { name: toolName, arguments: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), jsonValue), { nil: undefined }) },
    { requiredKeys: ['name'] },
  ),
  fc.record({
    name: toolName,
    arguments: jsonValue,
    _meta: fc.option(fc.dictionary(fc.string({ maxLength: 8 }), jsonValue), { nil: undefined }),
  }),
  fc.record({ name: fc.oneof(fc.integer(), fc.constant(null), fc.array(fc.string())) }),
);

describe('tools/call requests, fuzzed through the middleware', () => {
  it('never crash the server, and are answered exactly as a bare server answers them', async () => {
    const bare = await rawServer(false);
    const guarded = await rawServer(true);
    try {
      await fc.assert(
        fc.asyncProperty(paramsArb, async (params) => {
          const [expected, actual] = await Promise.all([bare.call(params), guarded.call(params)]);
          expect(actual).toEqual(expected);
        }),
        { numRuns: 300 },
      );
      // Params that are not an object: SDK 1.32 answers none of these, bare or guarded.
      for (const params of [false, 'text', 3, null]) {
        expect(await guarded.call(params)).toEqual(await bare.call(params));
      }
      expect(guarded.guard.snapshot().internalErrors).toBe(0);
      expect(guarded.guard.snapshot().inFlight).toBe(0);
    } finally {
      await bare.close();
      await guarded.close();
    }
  });
});
