/** Calls spread over many MCP sessions: one server and one real SDK client per session, over InMemoryTransport. */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { callTool, serverFactory } from './mcp-fixtures.js';
import { measureCalls } from './measure.js';
import type { ChildRequest, VariantSample } from './scenario.js';

/**
 * In a child: `sessions` bare or guarded servers (all guarded ones share one guard), each with one no-op
 * tool and a real SDK `Client`; the server side of each in-memory pair carries a session id (as a
 * Streamable HTTP transport would), so the guard sees `sessions` distinct sessions. Calls cycle through
 * the sessions.
 *
 * @param request - the variant and loop settings
 * @param sessions - how many sessions
 * @returns the sample
 */
export async function measureSessionCalls(request: ChildRequest, sessions: number): Promise<VariantSample> {
  const factory = await serverFactory(request.variant, (server) => {
    server.registerTool('noop', { description: 'Does nothing' }, () => ({ content: [] }));
  });
  const clients: Client[] = [];
  const closers: (() => Promise<void>)[] = [];
  for (let i = 0; i < sessions; i++) {
    const server = factory.create();
    const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
    // The SDK passes the transport's session id to handlers as `extra.sessionId`.
    (serverTransport as { sessionId?: string }).sessionId = `session-${i}`;
    await server.connect(serverTransport);
    const client = new Client({ name: `bench-client-${i}`, version: '1.0.0' });
    await client.connect(clientTransport);
    clients.push(client);
    closers.push(async () => {
      await client.close();
      await server.close();
    });
  }
  let next = 0;
  try {
    return await measureCalls(
      request.variant,
      () => callTool(clients[next++ % clients.length]!, 'noop'),
      request.loop,
      () => factory.guardCalls(),
    );
  } finally {
    for (const close of closers) await close();
    await factory.close();
  }
}
