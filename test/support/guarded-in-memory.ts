// A guarded SDK v1 McpServer and its client over InMemoryTransport, for tests that only need the tools they
// register and the guard's events.
import { type ResourceMiddleware, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';

export interface GuardedInMemory {
  readonly guard: ResourceMiddleware;
  readonly server: McpServer;
  readonly client: Client;
  /** Closes the guard, the server and the client. */
  close(): Promise<void>;
}

/**
 * Starts a server behind `resourceMiddleware(options)` (watchdog off unless given) with the tools `register` adds,
 * and connects a client to it.
 */
export async function guardedInMemory(
  options: Parameters<typeof resourceMiddleware>[0],
  register: (server: McpServer, guard: ResourceMiddleware) => void,
): Promise<GuardedInMemory> {
  const guard = resourceMiddleware({ watchdog: false, ...options });
  const server = withMiddleware(new McpServer({ name: 'guarded', version: '1.0.0' }));
  server.use(guard);
  register(server, guard);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  return {
    guard,
    server,
    client,
    close: async () => {
      await client.close().catch(() => {});
      await server.close().catch(() => {});
      await guard.close().catch(() => {});
    },
  };
}
