import { AsyncLocalStorage } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import fs from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import {
  excess,
  hasOpenssl,
  isRunning,
  LEAKS,
  type LeakEnv,
  leakScratch,
  makeTestCertificate,
  settleTo,
  sleep,
  steadyReading,
  until,
} from '@mcp-resource-guard/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CleanupReport, createResourceGuard, getCallContext, runShared, type ToolCall } from '../src/index.js';
import { checkLeakPair } from './support/leak-pair.js';
import { runLeaky } from './support/run-leaky.js';
import { admitTracked } from './support/tracked.js';

// Its files (and the one inotify descriptor libuv keeps per loop once fs.watch is first used) come before any baseline.
const scratch = leakScratch('guard-probes-');
const { dir, file } = scratch;
afterAll(() => scratch.remove());
const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

let peer: http.Server;
let base = '';
/** What the leak corpus opens things on: the scratch files, and the peer's HTTP server (`/slow` never ends). */
let env: LeakEnv;
beforeAll(async () => {
  peer = http.createServer((req, res) => {
    if (req.url === '/slow') {
      res.write('partial');
      return; // never ends: the request stays open
    }
    res.end('ok');
  });
  peer.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${portOf(peer)}`;
  env = { ...scratch, httpPort: portOf(peer) };
});
afterAll(async () => {
  peer.closeAllConnections();
  await new Promise((r) => peer.close(r));
});

describe('automatic attribution and cleanup, per kind', () => {
  // [name, what the tool does, what the call holds, what is a leak at its end (default: the same)]
  const kinds: [string, (call: ToolCall) => Promise<void>, Record<string, number>, Record<string, number>?][] = [
    [
      'fs.promises.open FileHandles',
      async () => {
        await LEAKS.fileHandle(env);
        await LEAKS.fileHandle(env);
      },
      { file: 2 },
    ],
    [
      'fs.open and fs.openSync descriptors',
      async () => {
        await LEAKS.fdSync(env);
        await LEAKS.fd(env);
      },
      { file: 2 },
    ],
    [
      'read and write streams (closed through the stream)',
      async () => {
        await LEAKS.readStream(env);
        await LEAKS.writeStream(env);
      },
      { file: 2 },
    ],
    [
      'fs.watch watchers',
      async () => {
        await LEAKS.watcher(env);
      },
      { watcher: 1 },
    ],
    [
      'TCP client sockets and a listening server with an accepted socket',
      async () => {
        const server = await LEAKS.netServer();
        const accepted = once(server, 'connection');
        await LEAKS.tcpClient({ ...env, tcpPort: portOf(server) });
        await accepted;
      },
      { server: 1, socket: 2 },
    ],
    [
      'an http request left in flight',
      async () => {
        await LEAKS.httpResponseUnfinished(env);
      },
      { socket: 1 },
    ],
    [
      'a fetch whose body is never read',
      async () => {
        await LEAKS.fetchBodyUnread(env);
      },
      { socket: 1 },
    ],
    [
      'a UDP socket',
      async () => {
        await LEAKS.udpSocket();
      },
      { udp: 1 },
    ],
    [
      'timers, intervals and immediates',
      async () => {
        await LEAKS.timeout();
        await LEAKS.interval();
        await LEAKS.immediate();
      },
      { timer: 1, interval: 1, immediate: 1 },
      // An immediate runs on the next turn anyway: counted, never cleared, no leak.
      { timer: 1, interval: 1 },
    ],
    [
      'child processes from spawn and exec',
      async () => {
        await LEAKS.spawn(env);
        await LEAKS.exec(env);
      },
      { child_process: 2 },
    ],
    [
      'a worker thread',
      async () => {
        await LEAKS.worker();
      },
      { worker: 1 },
    ],
    [
      'a temp dir with files',
      async (call) => {
        await LEAKS.tempFile(env, call);
      },
      { temp_dir: 1 },
      // Removed at the end by contract: no leak.
      {},
    ],
  ];

  it.each(kinds)(
    '%s: attributed, counted, closed, and the process is back to its baseline',
    async (_name, leak, expected, leakedExpected = expected) => {
      // The guard's own resources (its watchdog thread) are part of the baseline.
      const guard = createResourceGuard({ cleanup: { graceMs: 100 } });
      const baseline = await steadyReading();
      const { handles, record, report } = await runLeaky(guard, 'leaky', leak);
      // While it runs the call may also hold library internals it released at its end (undici's unref'd timer).
      expect(handles).toMatchObject(expected);
      expect(record.leaked).toEqual(leakedExpected);
      expect(report?.survived).toBe(0);
      expect(report?.survivors).toEqual([]);
      // Nothing of the call is left: no descriptor, no handle (an aborted fetch's connection included).
      expect((await settleTo(baseline)).items).toEqual({});
      await guard.close();
    },
  );
});

describe('attribution rules', () => {
  it('attributes to the call that opened, never to another call running at the same time', async () => {
    const guard = createResourceGuard();
    const a = await admitTracked(guard, { toolName: 'a' });
    const b = await admitTracked(guard, { toolName: 'b' });
    // Taken with the calls admitted: the guard's own timer (its sampler) is part of it.
    const baseline = await steadyReading();
    let bFile: fs.promises.FileHandle | undefined;
    await Promise.all([
      a.run(async () => {
        await LEAKS.fileHandle(env);
        await sleep(5);
        await LEAKS.fileHandle(env);
      }),
      b.run(async () => {
        await sleep(2);
        bFile = await LEAKS.fileHandle(env);
      }),
    ]);
    expect(a.usage().fileHandles).toBe(2);
    expect(b.usage().fileHandles).toBe(1);
    expect(excess(baseline, await steadyReading()).items).toEqual({ fds: 3 });
    a.end('ok');
    await a.settled;
    // a's cleanup did not touch b's file: still open, still usable, the only descriptor left above the baseline.
    expect(bFile?.fd).toBeGreaterThan(0);
    expect((await bFile?.stat())?.size).toBe(64 * 1024);
    expect((await settleTo(baseline, { expected: { fds: 1 } })).items).toEqual({ fds: 1 });
    b.end('ok');
    await b.settled;
    expect(bFile?.fd).toBe(-1);
    expect((await settleTo(baseline)).items).toEqual({});
    await guard.close();
  });

  it('counts only what is open: a file the tool closed itself is no leak', async () => {
    const guard = createResourceGuard();
    const { record, report } = await runLeaky(guard, 'tidy', async () => {
      const fh = await open(file, 'r');
      await fh.read(Buffer.alloc(10), 0, 10, 0);
      await fh.close();
      const fd = fs.openSync(file, 'r');
      fs.closeSync(fd);
      const t = setTimeout(() => {}, 1000);
      clearTimeout(t);
      await new Promise((r) => setTimeout(r, 1));
    });
    expect(record.leaked).toEqual({});
    expect(record.peak.fileHandles).toBe(1);
    expect(report).toBeUndefined();
    await guard.close();
  });

  it('never closes a keep-alive socket idle in its pool, and does not count it as a leak', async () => {
    const guard = createResourceGuard();
    const agent = new http.Agent({ keepAlive: true });
    const { record } = await runLeaky(guard, 'http', async () => {
      await new Promise<void>((resolve) =>
        http.get(`${base}/`, { agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        }),
      );
      await fetch(`${base}/`).then((r) => r.text());
      await new Promise((r) => setTimeout(r, 5));
    });
    expect(record.leaked).toEqual({});
    const pooled = Object.values(agent.freeSockets).flat();
    expect(pooled).toHaveLength(1);
    expect(pooled[0]?.destroyed).toBe(false);
    agent.destroy();
    await guard.close();
  });

  it('closes the connection of a fetch a call left unread, not another call’s, and undici opens none in its place', async () => {
    // An origin of its own: no connection of undici's pool from earlier tests is reused.
    const slow = http.createServer((_req, res) => res.write('partial'));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    await checkLeakPair({
      open: () => LEAKS.fetchBodyUnread({ ...env, httpPort: portOf(slow) }),
      holds: { socket: 1 },
      usage: { fileHandles: 0, networkConnections: 1 },
    });
    await new Promise((r) => slow.close(r));
  });

  it('attributes a socket another call connects while undici connects its own', async () => {
    // undici's connector creates its socket in the run that publishes `beforeConnect`; promise jobs queued
    // before the end of that run (another call's, here) run before the turn ends, and a socket they create
    // is theirs, not the pool's.
    const origin = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(origin.address() as net.AddressInfo).port}`;
    let queued: (() => void) | undefined;
    const runQueuedFirst = (): void => {
      const job = queued;
      queued = undefined;
      if (job !== undefined) void Promise.resolve().then(job);
    };
    // Subscribed before the guard's probe: the job is queued before anything the probe queues.
    dc.subscribe('undici:client:beforeConnect', runQueuedFirst);
    const guard = createResourceGuard();
    try {
      const fetcher = await admitTracked(guard, { toolName: 'fetcher' });
      const connector = await admitTracked(guard, { toolName: 'connector' });
      let socket: net.Socket | undefined;
      const connected = connector.run(() => {
        const inConnector = AsyncLocalStorage.snapshot();
        return new Promise<void>((resolve) => {
          queued = () => inConnector(() => (socket = net.connect(Number(new URL(base).port), '127.0.0.1', resolve)));
        });
      });
      await fetcher.run(() => fetch(url).then((r) => r.text()));
      await connected;
      expect(queued).toBeUndefined();
      expect(connector.handles.countByKind()).toEqual({ socket: 1 });
      // The fetch's connection is the pool's: not the fetcher's to close.
      expect(fetcher.handles.countByKind().socket).toBeUndefined();
      fetcher.end('ok');
      expect((await fetcher.settled)?.closed.socket).toBeUndefined();
      connector.end('ok');
      expect((await connector.settled)?.closed).toEqual({ socket: 1 });
      expect(socket?.destroyed).toBe(true);
    } finally {
      dc.unsubscribe('undici:client:beforeConnect', runQueuedFirst);
      await guard.close();
      origin.closeAllConnections();
      await new Promise((r) => origin.close(r));
    }
  });

  it('leaves to undici a fetch aborted before its request was written: no leak, and undici closes its connection', async () => {
    // A peer that never answers, of its own: no pooled connection from earlier tests is reused.
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`;
    const guard = createResourceGuard({ watchdog: false });
    guard.registerTool('t');
    const leaks: unknown[] = [];
    guard.on('leak', (e) => leaks.push(e.handles));
    const baseline = await steadyReading();
    // The connection undici opens for the request, seen (not changed) through its channel.
    const sockets: net.Socket[] = [];
    const connected = (message: unknown): void => {
      sockets.push((message as { socket: net.Socket }).socket);
    };
    dc.subscribe('undici:client:connected', connected);
    const call = await admitTracked(guard, { toolName: 't' });
    await call.run(async () => {
      const controller = new AbortController();
      const pending = fetch(origin, { signal: controller.signal });
      controller.abort();
      await pending.catch(() => {});
    });
    call.end('ok');
    // Nothing was the call's to close: no cleanup ran.
    expect(await call.settled).toBeUndefined();
    // undici connects, finds the request aborted when its turn comes, drops it unwritten and closes the
    // connection itself: wait for that, however long undici takes.
    await until(() => sockets.length > 0, { what: 'undici to connect for the aborted fetch' });
    dc.unsubscribe('undici:client:connected', connected);
    expect(sockets).toHaveLength(1);
    const [socket] = sockets as [net.Socket];
    if (!socket.closed) await new Promise((r) => socket.once('close', r));
    expect(leaks).toEqual([]);
    expect((await settleTo(baseline)).items).toEqual({});
    await guard.close();
    await new Promise((r) => silent.close(r));
  });

  it('closes a fetch its call left before the request was written, once it is written', async () => {
    const silent = http.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const origin = `http://127.0.0.1:${(silent.address() as net.AddressInfo).port}/`;
    const guard = createResourceGuard({ watchdog: false, cleanup: { graceMs: 0 } });
    guard.registerTool('t');
    const leaks: { handles: unknown; late: boolean }[] = [];
    guard.on('leak', (e) => leaks.push({ handles: e.handles, late: e.late }));
    const baseline = await steadyReading();
    const call = await admitTracked(guard, { toolName: 't' });
    // The tool starts a fetch and returns without waiting: the call ends before undici writes the request.
    const pending = call.run(() => ({ response: fetch(origin) })).response;
    call.end('ok');
    expect(call.record?.leaked).toEqual({});
    // Once written, the request is the ended call's again: reported and closed (the fetch fails).
    await expect(pending).rejects.toThrow();
    expect(leaks).toEqual([{ handles: { socket: 1 }, late: true }]);
    expect((await settleTo(baseline)).items).toEqual({});
    await guard.close();
    await new Promise((r) => silent.close(r));
  });

  it('leaves unref’d timers and anything created in runShared() to the process', async () => {
    const guard = createResourceGuard();
    let shared: net.Server | undefined;
    let unrefd: NodeJS.Timeout | undefined;
    const { record } = await runLeaky(guard, 'shared', async () => {
      unrefd = setTimeout(() => {}, 60_000).unref();
      shared = runShared(() => net.createServer().listen(0, '127.0.0.1'));
      await new Promise((r) => shared?.once('listening', r));
    });
    expect(record.leaked).toEqual({});
    expect(shared?.listening).toBe(true);
    expect(unrefd?.hasRef()).toBe(false);
    clearTimeout(unrefd);
    shared?.close();
    await guard.close();
  });

  it('leaves a shared resource to the guard: not closed by the call, closed by guard.close()', async () => {
    const guard = createResourceGuard();
    let server: net.Server | undefined;
    const { record } = await runLeaky(guard, 'pool', async () => {
      server = guard.share(net.createServer().listen(0, '127.0.0.1'));
      await new Promise((r) => server?.once('listening', r));
    });
    expect(record.leaked).toEqual({});
    expect(server?.listening).toBe(true);
    await guard.close();
    expect(server?.listening).toBe(false);
  });

  it.skipIf(!hasOpenssl())('attributes TLS client sockets', async () => {
    const server = tls.createServer(makeTestCertificate(), (s) => s.on('error', () => {}));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const guard = createResourceGuard();
    const { handles, report } = await runLeaky(guard, 'tls', () =>
      LEAKS.tlsClient({ ...env, tlsPort: portOf(server) }),
    );
    expect(handles).toEqual({ socket: 1 });
    expect(report?.closed).toEqual({ socket: 1 });
    await guard.close();
    await new Promise((r) => server.close(r));
  });

  it('stops a child process that ignores SIGTERM, and its own children', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 100 } });
    let grandchild = 0;
    const { report } = await runLeaky(guard, 'tree', async () => {
      ({ grandchild } = await LEAKS.sigtermIgnoringTree(env));
    });
    expect(report?.survived).toBe(0);
    await sleep(60);
    expect(grandchild).toBeGreaterThan(0);
    expect(isRunning(grandchild)).toBe(false);
    await guard.close();
  });

  it('gives each call an owner-only temp dir, measures it, and removes it', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 }, tempRoot: join(dir, 'root') });
    const call = await admitTracked(guard, { toolName: 'tmp' });
    const tdir = await call.run(async () => {
      const d = getCallContext().tempDir();
      expect(getCallContext().tempDir()).toBe(d);
      await writeFile(join(d, 'big.bin'), Buffer.alloc(2 * 1024 * 1024));
      fs.symlinkSync('/etc', join(d, 'link-to-etc'));
      return d;
    });
    expect((fs.statSync(tdir).mode & 0o777).toString(8)).toBe('700');
    expect(tdir.startsWith(join(dir, 'root'))).toBe(true);
    await new Promise((r) => setTimeout(r, 80));
    expect(call.usage().tempStorageMb).toBeGreaterThanOrEqual(2);
    call.end('ok');
    const report = (await call.settled) as CleanupReport;
    expect(report.closed).toEqual({ temp_dir: 1 });
    expect(fs.existsSync(tdir)).toBe(false);
    expect(fs.existsSync('/etc/hostname')).toBe(true);
    await guard.close();
  });

  it('refuses to remove a temp dir that was swapped for a symlink out of the root', async () => {
    const guard = createResourceGuard({ tempRoot: join(dir, 'root2') });
    const victim = fs.mkdtempSync(join(dir, 'victim-'));
    fs.writeFileSync(join(victim, 'keep.txt'), 'keep');
    const call = await admitTracked(guard, { toolName: 'evil' });
    call.run(() => {
      const d = getCallContext().tempDir();
      fs.rmSync(d, { recursive: true });
      fs.symlinkSync(victim, d);
    });
    call.end('ok');
    const report = (await call.settled) as CleanupReport;
    expect(report.survived).toBe(1);
    expect(report.errors[0]?.message).toMatch(/outside the temp root/);
    expect(fs.readFileSync(join(victim, 'keep.txt'), 'utf8')).toBe('keep');
    await guard.close();
  });
});
