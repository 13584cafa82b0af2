import { type FileHandle, open, readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { CleanupReport } from '@mcp-resource-guard/core';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { until } from '@mcp-resource-guard/test-support';
import {
  Client as ClientV2,
  StreamableHTTPClientTransport as StreamableHTTPClientTransportV2,
} from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { createMcpHandler, McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { serveFetch } from './support/v2-http.js';

const SELF = fileURLToPath(import.meta.url);
const FIXTURE = fileURLToPath(new URL('./fixtures/stdio-server.mjs', import.meta.url));
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

describe('Streamable HTTP, SDK v1: one guard shared by per-session servers', () => {
  it('holds each session to its own limits, never slowing the other session', async () => {
    const guard = resourceMiddleware({ limits: { perSession: { maxFileHandles: 4 } }, sampling: { activeMs: 10 } });
    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    // The greedy session's call, stopped at its session's limit, once its cleanup has closed its files.
    const greedyCleanedUp = new Promise<CleanupReport>((resolve) => {
      guard.on('cleanup', (r) => {
        if (r.toolName === 'hold' && r.reason === 'limit') resolve(r);
      });
    });
    // Tells the test that a call of `count` files holds them all.
    const holding = new Map<number, () => void>();
    const modestHolds = new Promise<void>((r) => holding.set(2, r));
    const host = await startHttpHost(() => {
      const server = withMiddleware(new McpServer({ name: 'h', version: '1' }));
      server.use(guard);
      server.registerTool('hold', { inputSchema: { count: z.number() } }, async ({ count }) => {
        const files: FileHandle[] = [];
        for (let i = 0; i < count; i++) files.push(await open(SELF, 'r'));
        holding.get(count)?.();
        // Its files are used only after the other session's call was cleaned up: that cleanup closed
        // nothing of this call's (a closed FileHandle fails with EBADF, and the tool's answer with it).
        await Promise.all([greedyCleanedUp, released]);
        const seen: string[] = [];
        for (const file of files) {
          const { size } = await file.stat();
          const { buffer, bytesRead } = await file.read(Buffer.alloc(16), 0, 16, 0);
          seen.push(`${size}:${buffer.toString('utf8', 0, bytesRead)}`);
        }
        return text(`held ${count}: ${seen.join(' ')}`);
      });
      server.registerTool('quick', {}, () => text('quick'));
      return server;
    });
    closers.push(
      () => guard.close(),
      () => host.close(),
    );
    const a = new Client({ name: 'a', version: '1' });
    const b = new Client({ name: 'b', version: '1' });
    await a.connect(new StreamableHTTPClientTransport(host.url));
    await b.connect(new StreamableHTTPClientTransport(host.url));
    closers.push(
      () => a.close(),
      () => b.close(),
    );

    // The modest session holds its files before the greedy one opens any.
    const modest = b.callTool({ name: 'hold', arguments: { count: 2 } });
    await modestHolds;
    const stopped = await a.callTool({ name: 'hold', arguments: { count: 5 } });
    expect(stopped.isError).toBe(true);
    expect(stopped._meta?.['mcp-resource-guard/error']).toMatchObject({ scope: 'session', resource: 'fileHandles' });
    // The greedy call's cleanup closed its own files (as many as it held when stopped), and nothing survived.
    const greedyReport = await greedyCleanedUp;
    expect(greedyReport.closed).toEqual({ file: expect.any(Number) });
    expect(greedyReport.survived).toBe(0);
    // The other session is untouched: its calls run, and its held call, using its files after that
    // cleanup, completes normally.
    expect(await b.callTool({ name: 'quick' })).toEqual(text('quick'));
    release();
    const self = await readFile(SELF);
    const seen = `${self.length}:${self.toString('utf8', 0, 16)}`;
    expect(await modest).toEqual(text(`held 2: ${seen} ${seen}`));
    const snap = guard.snapshot();
    expect(snap.tools.hold?.cleanups.handlesSurvived).toBe(0);
    expect(snap.inFlight).toBe(0);
  });

  it('ends and cleans up a session’s calls when the client terminates the session (HTTP DELETE)', async () => {
    const guard = resourceMiddleware({ sampling: { activeMs: 10 } });
    let started = false;
    const host = await startHttpHost(() => {
      const server = withMiddleware(new McpServer({ name: 'h', version: '1' }));
      server.use(guard);
      server.registerTool('stuck', {}, async () => {
        await open(SELF, 'r');
        started = true;
        return new Promise<never>(() => {});
      });
      return server;
    });
    closers.push(
      () => guard.close(),
      () => host.close(),
    );
    const client = new Client({ name: 'c', version: '1' });
    const transport = new StreamableHTTPClientTransport(host.url);
    await client.connect(transport);
    void client.callTool({ name: 'stuck' }).catch(() => {});
    await until(() => started, { what: 'the call of stuck to start' });
    expect(host.sessions).toBe(1);
    await transport.terminateSession();
    await client.close();
    const done = () => guard.snapshot().inFlight === 0 && guard.snapshot().tools.stuck?.cleanups.count === 1;
    await until(done, { what: 'the call of stuck to end, cleaned up' });
    const snap = guard.snapshot();
    expect(snap.inFlight).toBe(0);
    expect(snap.sessions).toBe(0);
    expect(snap.tools.stuck?.cleanups).toMatchObject({ handlesClosed: 1, handlesSurvived: 0 });
  });
});

describe('Streamable HTTP, SDK v2: createMcpHandler with a new server per request', () => {
  it('tracks and cleans up calls across per-request servers sharing one guard', async () => {
    const guard = resourceMiddleware({ sampling: { activeMs: 10 } });
    let servers = 0;
    const handler = createMcpHandler(() => {
      servers++;
      const server = withMiddleware(new McpServerV2({ name: 'v2', version: '1' }));
      server.use(guard);
      server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, ({ message }) => text(message));
      server.registerTool('leaky', {}, async () => {
        await open(SELF, 'r');
        return text('leaked');
      });
      return server;
    });
    const served = await serveFetch(handler);
    closers.push(
      () => guard.close(),
      () => served.close(),
    );
    const client = new ClientV2({ name: 'c', version: '1' });
    await client.connect(new StreamableHTTPClientTransportV2(served.url));
    closers.push(() => client.close());
    expect(await client.callTool({ name: 'echo', arguments: { message: 'hi' } })).toEqual(text('hi'));
    expect(await client.callTool({ name: 'leaky' })).toEqual(text('leaked'));
    expect(servers).toBeGreaterThanOrEqual(2);
    const snap = guard.snapshot();
    expect(snap.tools.echo?.calls).toBe(1);
    expect(snap.tools.leaky?.leaks.calls).toBe(1);
    expect(snap.tools.leaky?.cleanups).toMatchObject({ handlesClosed: 1, handlesSurvived: 0 });
  });
});

describe.each(['v1', 'v2'] as const)('stdio, SDK %s: the server in a child process', (major) => {
  async function connect() {
    const transport =
      major === 'v1'
        ? new StdioClientTransport({ command: process.execPath, args: [FIXTURE, 'v1'], stderr: 'ignore' })
        : new StdioClientTransportV2({ command: process.execPath, args: [FIXTURE, 'v2'], stderr: 'ignore' });
    const client = (
      major === 'v1' ? new Client({ name: 'c', version: '1' }) : new ClientV2({ name: 'c', version: '1' })
    ) as Client;
    await client.connect(transport as never);
    closers.push(() => client.close());
    return client;
  }
  async function inspect(client: Client): Promise<{
    fds: number;
    snapshot: {
      inFlight: number;
      tools: Record<
        string,
        { cleanups: { handlesClosed: number; handlesSurvived: number }; outcomes: Record<string, number> }
      >;
    };
  }> {
    return JSON.parse(firstText(await client.callTool({ name: 'inspect' })));
  }

  it('answers as usual, and closes what a tool leaks before the response', async () => {
    const client = await connect();
    const before = await inspect(client);
    expect(await client.callTool({ name: 'echo', arguments: { message: 'over stdio' } })).toEqual(text('over stdio'));
    expect(await client.callTool({ name: 'leaky' })).toEqual(text('leaked'));
    const after = await inspect(client);
    expect(after.snapshot.tools.leaky?.cleanups).toMatchObject({ handlesClosed: 2, handlesSurvived: 0 });
    expect(after.fds).toBe(before.fds);
  });

  it('on a client timeout, ends the call (cancelled) and cleans it up though its handler never returns', async () => {
    const client = await connect();
    const before = await inspect(client);
    // v1's callTool takes (params, resultSchema, options); v2's takes (params, options).
    const call =
      major === 'v1'
        ? client.callTool({ name: 'hang' }, undefined, { timeout: 200 })
        : (client as unknown as ClientV2).callTool({ name: 'hang' }, { timeout: 200 });
    await expect(call).rejects.toThrow();
    // Until no call is in flight but the one that inspects (as before the hang), the hang's cleanup is done, and
    // the descriptors it closed are closed.
    let after = await inspect(client);
    await until(
      async () => {
        after = await inspect(client);
        const cleanups = after.snapshot.tools.hang?.cleanups;
        const cleaned = cleanups !== undefined && cleanups.handlesClosed + cleanups.handlesSurvived > 0;
        return after.snapshot.inFlight === before.snapshot.inFlight && cleaned && after.fds === before.fds;
      },
      { what: () => `the end of hang (${after.fds} fds, ${before.fds} before; ${JSON.stringify(after.snapshot)})` },
    );
    expect(after.snapshot.tools.hang?.outcomes.cancelled).toBe(1);
    expect(after.snapshot.tools.hang?.cleanups).toMatchObject({ handlesClosed: 1, handlesSurvived: 0 });
    expect(after.fds).toBe(before.fds);
  });
});
