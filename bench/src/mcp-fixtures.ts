/** The MCP pieces every overhead scenario shares: a bare or guarded `McpServer`, and SDK clients to drive it. */

import type { ResourceMiddleware, ResourceMiddlewareOptions } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Variant } from './scenario.js';

/** Makes servers of one variant; in the guarded variant every server it makes shares one guard. */
export interface ServerFactory {
  readonly variant: Variant;
  /** The guard every server shares (guarded), or undefined (bare). */
  readonly guard: ResourceMiddleware | undefined;
  /** A new server with the scenario's tools registered (behind the guard, when guarded). */
  create(): McpServer;
  /** Calls the guard has recorded so far (guarded), or null (bare). */
  guardCalls(): number | null;
  close(): Promise<void>;
}

/**
 * A factory of bare or guarded servers. The guard package is imported only for the guarded variant,
 * so a bare child never loads it (nor creates its AsyncLocalStorage).
 *
 * @param variant - bare or guarded
 * @param registerTools - registers the scenario's tools on a new server
 * @param guardOptions - options of `resourceMiddleware()` in the guarded variant (default: none)
 * @returns the factory
 */
export async function serverFactory(
  variant: Variant,
  registerTools: (server: McpServer) => void,
  guardOptions: ResourceMiddlewareOptions = {},
): Promise<ServerFactory> {
  let guard: ResourceMiddleware | undefined;
  let install = (server: McpServer): McpServer => server;
  if (variant === 'guarded') {
    const { resourceMiddleware, withMiddleware } = await import('@mcp-resource-guard/sdk-middleware');
    const middleware = resourceMiddleware(guardOptions);
    guard = middleware;
    install = (server) => withMiddleware(server).use(middleware);
  }
  return {
    variant,
    guard,
    create() {
      const server = install(new McpServer({ name: `bench-${variant}`, version: '1.0.0' }));
      registerTools(server);
      return server;
    },
    guardCalls() {
      if (guard === undefined) return null;
      return Object.values(guard.snapshot().tools).reduce((sum, tool) => sum + tool.calls, 0);
    },
    async close() {
      await guard?.close();
    },
  };
}

/** A connected SDK client, and how to take the connection down. */
export interface Connection {
  readonly client: Client;
  /** The session id the server gave (Streamable HTTP), or undefined. */
  readonly sessionId?: string | undefined;
  close(): Promise<void>;
}

/**
 * Connects a real SDK `Client` to a server over `InMemoryTransport`.
 *
 * @param server - the server
 * @param sessionId - a session id for the server side to carry (as a Streamable HTTP transport would; the
 *   SDK passes it to handlers as `extra.sessionId`), or none
 * @returns the connection
 */
export async function connectInMemory(server: McpServer, sessionId?: string): Promise<Connection> {
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  if (sessionId !== undefined) (serverTransport as { sessionId?: string }).sessionId = sessionId;
  await server.connect(serverTransport);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return {
    client,
    async close() {
      await client.close();
      await server.close();
    },
  };
}

/**
 * Connects a real SDK `Client` over Streamable HTTP (one session).
 *
 * @param url - the MCP endpoint
 * @returns the connection
 */
export async function connectHttp(url: URL): Promise<Connection> {
  const transport = new StreamableHTTPClientTransport(url);
  const client = new Client({ name: 'bench-client', version: '1.0.0' });
  await client.connect(transport);
  return {
    client,
    sessionId: transport.sessionId,
    async close() {
      await transport.terminateSession();
      await client.close();
    },
  };
}

/**
 * Calls a tool and throws unless it succeeded, so a broken setup fails the benchmark instead of
 * timing error paths.
 *
 * @param client - the client
 * @param name - the tool
 * @param args - its arguments
 */
export async function callTool(client: Client, name: string, args: Record<string, unknown> = {}): Promise<void> {
  const result = await client.callTool({ name, arguments: args });
  if (result.isError === true) {
    throw new Error(`tool ${name} failed: ${JSON.stringify(result.content)}`);
  }
}
