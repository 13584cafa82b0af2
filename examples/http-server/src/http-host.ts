/**
 * A Streamable HTTP MCP host on 127.0.0.1: one McpServer and transport per session, created by the
 * caller's factory (which installs the guard on each). Used by the examples, the demo, the tests and the
 * benchmarks.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type EventStore, StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';

/** A running host. */
export interface HttpHost {
  /** The MCP endpoint. */
  readonly url: URL;
  /** Sessions open now. */
  readonly sessions: number;
  /** Closes every session's server and the HTTP server. */
  close(): Promise<void>;
}

/** How the host serves its sessions. */
export interface HttpHostOptions {
  /**
   * Host names (without port) accepted in the `Host` header; any other gets HTTP 403 before a server is
   * made (DNS rebinding protection, as the SDK's `hostHeaderValidation` does for Express). Default: the
   * loopback names `127.0.0.1`, `localhost` and `[::1]`, since the host listens on 127.0.0.1 only.
   */
  readonly allowedHostnames?: readonly string[];
  /**
   * Makes the event store of a new session: SSE streams become resumable (a client reconnects with
   * `Last-Event-ID`) and tools may close their stream mid-call (`extra.closeSSEStream`). Default: none.
   */
  readonly eventStore?: () => EventStore;
  /** The `retry` field (ms) sent to clients on resumable SSE streams. Default: none. */
  readonly retryIntervalMs?: number;
  /** The port to listen on. Default: 0, a free port. */
  readonly port?: number;
}

const LOOPBACK_HOSTNAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

function jsonRpcError(res: ServerResponse, status: number, message: string): void {
  res
    .writeHead(status, { 'content-type': 'application/json' })
    .end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function hostnameOf(req: IncomingMessage): string | undefined {
  try {
    return req.headers.host === undefined ? undefined : new URL(`http://${req.headers.host}`).hostname;
  } catch {
    return undefined;
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return chunks.length === 0 ? undefined : JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/**
 * Starts the host on 127.0.0.1 (a free port unless `options.port` is given).
 *
 * @param createServerForSession - makes the McpServer of a new session
 * @param options - host name check, resumable streams
 * @returns the running host
 */
export async function startHttpHost(
  createServerForSession: () => McpServer,
  options: HttpHostOptions = {},
): Promise<HttpHost> {
  const allowedHostnames = options.allowedHostnames ?? LOOPBACK_HOSTNAMES;
  const sessions = new Map<string, { transport: StreamableHTTPServerTransport; server: McpServer }>();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const hostname = hostnameOf(req);
    if (hostname === undefined || !allowedHostnames.includes(hostname)) {
      jsonRpcError(res, 403, `Invalid Host: ${req.headers.host ?? '(none)'}`);
      return;
    }
    const sessionId = req.headers['mcp-session-id'];
    const existing = typeof sessionId === 'string' ? sessions.get(sessionId) : undefined;
    const body = req.method === 'POST' ? await readJson(req) : undefined;
    if (existing) {
      await existing.transport.handleRequest(req, res, body);
      return;
    }
    if (req.method !== 'POST' || !isInitializeRequest(body)) {
      jsonRpcError(res, 400, 'No valid session');
      return;
    }
    const server = createServerForSession();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      ...(options.eventStore === undefined ? {} : { eventStore: options.eventStore() }),
      ...(options.retryIntervalMs === undefined ? {} : { retryInterval: options.retryIntervalMs }),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
  }

  const http: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = http.address() as AddressInfo;
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    get sessions() {
      return sessions.size;
    },
    async close() {
      for (const { server } of sessions.values()) await server.close();
      sessions.clear();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}
