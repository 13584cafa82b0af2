// Isolated tools (`isolated()`) through the real SDK client and server (v1 McpServer, InMemoryTransport and
// Streamable HTTP; sessions sharing one guard): hard memory and time limits on worker threads while the server keeps answering,
// results identical to an in-process handler's, the leak corpus reclaimed from workers (also after a terminate),
// crashes answered and the pool recovered.
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type Server as NetServer } from 'node:net';
import type { CallRecord, CleanupReport } from '@mcp-resource-guard/core';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import {
  type IsolatedTool,
  isolated,
  type ResourceMiddleware,
  resourceMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import {
  type GroundTruth,
  type LeakEnv,
  type LeakName,
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
import * as z from 'zod';
// @ts-expect-error: a plain JavaScript fixture, typed loosely here
import contentHandler from './fixtures/isolated/content.mjs';

const fixture = (name: string) => new URL(`./fixtures/isolated/${name}.mjs`, import.meta.url);
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;
const errorCode = (r: unknown) =>
  (r as { _meta?: Record<string, { code?: string; resource?: string }> })._meta?.['mcp-resource-guard/error'] ?? {};

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

// The workers resolve the packages to their built files (Node runs them), not to the sources vitest's conditions name.
function tool(name: string, options?: Parameters<typeof isolated>[1]): IsolatedTool {
  const t = isolated(fixture(name), { execArgv: [], ...options });
  closers.push(() => t.close());
  return t;
}

interface Sessions {
  readonly guard: ResourceMiddleware;
  readonly clients: Client[];
  readonly records: CallRecord[];
  readonly cleanups: CleanupReport[];
}

/** One guard, and `n` sessions (a server and a client each, over InMemoryTransport) with the same tools. */
async function sessions(
  options: Parameters<typeof resourceMiddleware>[0],
  register: (server: McpServer) => void,
  n = 1,
): Promise<Sessions> {
  const guard = resourceMiddleware({ watchdog: false, sampling: { activeMs: 10, idleMs: 50 }, ...options });
  const records: CallRecord[] = [];
  const cleanups: CleanupReport[] = [];
  guard.on('call', (r) => records.push(r));
  guard.on('cleanup', (r) => cleanups.push(r));
  closers.push(() => guard.close());
  const clients: Client[] = [];
  for (let i = 0; i < n; i++) {
    const server = withMiddleware(new McpServer({ name: 'isolated', version: '1.0.0' }));
    server.use(guard);
    server.registerTool('ping', {}, () => ({ content: [{ type: 'text', text: 'pong' }] }));
    register(server);
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: `c${i}`, version: '1.0.0' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    closers.push(
      () => client.close(),
      () => server.close(),
    );
    clients.push(client);
  }
  return { guard, clients, records, cleanups };
}

describe('hard limits', () => {
  it('stops a call allocating far past its memory cap with the typed memory-limit answer; the server and the pool go on', async () => {
    const bomb = tool('bomb');
    const echo = tool('echo');
    const { clients, records } = await sessions({ limits: { perCall: { maxMemoryMb: 48 } } }, (server) => {
      server.registerTool('bomb', {}, bomb);
      server.registerTool('echo', { inputSchema: { text: z.string() } }, echo);
    });
    const client = clients[0] as Client;
    const pings = (async () => {
      let answered = 0;
      for (let i = 0; i < 20; i++) {
        if (firstText(await client.callTool({ name: 'ping' })) === 'pong') answered++;
        await sleep(10);
      }
      return answered;
    })();
    const result = await client.callTool({ name: 'bomb' });
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toMatchObject({ code: 'LIMIT_EXCEEDED', resource: 'memoryMb' });
    expect(firstText(result)).toContain('memory budget');
    expect(await pings).toBe(20);
    expect(records.find((r) => r.toolName === 'bomb')).toMatchObject({ outcome: 'limit', measurement: 'exact' });
    // The pool replaced the dead worker: the tool answers again.
    expect(firstText(await client.callTool({ name: 'bomb' }))).toContain('memory budget');
    expect(firstText(await client.callTool({ name: 'echo', arguments: { text: 'still here' } }))).toBe('still here');
    await until(() => bomb.workers().size === 1, { what: 'the bomb pool back at one worker' });
  });

  it("stops `while (true) {}` at its deadline while another session's calls keep being answered", async () => {
    const spin = tool('spin');
    const echo = tool('echo', { maxWorkers: 2 });
    // The deadline is the loop's alone, and long enough for its pool's first worker to start on a loaded machine (the
    // call's wait for a worker counts against it): the other session's calls are not raced against it, and the echo
    // pool is warm before the loop starts.
    const { clients, records, cleanups } = await sessions(
      { tools: { spin: { perCall: { maxExecutionTimeMs: 1000 } } } },
      (server) => {
        server.registerTool('spin', {}, spin);
        server.registerTool('echo', { inputSchema: { text: z.string() } }, echo);
      },
      2,
    );
    const [a, b] = clients as [Client, Client];
    expect(firstText(await b.callTool({ name: 'echo', arguments: { text: 'warm' } }))).toBe('warm');
    const spun = a.callTool({ name: 'spin' });
    let answered = 0;
    let spinDone = false;
    void spun.finally(() => {
      spinDone = true;
    });
    while (!spinDone) {
      expect(firstText(await b.callTool({ name: 'echo', arguments: { text: `b${answered}` } }))).toBe(`b${answered}`);
      expect(firstText(await b.callTool({ name: 'ping' }))).toBe('pong');
      answered++;
    }
    const result = await spun;
    expect(errorCode(result)).toMatchObject({ code: 'LIMIT_EXCEEDED', resource: 'executionTimeMs' });
    expect(answered).toBeGreaterThan(0);
    const record = records.find((r) => r.toolName === 'spin');
    expect(record).toMatchObject({ outcome: 'timeout', measurement: 'exact' });
    // The worker's own CPU clock: the loop's time on a CPU.
    expect(record?.usage.cpuTimeMs).toBeGreaterThan(0);
    // The stuck worker was terminated and replaced; the tool answers again (and is stopped again).
    await until(() => spin.workers().size === 1 && spin.workers().idle === 1, { what: 'spin pool refilled' });
    expect(errorCode(await b.callTool({ name: 'spin' }))).toMatchObject({ resource: 'executionTimeMs' });
    expect(cleanups.every((c) => c.survived === 0)).toBe(true);
  });

  it("over Streamable HTTP: one session's `while (true) {}` stopped at its deadline while the other session is answered; the pool recovers", async () => {
    const spin = tool('spin');
    const echo = tool('echo', { maxWorkers: 2 });
    const guard = resourceMiddleware({
      watchdog: false,
      sampling: { activeMs: 10, idleMs: 50 },
      // The loop's deadline alone (see above).
      tools: { spin: { perCall: { maxExecutionTimeMs: 1000 } } },
    });
    const records: CallRecord[] = [];
    guard.on('call', (r) => records.push(r));
    closers.push(() => guard.close());
    const host = await startHttpHost(() => {
      const server = withMiddleware(new McpServer({ name: 'isolated-http', version: '1.0.0' }));
      server.use(guard);
      server.registerTool('ping', {}, () => ({ content: [{ type: 'text', text: 'pong' }] }));
      server.registerTool('spin', {}, spin);
      server.registerTool('echo', { inputSchema: { text: z.string() } }, echo);
      return server;
    });
    closers.push(() => host.close());
    const connect = async (name: string): Promise<{ client: Client; transport: StreamableHTTPClientTransport }> => {
      const client = new Client({ name, version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(host.url);
      await client.connect(transport);
      closers.push(() => client.close());
      return { client, transport };
    };
    const a = await connect('a');
    const b = await connect('b');
    expect(host.sessions).toBe(2);
    expect(firstText(await b.client.callTool({ name: 'echo', arguments: { text: 'warm' } }))).toBe('warm');

    const spun = a.client.callTool({ name: 'spin' });
    let spinDone = false;
    void spun.finally(() => {
      spinDone = true;
    });
    // The other session's calls, each answered while the loop still runs in its worker.
    let answeredMeanwhile = 0;
    while (!spinDone) {
      const n = answeredMeanwhile;
      expect(firstText(await b.client.callTool({ name: 'echo', arguments: { text: `b${n}` } }))).toBe(`b${n}`);
      expect(firstText(await b.client.callTool({ name: 'ping' }))).toBe('pong');
      if (!spinDone) answeredMeanwhile++;
    }
    expect(answeredMeanwhile).toBeGreaterThan(0);
    const result = await spun;
    expect(result.isError).toBe(true);
    expect(errorCode(result)).toMatchObject({ code: 'LIMIT_EXCEEDED', resource: 'executionTimeMs' });
    const record = records.find((r) => r.toolName === 'spin');
    expect(record).toMatchObject({ outcome: 'timeout', measurement: 'exact', sessionId: a.transport.sessionId });
    // Stopped at its deadline, not before: the guard's own clock of the call.
    expect(record?.usage.executionTimeMs).toBeGreaterThanOrEqual(1000);
    expect(records.filter((r) => r.sessionId === b.transport.sessionId).every((r) => r.outcome === 'ok')).toBe(true);

    // The stuck worker was terminated and replaced: both sessions are served, and the loop is stopped again.
    await until(() => spin.workers().size === 1 && spin.workers().idle === 1, { what: 'spin pool refilled' });
    expect(firstText(await a.client.callTool({ name: 'echo', arguments: { text: 'a again' } }))).toBe('a again');
    expect(errorCode(await b.client.callTool({ name: 'spin' }))).toMatchObject({ resource: 'executionTimeMs' });
    await until(() => spin.workers().size === 1 && spin.workers().idle === 1, { what: 'spin pool refilled again' });
    expect(host.sessions).toBe(2);
  });

  it('aborts the worker-side signal on a client cancel and terminates a handler that ignores it', async () => {
    const spin = tool('spin', { graceMs: 20 });
    const { clients, records } = await sessions({}, (server) => server.registerTool('spin', {}, spin));
    const client = clients[0] as Client;
    const controller = new AbortController();
    const call = client.callTool({ name: 'spin' }, undefined, { signal: controller.signal });
    await sleep(100);
    controller.abort();
    await expect(call).rejects.toThrow();
    await until(() => records.find((r) => r.toolName === 'spin')?.outcome === 'cancelled', {
      what: 'the cancelled record',
    });
    await until(() => spin.workers().size === 1 && spin.workers().idle === 1, { what: 'spin pool refilled' });
    expect(firstText(await client.callTool({ name: 'ping' }))).toBe('pong');
  });
});

describe('results and context', () => {
  const kinds = ['text', 'image', 'audio', 'resource_link', 'resource', 'structured', 'error', 'throw'];

  it('answers every content type exactly as the same handler in-process', async () => {
    const isolatedContent = tool('content');
    const { clients } = await sessions({}, (server) => {
      const schema = { inputSchema: { kind: z.string() } };
      server.registerTool('isolated', schema, isolatedContent);
      server.registerTool('inProcess', schema, (args: { kind: string }) => contentHandler(args));
    });
    const client = clients[0] as Client;
    for (const kind of kinds) {
      const inProcess = await client.callTool({ name: 'inProcess', arguments: { kind } });
      const inWorker = await client.callTool({ name: 'isolated', arguments: { kind } });
      expect(inWorker, kind).toEqual(inProcess);
    }
  });

  it('gives the handler its call context, progress and logging reach the client', async () => {
    const echo = tool('echo');
    const { clients } = await sessions({}, (server) => {
      server.registerTool('echo', { inputSchema: { text: z.string() } }, echo);
    });
    const client = clients[0] as Client;
    const progress: unknown[] = [];
    const result = await client.callTool({ name: 'echo', arguments: { text: 'hello' } }, undefined, {
      onprogress: (p) => progress.push(p),
    });
    expect(result.structuredContent).toEqual({ toolName: 'echo', aborted: false, tempDir: 'string' });
    expect(progress).toEqual([{ progress: 1, total: 2, message: 'half' }]);
  });

  it('measures CPU and memory from the worker thread (labelled exact)', async () => {
    const measure = tool('measure');
    const { clients, records, guard } = await sessions({}, (server) => {
      server.registerTool('measure', { inputSchema: { cpuMs: z.number(), holdMb: z.number() } }, measure);
    });
    const client = clients[0] as Client;
    await client.callTool({ name: 'measure', arguments: { cpuMs: 150, holdMb: 24 } });
    const record = records.find((r) => r.toolName === 'measure') as CallRecord;
    expect(record.measurement).toBe('exact');
    expect(guard.snapshot().tools.measure?.measurement).toBe('exact');
    expect(record.usage.cpuTimeMs).toBeGreaterThanOrEqual(150);
    expect(record.usage.cpuTimeMs).toBeLessThan(400);
    expect(record.usage.memoryMb).toBeGreaterThanOrEqual(24);
    expect(record.usage.memoryMb).toBeLessThan(40);
  });
});

describe('the leak corpus in isolated tools', () => {
  const scratch = leakScratch('isolated-leaks-');
  let tcpPeer: NetServer;
  let httpPeer: HttpServer;
  let env: LeakEnv;
  beforeAll(async () => {
    tcpPeer = createServer((s) => s.on('error', () => {}));
    httpPeer = createHttpServer((req, res) => {
      if (req.url === '/slow') {
        res.writeHead(200);
        res.write('partial');
      }
    });
    await new Promise<void>((r) => tcpPeer.listen(0, '127.0.0.1', r));
    await new Promise<void>((r) => httpPeer.listen(0, '127.0.0.1', r));
    const port = (s: NetServer | HttpServer) => (s.address() as { port: number }).port;
    const { dir, file, forkScript, marker } = scratch;
    env = { dir, file, forkScript, marker, tcpPort: port(tcpPeer), httpPort: port(httpPeer) };
  });
  afterAll(async () => {
    httpPeer.closeAllConnections();
    await new Promise((r) => httpPeer.close(r));
    await new Promise((r) => tcpPeer.close(r));
    scratch.remove();
  });

  // Every body whose environment crosses a thread (acceptedSocket needs a function to connect a client of no call).
  const names: LeakName[] = (process.env.ISOLATED_LEAKS?.split(',') as LeakName[] | undefined) ?? [
    'fileHandle',
    'fd',
    'fdSync',
    'readStream',
    'writeStream',
    'watcher',
    'tcpClient',
    'tcpSocket',
    'netServer',
    'httpServer',
    'httpResponseUnfinished',
    'httpAwaitingResponse',
    'fetchBodyUnread',
    'fetchAwaitingResponse',
    'udpSocket',
    'timeout',
    'interval',
    'immediate',
    'spawn',
    'spawnStdioIgnored',
    'exec',
    'execFile',
    'processTree',
    'fork',
    'sigtermIgnoringChild',
    'sigtermIgnoringTree',
    'worker',
    'tempFile',
    'trackedDisposable',
    'watchFile',
    'watchIterator',
    'dir',
    'dirSync',
    'dirPromise',
    'timersPromisesTimeout',
    'timersPromisesInterval',
  ];

  async function leakHarness() {
    // One worker, kept: what the corpus leaves in it must be gone from it too.
    const leak = tool('leak', { minWorkers: 1, maxWorkers: 1, graceMs: 50 });
    const s = await sessions({ limits: { perCall: { maxExecutionTimeMs: 1500 } } }, (server) => {
      server.registerTool('leak', { inputSchema: { name: z.string(), env: z.any(), spin: z.boolean() } }, leak);
    });
    const client = s.clients[0] as Client;
    const call = (name: string, spin = false) => client.callTool({ name: 'leak', arguments: { name, env, spin } });
    await call('__warm');
    await call('__resources');
    const inWorker = async () => (await call('__resources')).structuredContent as Record<string, number>;
    const reading = { requests: false, processMarker: env.marker } as const;
    const baseline: GroundTruth = readGroundTruth(reading);
    const workerBaseline = await inWorker();
    return { ...s, leak, call, inWorker, reading, baseline, workerBaseline };
  }

  it('closes what each body leaves, in the process and in the worker, as in-process', async () => {
    const h = await leakHarness();
    for (const name of names) {
      const before = h.cleanups.length;
      const result = await h.call(name);
      expect(result.isError, `${name}: ${firstText(result)}`).toBeFalsy();
      const left = await settleTo(h.baseline, { ...h.reading, timeoutMs: 3000 });
      expect(left.items, name).toEqual({});
      await until(async () => JSON.stringify(await h.inWorker()) === JSON.stringify(h.workerBaseline), {
        what: `${name}: the worker back to its own baseline`,
        timeoutMs: 3000,
      });
      const cleanup = h.cleanups.slice(before).find((c) => c.reason === 'leak' || c.reason === 'end');
      if (name !== 'immediate' && name !== 'tempFile') expect(cleanup, name).toMatchObject({ survived: 0 });
    }
    expect(h.leak.workers().size).toBe(1);
  });

  it('reclaims what a terminated worker left: children killed, descriptors closed', async () => {
    const h = await leakHarness();
    const killed = process.env.ISOLATED_KILLED?.split(',') ?? [
      'spawn',
      'processTree',
      'sigtermIgnoringChild',
      'fdSync',
      'tcpClient',
      'tempFile',
    ];
    for (const name of killed) {
      const result = await h.call(name, true);
      expect(errorCode(result), name).toMatchObject({ resource: 'executionTimeMs' });
      const left = await settleTo(h.baseline, { ...h.reading, timeoutMs: 3000 });
      expect(left.items, name).toEqual({});
    }
    await until(() => h.leak.workers().size === 1, { what: 'the pool refilled' });
  });
});

describe('crashes', () => {
  it('answers a worker that throws uncaught or exits with an error, and the pool recovers', async () => {
    const crash = tool('crash');
    const { clients, records } = await sessions({}, (server) => {
      server.registerTool('crash', { inputSchema: { how: z.string() } }, crash);
    });
    const client = clients[0] as Client;
    const thrown = await client.callTool({ name: 'crash', arguments: { how: 'throw' } });
    expect(thrown.isError).toBe(true);
    expect(firstText(thrown)).toContain('uncaught in the worker');
    const exited = await client.callTool({ name: 'crash', arguments: { how: 'exit' } });
    expect(exited.isError).toBe(true);
    expect(firstText(exited)).toContain('exited with code 3');
    expect(firstText(await client.callTool({ name: 'crash', arguments: { how: 'ok' } }))).toBe('fine');
    expect(records.filter((r) => r.toolName === 'crash').map((r) => r.outcome)).toEqual([
      'tool_error',
      'tool_error',
      'ok',
    ]);
  });

  it('refuses a module that does not exist, and bad options, at construction', () => {
    expect(() => isolated(new URL('./fixtures/isolated/missing.mjs', import.meta.url))).toThrow(
      /INVALID|existing file/,
    );
    expect(() => isolated(fixture('echo'), { maxWorkers: 0 })).toThrow(/maxWorkers/);
    expect(() => isolated(fixture('echo'), { minWorkers: 3, maxWorkers: 2 })).toThrow(/minWorkers/);
    expect(() => isolated(fixture('echo'), { resourceLimits: { maxOldGenerationSizeMb: 4 } })).toThrow(
      /maxOldGenerationSizeMb/,
    );
  });
});
