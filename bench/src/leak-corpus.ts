/**
 * The leak corpus: tool-call bodies that each leave something open, of every kind the guard's probes
 * cover, and the same operations done properly (closed, cleared, awaited, killed and waited for), plus
 * clean patterns the guard must not mistake for leaks (keep-alive pools, unref'd timers, `runShared`,
 * `detach`, `guard.share`). Shared by the reclamationRate and leakDetection scenarios.
 *
 * Every body runs inside a guarded call (`call.run(() => body(env))`) and returns only once what it
 * opened is really established (connected, listening, spawned, online), so that a reading of the
 * process taken right after it returns sees what the call holds.
 */

import { type ChildProcess, exec, execFile, fork, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import timersPromises from 'node:timers/promises';
import tls from 'node:tls';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { CallContext, Core, ResourceGuard } from './core.js';
import { type Peer, startPeer } from './peer.js';

/** What the bodies need: files, the peer's servers, a script to fork, and a marker for processes. */
export interface CorpusEnv {
  /** A scratch directory outside the guard's temp root. */
  readonly dir: string;
  /** A 64 KiB file in it. */
  readonly file: string;
  readonly peer: Peer;
  /** A CommonJS script that runs until killed. */
  readonly forkScript: string;
  /** In the command line of every process the corpus starts (`sleep <marker>`), to count them in /proc. */
  readonly marker: string;
  /** A keep-alive agent shared by every call (its pooled sockets belong to no call). */
  readonly keepAliveAgent: http.Agent;
  readonly core: Core;
  /** The guard the calls run under (for `share`). */
  readonly guard: ResourceGuard;
  /** Removes the scratch directory and stops the peer. */
  close(): Promise<void>;
}

/** One corpus entry. */
export interface LeakCase {
  readonly name: string;
  /** The handle kinds the guard should report for the leaky body. */
  readonly kinds: Readonly<Record<string, number>>;
  /** Whether it starts processes (ground truth then scans /proc for the marker). */
  readonly processes?: boolean;
  /** Whether it needs the TLS server (skipped without openssl). */
  readonly tls?: boolean;
  /** Opens and leaves open. */
  leak(env: CorpusEnv, ctx: CallContext): Promise<void>;
  /** The same operation, done properly. */
  clean(env: CorpusEnv, ctx: CallContext): Promise<void>;
}

/** A clean pattern with no leaky counterpart. */
export interface CleanCase {
  readonly name: string;
  readonly processes?: boolean;
  run(env: CorpusEnv, ctx: CallContext): Promise<void>;
}

const HOST = '127.0.0.1';

/**
 * Sets up the scratch files and the peer. Call it outside any guarded call.
 *
 * @param core - the core module
 * @param guard - the guard the corpus runs under
 * @returns the environment
 */
export async function createCorpusEnv(core: Core, guard: ResourceGuard): Promise<CorpusEnv> {
  const dir = await fsp.mkdtemp(join(tmpdir(), 'mcp-resource-guard-corpus-'));
  const file = join(dir, 'data.bin');
  await fsp.writeFile(file, Buffer.alloc(64 * 1024, 0x61));
  const forkScript = join(dir, 'idle.cjs');
  await fsp.writeFile(forkScript, 'setInterval(() => {}, 1000);\n');
  // libuv opens one inotify descriptor per loop on the first fs.watch: open it before any baseline.
  fs.watch(dir).close();
  const peer = await startPeer();
  const keepAliveAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });
  return {
    dir,
    file,
    peer,
    forkScript,
    marker: `29.0${process.pid}1`,
    keepAliveAgent,
    core,
    guard,
    async close() {
      keepAliveAgent.destroy();
      await peer.close();
      await fsp.rm(dir, { recursive: true, force: true });
    },
  };
}

let outputs = 0;
const outFile = (env: CorpusEnv): string => join(env.dir, `out-${outputs++}.txt`);

function openFd(path: string): Promise<number> {
  return new Promise((resolve, reject) => fs.open(path, 'r', (e, fd) => (e ? reject(e) : resolve(fd))));
}

function closeFd(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.close(fd, (e) => (e ? reject(e) : resolve())));
}

async function tcpClient(env: CorpusEnv): Promise<net.Socket> {
  const socket = net.connect(env.peer.tcpPort, HOST);
  await once(socket, 'connect');
  return socket;
}

async function rawSocket(env: CorpusEnv): Promise<net.Socket> {
  const socket = new net.Socket();
  socket.connect(env.peer.tcpPort, HOST);
  await once(socket, 'connect');
  return socket;
}

async function endSocket(socket: net.Socket): Promise<void> {
  const closed = once(socket, 'close');
  socket.end();
  await closed;
}

async function listening<T extends net.Server>(server: T): Promise<T> {
  server.listen(0, HOST);
  await once(server, 'listening');
  return server;
}

function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
}

function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

async function accepted(env: CorpusEnv, server: net.Server): Promise<net.Socket> {
  const connection = once(server, 'connection');
  await env.peer.connectTo(portOf(server));
  const [socket] = (await connection) as [net.Socket];
  return socket;
}

async function tlsClient(env: CorpusEnv): Promise<tls.TLSSocket> {
  const socket = tls.connect({ host: HOST, port: env.peer.tlsPort ?? 0, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  return socket;
}

async function httpGet(env: CorpusEnv, path: string, agent: http.Agent): Promise<http.IncomingMessage> {
  const request = http.get({ host: HOST, port: env.peer.httpPort, path, agent });
  const [response] = (await once(request, 'response')) as [http.IncomingMessage];
  return response;
}

let hangRequests = 0;

/** A `/hang` URL of the peer that no other request uses, so that {@link headersSent} can tell it apart. */
function uniqueHangUrl(env: CorpusEnv): string {
  return `http://${HOST}:${env.peer.httpPort}/hang?${hangRequests++}`;
}

/**
 * Resolves when undici has sent the headers of the request for `url` (the fetch is then in flight at the
 * peer). Other requests in flight in the process (other calls, an HTTP client) are told apart by the path.
 */
function headersSent(url: string): Promise<void> {
  const { pathname, search } = new URL(url);
  const path = pathname + search;
  return new Promise((resolve) => {
    const channel = dc.channel('undici:client:sendHeaders');
    const onMessage = (message: unknown): void => {
      if ((message as { request?: { path?: string } }).request?.path !== path) return;
      channel.unsubscribe(onMessage);
      resolve();
    };
    channel.subscribe(onMessage);
  });
}

async function udpSocket(): Promise<dgram.Socket> {
  const socket = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
  return socket;
}

function closeUdp(socket: dgram.Socket): Promise<void> {
  return new Promise((resolve) => socket.close(() => resolve()));
}

async function spawned<T extends import('node:child_process').ChildProcess>(child: T): Promise<T> {
  await once(child, 'spawn');
  return child;
}

async function killAndWait(child: import('node:child_process').ChildProcess): Promise<void> {
  const closed = once(child, 'close');
  child.kill('SIGTERM');
  await closed;
}

/** Waits (polling /proc) until `count` processes carry the marker more than before. */
/**
 * Waits (polling /proc) until the process `child` has `count` descendants: its own, whatever other calls start
 * meanwhile.
 */
async function descendantsUp(env: CorpusEnv, child: ChildProcess, count: number): Promise<void> {
  const pid = child.pid ?? 0;
  for (let i = 0; i < 400 && env.core.descendantsOf(pid).length < count; i++) await timersPromises.setTimeout(5);
}

async function online(worker: Worker): Promise<Worker> {
  await once(worker, 'online');
  return worker;
}

const IDLE_WORKER = 'setInterval(() => {}, 1000)';

async function writeTempFiles(ctx: CallContext, count: number): Promise<string> {
  const dir = ctx.tempDir();
  for (let i = 0; i < count; i++) await fsp.writeFile(join(dir, `f${i}.txt`), `file ${i}\n`);
  return dir;
}

function messagePorts(): { ports: MessageChannel; dispose: { close(): void } } {
  const ports = new MessageChannel();
  ports.port1.on('message', () => {});
  ports.port2.on('message', () => {});
  return {
    ports,
    dispose: {
      close() {
        ports.port1.close();
        ports.port2.close();
      },
    },
  };
}

async function portsClosed(ports: MessageChannel): Promise<void> {
  const closed = Promise.all([once(ports.port1, 'close'), once(ports.port2, 'close')]);
  ports.port1.close();
  ports.port2.close();
  await closed;
}

/** Every kind at once (TLS when available), for the mixes. */
async function leakEverything(env: CorpusEnv, ctx: CallContext): Promise<void> {
  await fsp.open(env.file, 'r');
  fs.openSync(env.file, 'r');
  fs.watch(env.dir);
  await tcpClient(env);
  const server = await listening(net.createServer());
  await accepted(env, server);
  if (env.peer.tlsPort !== null) await tlsClient(env);
  await udpSocket();
  await spawned(spawn('sleep', [env.marker]));
  await online(new Worker(IDLE_WORKER, { eval: true }));
  await writeTempFiles(ctx, 3);
  ctx.track(messagePorts().dispose);
  setTimeout(() => {}, 60_000);
  setInterval(() => {}, 60_000);
  setImmediate(() => {});
}

/** The leaky bodies, each with its clean counterpart. */
export const LEAK_CASES: readonly LeakCase[] = [
  {
    name: 'FileHandle (fs.promises.open)',
    kinds: { file: 1 },
    async leak(env) {
      await fsp.open(env.file, 'r');
    },
    async clean(env) {
      const handle = await fsp.open(env.file, 'r');
      await handle.read(Buffer.alloc(16), 0, 16, 0);
      await handle.close();
    },
  },
  {
    name: 'three FileHandles',
    kinds: { file: 3 },
    async leak(env) {
      for (let i = 0; i < 3; i++) await fsp.open(env.file, 'r');
    },
    async clean(env) {
      const handles = [];
      for (let i = 0; i < 3; i++) handles.push(await fsp.open(env.file, 'r'));
      for (const h of handles) await h.close();
    },
  },
  {
    name: 'fs.open descriptor',
    kinds: { file: 1 },
    async leak(env) {
      await openFd(env.file);
    },
    async clean(env) {
      await closeFd(await openFd(env.file));
    },
  },
  {
    name: 'fs.openSync descriptor',
    kinds: { file: 1 },
    async leak(env) {
      fs.openSync(env.file, 'r');
    },
    async clean(env) {
      fs.closeSync(fs.openSync(env.file, 'r'));
    },
  },
  {
    name: 'read stream, paused mid-file',
    kinds: { file: 1 },
    async leak(env) {
      const stream = fs.createReadStream(env.file, { highWaterMark: 1024 });
      await once(stream, 'readable');
    },
    async clean(env) {
      const stream = fs.createReadStream(env.file, { highWaterMark: 1024 });
      const closed = once(stream, 'close');
      stream.resume();
      await closed;
    },
  },
  {
    name: 'write stream, never ended',
    kinds: { file: 1 },
    async leak(env) {
      const stream = fs.createWriteStream(outFile(env));
      stream.write('pending');
      await once(stream, 'open');
    },
    async clean(env) {
      const stream = fs.createWriteStream(outFile(env));
      const closed = once(stream, 'close');
      stream.end('done');
      await closed;
    },
  },
  {
    name: 'fs.watch watcher',
    kinds: { watcher: 1 },
    async leak(env) {
      fs.watch(env.dir);
    },
    async clean(env) {
      fs.watch(env.dir).close();
    },
  },
  {
    name: 'TCP client (net.connect)',
    kinds: { socket: 1 },
    async leak(env) {
      await tcpClient(env);
    },
    async clean(env) {
      await endSocket(await tcpClient(env));
    },
  },
  {
    name: 'TCP client (new net.Socket().connect)',
    kinds: { socket: 1 },
    async leak(env) {
      await rawSocket(env);
    },
    async clean(env) {
      await endSocket(await rawSocket(env));
    },
  },
  {
    name: 'three TCP clients',
    kinds: { socket: 3 },
    async leak(env) {
      await Promise.all([tcpClient(env), tcpClient(env), tcpClient(env)]);
    },
    async clean(env) {
      const sockets = await Promise.all([tcpClient(env), tcpClient(env), tcpClient(env)]);
      await Promise.all(sockets.map(endSocket));
    },
  },
  {
    name: 'listening net server',
    kinds: { server: 1 },
    async leak() {
      await listening(net.createServer());
    },
    async clean() {
      await closeServer(await listening(net.createServer()));
    },
  },
  {
    name: 'listening http server',
    kinds: { server: 1 },
    async leak() {
      await listening(http.createServer((_req, res) => res.end()));
    },
    async clean() {
      await closeServer(await listening(http.createServer((_req, res) => res.end())));
    },
  },
  {
    name: 'accepted socket (server closed, connection left)',
    kinds: { server: 1, socket: 1 },
    async leak(env) {
      const server = await listening(net.createServer());
      await accepted(env, server);
      server.close();
    },
    async clean(env) {
      const server = await listening(net.createServer());
      const socket = await accepted(env, server);
      const closed = closeServer(server);
      await endSocket(socket);
      await closed;
    },
  },
  {
    name: 'server with an accepted socket, both left',
    kinds: { server: 1, socket: 1 },
    async leak(env) {
      await accepted(env, await listening(net.createServer()));
    },
    async clean(env) {
      const server = await listening(net.createServer());
      const socket = await accepted(env, server);
      socket.destroy();
      await once(socket, 'close');
      await closeServer(server);
    },
  },
  {
    name: 'TLS client (tls.connect)',
    kinds: { socket: 1 },
    tls: true,
    async leak(env) {
      await tlsClient(env);
    },
    async clean(env) {
      await endSocket(await tlsClient(env));
    },
  },
  {
    name: 'http request, response body unfinished',
    kinds: { socket: 1 },
    async leak(env) {
      const response = await httpGet(env, '/slow', new http.Agent({ keepAlive: false }));
      await once(response, 'data');
    },
    async clean(env) {
      const response = await httpGet(env, '/ok', new http.Agent({ keepAlive: false }));
      response.resume();
      await once(response, 'end');
    },
  },
  {
    name: 'http request awaiting its response',
    kinds: { socket: 1 },
    async leak(env) {
      const request = http.get({ host: HOST, port: env.peer.httpPort, path: '/hang', agent: false });
      request.on('error', () => {});
      const [socket] = (await once(request, 'socket')) as [net.Socket];
      if (socket.connecting) await once(socket, 'connect');
    },
    async clean(env) {
      const request = http.get({ host: HOST, port: env.peer.httpPort, path: '/ok', agent: false });
      const [response] = (await once(request, 'response')) as [http.IncomingMessage];
      response.resume();
      await once(response, 'end');
    },
  },
  {
    name: 'fetch, body never read',
    kinds: { socket: 1 },
    async leak(env) {
      await fetch(`http://${HOST}:${env.peer.httpPort}/slow`);
    },
    async clean(env) {
      await (await fetch(`http://${HOST}:${env.peer.httpPort}/ok`)).text();
    },
  },
  {
    name: 'fetch awaiting its response',
    kinds: { socket: 1 },
    async leak(env) {
      const url = uniqueHangUrl(env);
      const sent = headersSent(url);
      fetch(url).catch(() => {});
      await sent;
    },
    async clean(env) {
      const controller = new AbortController();
      const url = uniqueHangUrl(env);
      const sent = headersSent(url);
      const pending = fetch(url, { signal: controller.signal });
      await sent;
      controller.abort();
      await pending.catch(() => {});
    },
  },
  {
    name: 'UDP socket',
    kinds: { udp: 1 },
    async leak() {
      await udpSocket();
    },
    async clean() {
      await closeUdp(await udpSocket());
    },
  },
  {
    name: 'setTimeout',
    kinds: { timer: 1 },
    async leak() {
      setTimeout(() => {}, 60_000);
    },
    async clean() {
      clearTimeout(setTimeout(() => {}, 60_000));
    },
  },
  {
    name: 'setInterval',
    kinds: { interval: 1 },
    async leak() {
      setInterval(() => {}, 60_000);
    },
    async clean() {
      clearInterval(setInterval(() => {}, 60_000));
    },
  },
  {
    name: 'timers: 3 timeouts, 2 intervals (and an immediate, which is no leak)',
    kinds: { timer: 3, interval: 2 },
    async leak() {
      for (let i = 0; i < 3; i++) setTimeout(() => {}, 60_000 + i);
      for (let i = 0; i < 2; i++) setInterval(() => {}, 60_000 + i);
      setImmediate(() => {});
    },
    async clean() {
      await new Promise<void>((resolve) => setTimeout(resolve, 1));
      const timers = [setTimeout(() => {}, 60_000), setTimeout(() => {}, 60_001)];
      const intervals = [setInterval(() => {}, 60_000), setInterval(() => {}, 60_001)];
      for (const t of timers) clearTimeout(t);
      for (const t of intervals) clearInterval(t);
      await new Promise<void>((resolve) => setImmediate(resolve));
    },
  },
  {
    name: 'child process (spawn)',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      await spawned(spawn('sleep', [env.marker]));
    },
    async clean(env) {
      await killAndWait(await spawned(spawn('sleep', [env.marker])));
    },
  },
  {
    name: 'child process, stdio ignored (spawn)',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      await spawned(spawn('sleep', [env.marker], { stdio: 'ignore' }));
    },
    async clean(env) {
      await killAndWait(await spawned(spawn('sleep', [env.marker], { stdio: 'ignore' })));
    },
  },
  {
    name: 'shell command (exec)',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      await spawned(exec(`sleep ${env.marker}`));
    },
    async clean(env) {
      await killAndWait(await spawned(exec(`exec sleep ${env.marker}`)));
    },
  },
  {
    name: 'execFile',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      await spawned(execFile('sleep', [env.marker]));
    },
    async clean(env) {
      await killAndWait(await spawned(execFile('sleep', [env.marker])));
    },
  },
  {
    name: 'process tree (sh with two background sleeps)',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      const child = await spawned(spawn('sh', ['-c', `sleep ${env.marker} & sleep ${env.marker} & wait`]));
      await descendantsUp(env, child, 2);
    },
    async clean(env) {
      const child = await spawned(
        spawn('sh', ['-c', `sleep ${env.marker} & sleep ${env.marker} & wait`], { detached: true }),
      );
      await descendantsUp(env, child, 2);
      const closed = once(child, 'close');
      process.kill(-(child.pid ?? 0), 'SIGTERM');
      await closed;
    },
  },
  {
    name: 'forked Node process (fork)',
    kinds: { child_process: 1 },
    processes: true,
    async leak(env) {
      await spawned(fork(env.forkScript, [env.marker], { stdio: 'ignore' }));
    },
    async clean(env) {
      await killAndWait(await spawned(fork(env.forkScript, [env.marker], { stdio: 'ignore' })));
    },
  },
  {
    name: 'worker thread',
    kinds: { worker: 1 },
    async leak() {
      await online(new Worker(IDLE_WORKER, { eval: true }));
    },
    async clean() {
      await (await online(new Worker(IDLE_WORKER, { eval: true }))).terminate();
    },
  },
  {
    name: 'custom disposable (ctx.track)',
    kinds: { custom: 1 },
    async leak(_env, ctx) {
      ctx.track(messagePorts().dispose);
    },
    async clean(_env, ctx) {
      const { ports, dispose } = messagePorts();
      ctx.track(dispose);
      ctx.untrack(dispose);
      await portsClosed(ports);
    },
  },
  {
    name: 'mix: FileHandle, TCP client, timer',
    kinds: { file: 1, socket: 1, timer: 1 },
    async leak(env) {
      await fsp.open(env.file, 'r');
      await tcpClient(env);
      setTimeout(() => {}, 60_000);
    },
    async clean(env) {
      const handle = await fsp.open(env.file, 'r');
      const socket = await tcpClient(env);
      const timer = setTimeout(() => {}, 60_000);
      await handle.close();
      await endSocket(socket);
      clearTimeout(timer);
    },
  },
  {
    name: 'mix: 10 FileHandles, 5 TCP clients',
    kinds: { file: 10, socket: 5 },
    async leak(env) {
      for (let i = 0; i < 10; i++) await fsp.open(env.file, 'r');
      await Promise.all(Array.from({ length: 5 }, () => tcpClient(env)));
    },
    async clean(env) {
      const handles = [];
      for (let i = 0; i < 10; i++) handles.push(await fsp.open(env.file, 'r'));
      const sockets = await Promise.all(Array.from({ length: 5 }, () => tcpClient(env)));
      for (const h of handles) await h.close();
      await Promise.all(sockets.map(endSocket));
    },
  },
  {
    name: 'mix: child process, worker, interval, UDP',
    kinds: { child_process: 1, worker: 1, interval: 1, udp: 1 },
    processes: true,
    async leak(env) {
      await spawned(spawn('sleep', [env.marker]));
      await online(new Worker(IDLE_WORKER, { eval: true }));
      setInterval(() => {}, 60_000);
      await udpSocket();
    },
    async clean(env) {
      const child = await spawned(spawn('sleep', [env.marker]));
      const worker = await online(new Worker(IDLE_WORKER, { eval: true }));
      const interval = setInterval(() => {}, 60_000);
      const udp = await udpSocket();
      await killAndWait(child);
      await worker.terminate();
      clearInterval(interval);
      await closeUdp(udp);
    },
  },
  {
    name: 'mix: every kind at once',
    kinds: {
      file: 2,
      watcher: 1,
      socket: 3,
      server: 1,
      udp: 1,
      timer: 1,
      interval: 1,
      immediate: 1,
      child_process: 1,
      worker: 1,
      temp_dir: 1,
      custom: 1,
    },
    processes: true,
    leak: leakEverything,
    async clean(env, ctx) {
      const handle = await fsp.open(env.file, 'r');
      const fd = fs.openSync(env.file, 'r');
      const watcher = fs.watch(env.dir);
      const socket = await tcpClient(env);
      const server = await listening(net.createServer());
      const acceptedSocket = await accepted(env, server);
      const secure = env.peer.tlsPort === null ? undefined : await tlsClient(env);
      const udp = await udpSocket();
      const timer = setTimeout(() => {}, 60_000);
      const interval = setInterval(() => {}, 60_000);
      const child = await spawned(spawn('sleep', [env.marker]));
      const worker = await online(new Worker(IDLE_WORKER, { eval: true }));
      const { ports, dispose } = messagePorts();
      ctx.track(dispose);
      await handle.close();
      fs.closeSync(fd);
      watcher.close();
      await endSocket(socket);
      acceptedSocket.destroy();
      await once(acceptedSocket, 'close');
      await closeServer(server);
      if (secure !== undefined) await endSocket(secure);
      await closeUdp(udp);
      clearTimeout(timer);
      clearInterval(interval);
      await new Promise<void>((resolve) => setImmediate(resolve));
      await killAndWait(child);
      await worker.terminate();
      ctx.untrack(dispose);
      await portsClosed(ports);
    },
  },
];

/** Clean patterns with no leaky counterpart: what belongs to no call, or leaves nothing behind. */
export const CLEAN_ONLY_CASES: readonly CleanCase[] = [
  // No leaks by the guard's rules (core README): an immediate runs on the next turn of the loop and is
  // never cleared; the call's temp dir is removed at its end by contract.
  {
    name: 'an immediate still pending at the end',
    async run() {
      setImmediate(() => {});
    },
  },
  {
    name: 'a temp dir left with 20 files (ctx.tempDir, removed by contract)',
    async run(_env, ctx) {
      await writeTempFiles(ctx, 20);
    },
  },
  {
    name: 'keep-alive http.Agent, response read (socket back in the pool)',
    async run(env) {
      const response = await httpGet(env, '/ok', env.keepAliveAgent);
      response.resume();
      await once(response, 'end');
    },
  },
  {
    name: 'global http agent (keep-alive on Node ≥ 19), response read',
    async run(env) {
      const request = http.get({ host: HOST, port: env.peer.httpPort, path: '/ok' });
      const [response] = (await once(request, 'response')) as [http.IncomingMessage];
      response.resume();
      await once(response, 'end');
    },
  },
  {
    name: 'fetch, body read (undici pool keeps the socket)',
    async run(env) {
      await (await fetch(`http://${HOST}:${env.peer.httpPort}/ok`)).text();
    },
  },
  {
    name: "unref'd setTimeout",
    async run() {
      setTimeout(() => {}, 60_000).unref();
    },
  },
  {
    name: "unref'd setInterval",
    async run() {
      setInterval(() => {}, 60_000).unref();
    },
  },
  {
    name: 'awaited timers/promises setTimeout',
    async run() {
      await timersPromises.setTimeout(1);
    },
  },
  {
    name: 'server created in runShared()',
    async run(env) {
      const server = env.core.runShared(() => net.createServer());
      env.core.runShared(() => server.listen(0, HOST));
      await once(server, 'listening');
      sharedLater.push(() => closeServer(server));
    },
  },
  {
    name: 'TCP client created in runShared()',
    async run(env) {
      const socket = env.core.runShared(() => net.connect(env.peer.tcpPort, HOST));
      await once(socket, 'connect');
      sharedLater.push(() => endSocket(socket));
    },
  },
  {
    name: 'interval created in runShared()',
    async run(env) {
      const interval = env.core.runShared(() => setInterval(() => {}, 60_000));
      sharedLater.push(async () => clearInterval(interval));
    },
  },
  {
    name: 'TCP client detached with detach()',
    async run(env) {
      const socket = await tcpClient(env);
      env.core.detach(socket);
      sharedLater.push(() => endSocket(socket));
    },
  },
  {
    name: 'TCP client handed to guard.share()',
    async run(env) {
      const socket = await tcpClient(env);
      env.guard.share(socket);
      sharedLater.push(async () => {
        if (!socket.destroyed) await endSocket(socket);
      });
    },
  },
  {
    name: 'fs.promises.readFile / writeFile',
    async run(env) {
      await fsp.readFile(env.file);
      await fsp.writeFile(outFile(env), 'x');
    },
  },
  {
    name: 'stream pipeline to completion',
    async run(env) {
      await pipeline(fs.createReadStream(env.file), fs.createWriteStream(outFile(env)));
    },
  },
  {
    name: 'child process that exits on its own',
    processes: true,
    async run() {
      await once(spawn('true'), 'close');
    },
  },
  {
    name: 'worker that exits on its own',
    async run() {
      await once(new Worker('0', { eval: true }), 'exit');
    },
  },
];

/**
 * Leaks of kinds the core README's probe table does not list: the guard is not expected to see them.
 * Measured apart (never in the headline figures), to show where the coverage ends. What they leave is
 * released by {@link closeSharedLeftovers}.
 */
export const OUTSIDE_COVERAGE_CASES: readonly CleanCase[] = [
  {
    name: 'timers/promises setTimeout, not awaited',
    async run() {
      const controller = new AbortController();
      timersPromises.setTimeout(60_000, undefined, { signal: controller.signal }).catch(() => {});
      sharedLater.push(async () => controller.abort());
    },
  },
  {
    name: 'timers/promises setInterval iterator',
    async run() {
      const controller = new AbortController();
      const iterator = timersPromises
        .setInterval(60_000, undefined, { signal: controller.signal })
        [Symbol.asyncIterator]();
      iterator.next().catch(() => {});
      sharedLater.push(async () => controller.abort());
    },
  },
  {
    name: 'fs.watchFile',
    async run(env) {
      const listener = (): void => {};
      fs.watchFile(env.file, listener);
      sharedLater.push(async () => fs.unwatchFile(env.file, listener));
    },
  },
  {
    name: 'fs.promises.watch iterator',
    async run(env) {
      const controller = new AbortController();
      const iterator = fsp.watch(env.dir, { signal: controller.signal })[Symbol.asyncIterator]();
      iterator.next().catch(() => {});
      await timersPromises.setTimeout(5);
      sharedLater.push(async () => controller.abort());
    },
  },
  {
    name: 'fs.promises.opendir, never closed',
    async run(env) {
      const dir = await fsp.opendir(env.dir);
      sharedLater.push(() => dir.close().catch(() => {}));
    },
  },
];

/**
 * Closes what the `runShared` / `detach` / `share` clean cases deliberately left to the server. Run it
 * outside any call, before taking a baseline.
 */
export async function closeSharedLeftovers(): Promise<void> {
  const pending = sharedLater.splice(0);
  await Promise.all(pending.map((close) => close().catch(() => {})));
}

const sharedLater: (() => Promise<void>)[] = [];

/**
 * The corpus entries this machine can run (TLS needs openssl for the peer's certificate).
 *
 * @param env - the environment
 * @returns the leaky cases
 */
export function availableLeakCases(env: CorpusEnv): LeakCase[] {
  return LEAK_CASES.filter((c) => c.tls !== true || env.peer.tlsPort !== null);
}
