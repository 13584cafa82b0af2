import type { ChildProcess } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server, Socket } from 'node:net';
import { excess, LEAKS, leakScratch, readGroundTruth, sleep } from '@mcp-resource-guard/test-support';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CleanupReport, createResourceGuard, type LeakEvent } from '../src/index.js';
import {
  childProcessCloser,
  fileHandleCloser,
  serverCloser,
  socketCloser,
  streamCloser,
  timerCloser,
} from '../src/internal.js';
import { admitTracked } from './support/tracked.js';

const scratch = leakScratch('guard-cleanup-');
const { file } = scratch;
let peer: Server;
let port = 0;
const peerSockets = new Set<Socket>();

beforeAll(async () => {
  peer = createServer((s) => {
    peerSockets.add(s);
    s.on('close', () => peerSockets.delete(s));
    s.on('error', () => {});
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  port = (peer.address() as { port: number }).port;
});
afterAll(async () => {
  scratch.remove();
  for (const s of peerSockets) s.destroy();
  await new Promise((r) => peer.close(r));
});

async function connect(): Promise<Socket> {
  const socket = new Socket();
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.connect(port, '127.0.0.1', resolve);
  });
  return socket;
}

describe('cleanup of leaked handles', () => {
  it('closes files, streams, sockets, a server, timers and a stubborn child process: fds and handles back to baseline', async () => {
    const guard = createResourceGuard({ probes: false, watchdog: false, cleanup: { graceMs: 100 } });
    await sleep(20);
    const before = readGroundTruth();
    const leaks: LeakEvent[] = [];
    const reports: CleanupReport[] = [];
    guard.on('leak', (e) => leaks.push(e));
    guard.on('cleanup', (r) => reports.push(r));

    const call = await admitTracked(guard, { toolName: 'leaky' });
    let stubborn: ChildProcess | undefined;
    await call.run(async () => {
      for (let i = 0; i < 3; i++) call.addHandle('file', fileHandleCloser(await open(file, 'r')), file);
      const stream = createReadStream(file);
      await new Promise((r) => stream.once('open', r));
      call.addHandle('file', streamCloser(stream), file);
      for (let i = 0; i < 2; i++) call.addHandle('socket', socketCloser(await connect()), `127.0.0.1:${port}`);
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      call.addHandle('server', serverCloser(server));
      let pending = true;
      const timer = setTimeout(() => {
        pending = false;
      }, 60_000);
      call.addHandle(
        'timer',
        timerCloser(
          () => clearTimeout(timer),
          () => pending,
        ),
      );
      const interval = setInterval(() => {}, 1000);
      let active = true;
      call.addHandle(
        'interval',
        timerCloser(
          () => {
            clearInterval(interval);
            active = false;
          },
          () => active,
        ),
      );
      // Ignores SIGTERM: only SIGKILL after the grace period stops it.
      stubborn = await LEAKS.sigtermIgnoringChild(scratch);
      call.addHandle('child_process', childProcessCloser(stubborn), 'stubborn');
    });
    expect(call.usage().fileHandles).toBe(4);
    expect(call.usage().networkConnections).toBe(3);
    expect(readGroundTruth().fds).toBeGreaterThan(before.fds);

    const record = call.end('ok');
    expect(record.leaked).toEqual({ file: 4, socket: 2, server: 1, timer: 1, interval: 1, child_process: 1 });
    const report = await call.settled;
    expect(leaks).toEqual([expect.objectContaining({ tool: 'leaky', total: 10, late: false })]);
    expect(report).toBe(reports[0]);
    expect(report?.survivors).toEqual([]);
    expect(report).toMatchObject({ reason: 'leak', mode: 'close', attempted: 10, survived: 0 });
    expect(report?.closed).toEqual({ file: 4, socket: 2, server: 1, timer: 1, interval: 1, child_process: 1 });
    expect(report?.steps.map((s) => s.name)).toEqual(['files', 'network', 'cpu']);
    expect(stubborn?.signalCode).toBe('SIGKILL');
    expect(call.usage().fileHandles).toBe(4); // the record keeps what it held at the end
    expect(call.handles.size).toBe(0);

    await sleep(50);
    const after = readGroundTruth();
    expect(after.fds).toBe(before.fds);
    expect(excess(before, after).items).toEqual({});
    const audit = guard.audit().filter((e) => e.action === 'cleanup');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.snapshot?.call?.handles).toEqual({
      file: 4,
      socket: 2,
      server: 1,
      timer: 1,
      interval: 1,
      child_process: 1,
    });
    expect(audit[0]?.snapshot?.process.openFds).toBeGreaterThan(before.fds + before.procStatFds);
  });

  it('runs the specification’s sequence, files newest first, and a failing closer stops nothing else', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 'order' });
    const closed: string[] = [];
    const disposable = (name: string, fail = false) => ({
      close: () => {
        closed.push(name);
        if (fail) throw new Error(`${name} refused`);
      },
    });
    call.track(disposable('temp'), { kind: 'temp_dir' });
    call.track(disposable('file1'), { kind: 'file' });
    call.track(disposable('timer'), { kind: 'timer' });
    call.track(disposable('socket'), { kind: 'socket' });
    call.track(disposable('custom', true));
    call.track(disposable('file2'), { kind: 'file' });
    call.end('thrown');
    const report = await call.settled;
    expect(closed).toEqual(['file2', 'file1', 'socket', 'custom', 'timer', 'temp']);
    expect(report).toMatchObject({ attempted: 6, survived: 1, failed: { custom: 1 } });
    expect(report?.errors).toEqual([{ kind: 'custom', message: 'Error: custom refused' }]);
    expect(report?.survivors).toEqual([{ kind: 'custom', label: undefined }]);
  });

  it('bounds a step in time: a closer that never finishes is reported, the rest still run', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 10, stepTimeoutMs: 50 } });
    const call = await admitTracked(guard, { toolName: 'hang' });
    let timerClosed = false;
    call.addHandle('socket', { close: () => new Promise(() => {}), isClosed: () => false });
    call.addHandle('timer', {
      close: () => {
        timerClosed = true;
      },
      isClosed: () => timerClosed,
    });
    call.end('ok');
    const report = await call.settled;
    expect(timerClosed).toBe(true);
    expect(report).toMatchObject({ survived: 1, failed: { socket: 1 }, closed: { timer: 1 } });
  });

  it('only reports leaks with leaks: report, and closes nothing', async () => {
    const guard = createResourceGuard({ leaks: 'report' });
    const call = await admitTracked(guard, { toolName: 'r' });
    let closedIt = false;
    call.addHandle('timer', {
      close: () => {
        closedIt = true;
      },
      isClosed: () => closedIt,
    });
    call.end('ok');
    const report = await call.settled;
    expect(report).toMatchObject({ mode: 'report', attempted: 0, survived: 1 });
    expect(closedIt).toBe(false);
  });

  it('closes a handle opened after the call ended (a handler that ignored its signal) after the grace period', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 20 } });
    const leaks: LeakEvent[] = [];
    guard.on('leak', (e) => leaks.push(e));
    const call = await admitTracked(guard, { toolName: 'late' });
    call.end('timeout');
    let closedIt = false;
    call.addHandle('timer', {
      close: () => {
        closedIt = true;
      },
      isClosed: () => closedIt,
    });
    expect(closedIt).toBe(false);
    await new Promise((r) => setTimeout(r, 60));
    expect(closedIt).toBe(true);
    expect(leaks).toEqual([expect.objectContaining({ late: true, handles: { timer: 1 } })]);
  });

  it('does not touch a handle the tool released, and untrack() keeps a resource out of cleanup', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 't' });
    const fh = await open(file, 'r');
    const handle = call.addHandle('file', fileHandleCloser(fh), file);
    await fh.close();
    call.releaseHandle(handle);
    let disposed = false;
    const resource = call.track({
      [Symbol.dispose]: () => {
        disposed = true;
      },
    });
    call.untrack(resource);
    call.end('ok');
    expect(await call.settled).toBeUndefined();
    expect(disposed).toBe(false);
  });
});

describe('closes with no forced form', () => {
  it('waits for them up to stepTimeoutMs, not graceMs', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 50, stepTimeoutMs: 2000 } });
    let disposed = false;
    const call = await admitTracked(guard, { toolName: 't' });
    call.track({
      async [Symbol.asyncDispose]() {
        await new Promise((r) => setTimeout(r, 150));
        disposed = true;
      },
    });
    call.end('ok');
    const report = await call.settled;
    await guard.close();
    expect({ disposed, survived: report?.survived }).toEqual({ disposed: true, survived: 0 });
  });

  it('reports one that outlasts stepTimeoutMs as a survivor', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 10, stepTimeoutMs: 60 } });
    let release: () => void = () => {};
    const call = await admitTracked(guard, { toolName: 't' });
    call.track({ [Symbol.asyncDispose]: () => new Promise<void>((r) => (release = r)) });
    call.end('ok');
    const report = await call.settled;
    release();
    await guard.close();
    expect(report?.survived).toBe(1);
  });
});

describe('closing a socket', () => {
  it('delivers what was written and a FIN, then releases the socket without waiting for the peer to close its side', async () => {
    // A peer that reads everything and never closes its side: only a close that waits for the peer's FIN
    // would wait out the (long) grace period here.
    const received: Buffer[] = [];
    let peerEnded = false;
    let peerErrored = false;
    let peerSocket: Socket | undefined;
    const halfOpenPeer = createServer({ allowHalfOpen: true }, (s) => {
      peerSocket = s;
      s.on('data', (chunk: Buffer) => received.push(chunk));
      s.on('end', () => (peerEnded = true));
      s.on('error', () => (peerErrored = true));
    });
    await new Promise<void>((r) => halfOpenPeer.listen(0, '127.0.0.1', r));
    const guard = createResourceGuard({ cleanup: { graceMs: 60_000, stepTimeoutMs: 60_000 } });
    try {
      const call = await admitTracked(guard, { toolName: 't' });
      const payload = Buffer.alloc(1 << 20, 7); // more than a socket buffer: still being written at the end
      await call.run(async () => {
        const socket = new Socket();
        await new Promise<void>((r) =>
          socket.connect((halfOpenPeer.address() as { port: number }).port, '127.0.0.1', r),
        );
        socket.write(payload);
      });
      call.end('ok');
      const report = await call.settled;
      expect(report?.closed).toEqual({ socket: 1 });
      await new Promise<void>((r) => (peerEnded ? r() : peerSocket?.once('end', () => r())));
      expect({ bytes: Buffer.concat(received).length, peerEnded, peerErrored }).toEqual({
        bytes: payload.length,
        peerEnded: true,
        peerErrored: false,
      });
      expect(peerSocket?.writableEnded).toBe(false); // the peer never closed its side
    } finally {
      peerSocket?.destroy();
      await guard.close();
      await new Promise((r) => halfOpenPeer.close(r));
    }
  });
});
