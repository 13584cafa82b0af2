// Faults through the real SDK client and server (v1 McpServer, InMemoryTransport and Streamable HTTP): after each,
// the server keeps serving, the client got a well-formed answer (or the SDK's documented cancel behaviour), and
// the process holds no more descriptors or handles than before the fault.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, openSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CleanupReport, getCallContext, type LeakEvent } from '@mcp-resource-guard/core';
import { type HttpHost, startHttpHost } from '@mcp-resource-guard/example-http-server';
import {
  type ResourceMiddleware,
  type ResourceMiddlewareOptions,
  resourceMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import {
  type GroundTruth,
  isRunning,
  LEAKS,
  type LeakEnv,
  leakScratch,
  readGroundTruth,
  settleTo,
  sleep,
  until,
} from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;
const never = () => new Promise<never>(() => {});

// The files the tools open (and the one inotify descriptor libuv keeps per loop once fs.watch is first used) come
// before any baseline.
const scratch = leakScratch('faults-');
// Peers outside any call (so part of the baseline): a TCP server and an HTTP server that never answers.
let tcpPeer: NetServer;
let httpPeer: HttpServer;
const portOf = (s: NetServer | HttpServer) => (s.address() as { port: number }).port;
/** What the tools' leaks open things on: the scratch files and the peers. */
let env: LeakEnv;
beforeAll(async () => {
  tcpPeer = createServer((s) => s.on('error', () => {}));
  httpPeer = createHttpServer(() => {}); // never answers
  await new Promise<void>((r) => tcpPeer.listen(0, '127.0.0.1', r));
  await new Promise<void>((r) => httpPeer.listen(0, '127.0.0.1', r));
  env = { ...scratch, tcpPort: portOf(tcpPeer), httpPort: portOf(httpPeer) };
});
afterAll(async () => {
  httpPeer.closeAllConnections();
  await new Promise((r) => httpPeer.close(r));
  await new Promise((r) => tcpPeer.close(r));
  scratch.remove();
});

/**
 * What the process holds, as the faults compare it: descriptors and live handles by type (requests in flight left
 * out: they come and go with the transports' I/O).
 */
const reading = { requests: false } as const;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

interface Harness {
  readonly client: Client;
  readonly guard: ResourceMiddleware;
  readonly cleanups: CleanupReport[];
  readonly leaks: LeakEvent[];
  /** The process after setup and one warm-up call: what it must come back to. */
  readonly baseline: GroundTruth;
}

const GUARD_OPTIONS: ResourceMiddlewareOptions = { sampling: { activeMs: 10, idleMs: 50 }, watchdog: false };

function guardWithEvents(options: ResourceMiddlewareOptions) {
  const guard = resourceMiddleware({ ...GUARD_OPTIONS, ...options });
  const cleanups: CleanupReport[] = [];
  const leaks: LeakEvent[] = [];
  guard.on('cleanup', (r) => cleanups.push(r));
  guard.on('leak', (e) => leaks.push(e));
  return { guard, cleanups, leaks };
}

function newServer(guard: ResourceMiddleware, register: (server: McpServer) => void): McpServer {
  const server = withMiddleware(new McpServer({ name: 'faults', version: '1.0.0' }));
  server.use(guard);
  server.registerTool('ping', {}, () => text('pong'));
  register(server);
  return server;
}

async function baselineAfterWarmUp(client: Client): Promise<GroundTruth> {
  expect(await client.callTool({ name: 'ping' })).toEqual(text('pong'));
  await sleep(100);
  return readGroundTruth(reading);
}

/** One server and client over InMemoryTransport. */
async function inMemory(
  register: (server: McpServer) => void,
  options: ResourceMiddlewareOptions = {},
): Promise<Harness & { server: McpServer }> {
  const { guard, cleanups, leaks } = guardWithEvents(options);
  const server = newServer(guard, register);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  closers.push(
    () => guard.close(),
    () => server.close(),
    () => client.close(),
  );
  return { client, guard, cleanups, leaks, server, baseline: await baselineAfterWarmUp(client) };
}

/** The Streamable HTTP host (one server per session behind one guard), and a first client session. */
async function overHttp(
  register: (server: McpServer) => void,
  options: ResourceMiddlewareOptions = {},
): Promise<
  Harness & { host: HttpHost; servers: McpServer[]; connect(fetch?: typeof globalThis.fetch): Promise<Client> }
> {
  const { guard, cleanups, leaks } = guardWithEvents(options);
  const servers: McpServer[] = [];
  const host = await startHttpHost(() => {
    const server = newServer(guard, register);
    servers.push(server);
    return server;
  });
  closers.push(
    () => guard.close(),
    () => host.close(),
  );
  const connect = async (fetch?: typeof globalThis.fetch): Promise<Client> => {
    const client = new Client({ name: 'c', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(host.url, fetch === undefined ? {} : { fetch }));
    closers.push(() => client.close());
    return client;
  };
  const client = await connect();
  return { client, guard, cleanups, leaks, host, servers, connect, baseline: await baselineAfterWarmUp(client) };
}

async function expectServingAndNothingLeft(h: Harness, client: Client = h.client): Promise<void> {
  expect(await client.callTool({ name: 'ping' })).toEqual(text('pong'));
  // Pipes of a killed child, a terminated worker's descriptors and a destroyed socket close a little after the
  // guard's cleanup resolves, and the connection of an aborted `fetch` stays in undici's pool (not the call's) for
  // its keep-alive timeout, 4 s.
  expect((await settleTo(h.baseline, { ...reading, timeoutMs: 10_000 })).items).toEqual({});
}

describe('a handler that fails', () => {
  it('throws synchronously, holding a file: an isError result with its message, the file closed', async () => {
    const h = await inMemory((s) =>
      s.registerTool('sync_throw', {}, () => {
        openSync(env.file, 'r');
        throw new Error('sync failure');
      }),
    );
    const result = await h.client.callTool({ name: 'sync_throw' });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toContain('sync failure');
    expect(h.leaks).toMatchObject([{ tool: 'sync_throw', handles: { file: 1 } }]);
    await expectServingAndNothingLeft(h);
  });

  it.each([
    ['a string', 'plain string'],
    ['undefined', undefined],
    ['null', null],
    ['a number', 42],
    ['a plain object', { code: 'E_ODD' }],
  ])('rejects with %s, holding a socket: an isError result, the socket closed', async (_label, reason) => {
    const h = await inMemory((s) =>
      s.registerTool('odd_reject', {}, async () => {
        await LEAKS.tcpSocket(env);
        return Promise.reject(reason);
      }),
    );
    const result = await h.client.callTool({ name: 'odd_reject' });
    expect(result.isError).toBe(true);
    expect(firstText(result)).toEqual(expect.any(String));
    expect(h.guard.snapshot().tools.odd_reject?.cleanups).toMatchObject({ count: 1, handlesSurvived: 0 });
    await expectServingAndNothingLeft(h);
  });

  it('hangs ignoring its signal, holding a file and an interval: stopped at its time limit, both closed', async () => {
    const h = await inMemory(
      (s) =>
        s.registerTool('hang', {}, async () => {
          await LEAKS.fileHandle(env);
          await LEAKS.interval();
          return never();
        }),
      { limits: { perCall: { maxExecutionTimeMs: 150 } } },
    );
    const result = await h.client.callTool({ name: 'hang' });
    expect(result.isError).toBe(true);
    expect(result._meta?.['mcp-resource-guard/error']).toMatchObject({ resource: 'executionTimeMs', limit: 150 });
    // A stopped call is answered at once; its cleanup follows.
    await until(() => h.cleanups.length > 0, { what: 'the cleanup of the stopped call' });
    expect(h.cleanups).toMatchObject([{ reason: 'timeout', survived: 0, closed: { file: 1, interval: 1 } }]);
    await expectServingAndNothingLeft(h);
  });
});

describe('a handler that leaks', () => {
  it('every kind the probes cover, over Streamable HTTP: answered as usual, everything closed', async () => {
    let childPid = 0;
    const h = await overHttp((s) =>
      s.registerTool('leak_everything', {}, async () => {
        await LEAKS.fileHandle(env);
        await LEAKS.fdSync(env);
        await LEAKS.readStream(env);
        await LEAKS.watcher(env);
        (await LEAKS.tcpSocket(env)).on('error', () => {});
        await LEAKS.netServer();
        await LEAKS.httpAwaitingResponse(env);
        await LEAKS.fetchAwaitingResponse(env);
        await LEAKS.udpSocket();
        await LEAKS.timeout();
        await LEAKS.interval();
        childPid = (await LEAKS.spawnStdioIgnored(env)).pid ?? 0;
        await LEAKS.worker();
        await LEAKS.tempFile(env, getCallContext());
        return text('leaked');
      }),
    );
    expect(await h.client.callTool({ name: 'leak_everything' })).toEqual(text('leaked'));
    // Files: the FileHandle, the fd, the stream; sockets: the TCP socket, the HTTP request, the fetch.
    expect(h.leaks.map((e) => e.handles)).toEqual([
      { file: 3, watcher: 1, socket: 3, server: 1, udp: 1, timer: 1, interval: 1, child_process: 1, worker: 1 },
    ]);
    expect(h.cleanups.find((r) => r.toolName === 'leak_everything')).toMatchObject({ survived: 0 });
    expect(isRunning(childPid)).toBe(false);
    await expectServingAndNothingLeft(h);
  });
});

describe('cleanup that fails', () => {
  it('a tracked disposable that throws in its close: reported, the other handles still closed', async () => {
    const h = await inMemory((s) =>
      s.registerTool('bad_dispose', {}, async () => {
        const ctx = getCallContext();
        await LEAKS.fileHandle(env);
        ctx.track(
          {
            close: () => {
              throw new Error('close exploded');
            },
          },
          { label: 'sync close' },
        );
        ctx.track({ [Symbol.asyncDispose]: () => Promise.reject(new Error('async dispose exploded')) });
        ctx.track({ destroy: () => Promise.reject('not an Error') });
        await LEAKS.interval();
        return text('done');
      }),
    );
    expect(await h.client.callTool({ name: 'bad_dispose' })).toEqual(text('done'));
    const [report] = h.cleanups;
    expect(report).toMatchObject({ closed: { file: 1, interval: 1 }, failed: { custom: 3 }, survived: 3 });
    expect(report?.errors.map((e) => e.message).sort()).toEqual([
      'Error: async dispose exploded',
      'Error: close exploded',
      'not an Error',
    ]);
    await expectServingAndNothingLeft(h);
  });

  it('a child process that ignores SIGTERM: killed after the grace period, with its pipes closed', async () => {
    let pid = 0;
    const h = await inMemory(
      (s) =>
        s.registerTool('stubborn_child', {}, async () => {
          pid = (await LEAKS.sigtermIgnoringChild(env)).pid ?? 0;
          return text('spawned');
        }),
      { cleanup: { graceMs: 100 } },
    );
    expect(await h.client.callTool({ name: 'stubborn_child' })).toEqual(text('spawned'));
    expect(h.cleanups).toMatchObject([{ closed: { child_process: 1 }, survived: 0 }]);
    expect(isRunning(pid)).toBe(false);
    await expectServingAndNothingLeft(h);
  });

  it('a file system error while removing the temp dir (ENAMETOOLONG): reported, the call answered', async () => {
    const tempRoot = mkdtempSync(join(tmpdir(), 'faults-'));
    closers.push(async () => spawnSync('rm', ['-rf', tempRoot]));
    let dir = '';
    const h = await inMemory(
      (s) =>
        s.registerTool('deep_temp', {}, async () => {
          dir = getCallContext().tempDir();
          // Nesting deeper than PATH_MAX, made by relative steps: fs.rm cannot name the innermost entries.
          const child = spawn(
            process.execPath,
            [
              '-e',
              "const fs = require('fs'); for (let i = 0; i < 250; i++) { fs.mkdirSync('d'.repeat(20)); process.chdir('d'.repeat(20)); } fs.writeFileSync('f', 'x')",
            ],
            { cwd: dir, stdio: 'ignore' },
          );
          await new Promise((r) => child.once('exit', r));
          return text('deep');
        }),
      { tempRoot },
    );
    expect(await h.client.callTool({ name: 'deep_temp' })).toEqual(text('deep'));
    const [report] = h.cleanups;
    expect(report).toMatchObject({ failed: { temp_dir: 1 }, survived: 1 });
    expect(report?.errors[0]?.message).toMatch(/ENAMETOOLONG/);
    expect(existsSync(dir)).toBe(true);
    await expectServingAndNothingLeft(h);
  });
});

describe('the call’s connection or server goes away mid-call', () => {
  it('the client cancels (Streamable HTTP): the call is ended and cleaned up, the session goes on', async () => {
    let started = false;
    const h = await overHttp((s) =>
      s.registerTool('slow', {}, async () => {
        await LEAKS.fileHandle(env);
        await LEAKS.interval();
        started = true;
        return never();
      }),
    );
    const controller = new AbortController();
    const pending = h.client.callTool({ name: 'slow' }, undefined, { signal: controller.signal });
    await until(() => started, { what: 'the call to start' });
    controller.abort('user cancelled');
    // The SDK's documented behaviour: the request rejects with the abort reason; the server sends no response.
    await expect(pending).rejects.toThrow();
    await until(() => h.cleanups.length === 1, { what: 'the cleanup of the call' });
    expect(h.cleanups).toMatchObject([{ reason: 'cancelled', closed: { file: 1, interval: 1 }, survived: 0 }]);
    expect(h.guard.snapshot().tools.slow?.outcomes.cancelled).toBe(1);
    await expectServingAndNothingLeft(h);
  });

  it('the HTTP connection dies (Streamable HTTP): the client’s call times out, the call ends at its time limit', async () => {
    let started = false;
    const h = await overHttp(
      (s) =>
        s.registerTool('slow', {}, async () => {
          await LEAKS.fileHandle(env);
          started = true;
          return never();
        }),
      { tools: { slow: { perCall: { maxExecutionTimeMs: 300 } } } },
    );
    const killer = new AbortController();
    const dying = await h.connect((url, init) =>
      fetch(url, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, killer.signal]) : killer.signal }),
    );
    const pending = dying.callTool({ name: 'slow' }, undefined, { timeout: 1000 });
    await until(() => started, { what: 'the call to start' });
    killer.abort(); // the POST's connection and its SSE stream are gone (the session is not: v1 keeps the call running)
    // The SDK's documented behaviour: no answer can arrive, so the request ends at the client's request timeout.
    await expect(pending).rejects.toThrow(/timed out/);
    await until(() => h.cleanups.length === 1, { what: 'the cleanup of the call' });
    expect(h.cleanups).toMatchObject([{ reason: 'timeout', closed: { file: 1 }, survived: 0 }]);
    await expectServingAndNothingLeft(h);
  });

  it('the server closes with calls in flight (InMemory): they are ended and cleaned up, the server serves again', async () => {
    let started = 0;
    const h = await inMemory((s) =>
      s.registerTool('slow', {}, async () => {
        await LEAKS.fileHandle(env);
        started++;
        return never();
      }),
    );
    const pending = [1, 2, 3].map(() => h.client.callTool({ name: 'slow' }));
    await until(() => started === 3, { what: 'the three calls to start' });
    await h.server.close();
    for (const call of pending) await expect(call).rejects.toThrow(/Connection closed/);
    await until(() => h.cleanups.length === 3, { what: 'the cleanups of the three calls' });
    expect(h.cleanups.map((r) => r.reason)).toEqual(['cancelled', 'cancelled', 'cancelled']);
    expect(h.cleanups.every((r) => r.survived === 0 && r.closed.file === 1)).toBe(true);
    // The same server, connected again.
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const again = new Client({ name: 'c2', version: '1.0.0' });
    await h.server.connect(serverSide);
    await again.connect(clientSide);
    closers.push(() => again.close());
    await expectServingAndNothingLeft(h, again);
  });
});
