import { type ChildProcess, exec, execFile, fork, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import dc from 'node:diagnostics_channel';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import timersPromises from 'node:timers/promises';
import tls from 'node:tls';
import { MessageChannel, Worker } from 'node:worker_threads';
import { descendantsOf } from './processes.js';
import { sleep } from './sleep.js';
import { until } from './until.js';

/**
 * What the leaky bodies open things on: files, a script to fork, a marker for processes, and servers to connect to
 * (those of a peer of no call, or of another process, so that only the call's side of a connection is the call's).
 * {@link leakScratch} makes the files; a body that needs a server its environment lacks throws.
 */
export interface LeakEnv {
  /** A scratch directory: watched, listed, written to. */
  readonly dir: string;
  /** A readable file longer than a read stream's buffer (16 bytes), in `dir`. */
  readonly file: string;
  /** A CommonJS script that says `ready` over its IPC channel, then runs until killed. */
  readonly forkScript: string;
  /**
   * The argument of `sleep` in every process a body starts, and in the command line of every other: a duration in
   * seconds, unique to the run, so that /proc finds them ({@link markedProcessList}).
   */
  readonly marker: string;
  /** A TCP server that accepts and holds connections. */
  readonly tcpPort?: number | undefined;
  /** An HTTP server: `/slow` sends headers and part of a body, never the end; `/hang` (and `/hang?…`) no answer. */
  readonly httpPort?: number | undefined;
  /** A TLS server that accepts and holds connections (any certificate: clients do not check it); null: none. */
  readonly tlsPort?: number | null | undefined;
  /** The agent of `http` requests (default: a new one without keep-alive for each, which no pool shares). */
  readonly httpAgent?: http.Agent | undefined;
  /** Makes a client of no call connect to a port of ours, and resolves once connected. */
  readonly connectTo?: ((port: number) => Promise<void>) | undefined;
}

/** What the bodies use of the call they run in: its temp dir and its tracking of custom resources. */
export interface LeakContext {
  tempDir(): string;
  track(resource: { close(): void }): unknown;
}

/** A leaky body: runs inside a call, opens something, and leaves it open. */
export type LeakBody = (env: LeakEnv, ctx: LeakContext) => Promise<unknown>;

const HOST = '127.0.0.1';

function need<T>(value: T | null | undefined, what: string): T {
  if (value === undefined || value === null) throw new Error(`this leak needs ${what} in its environment`);
  return value;
}

async function connected<T extends net.Socket>(socket: T, event = 'connect'): Promise<T> {
  await once(socket, event);
  return socket;
}

async function listening<T extends net.Server>(server: T): Promise<T> {
  server.listen(0, HOST);
  await once(server, 'listening');
  return server;
}

async function spawned<T extends ChildProcess>(child: T): Promise<T> {
  await once(child, 'spawn');
  return child;
}

let outputs = 0;
let tempFiles = 0;
let hangRequests = 0;

/**
 * Resolves when undici has sent the headers of the request for `url` (the fetch is then in flight at the peer).
 * Other requests in flight in the process are told apart by the path.
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

/** The signal option of the bodies that take one (a tool's own signal, which the guard honours). */
export interface SignalOption {
  readonly signal?: AbortSignal | undefined;
}

/**
 * The leak corpus: for each kind of resource the guard's probes know (and a few they do not), a body that opens one
 * and leaves it open, resolving only once it is established (open, connected, listening, spawned, online), so that a
 * reading of the process right after sees it; it returns what it opened, for the caller's own checks and cleanup.
 * Run each inside a guarded call: `call.run(() => LEAKS.tcpClient(env))`.
 */
export const LEAKS = {
  /** An `fs.promises.open` FileHandle on `env.file`. */
  fileHandle: (env: LeakEnv) => fsp.open(env.file, 'r'),

  /** A descriptor from `fs.open` (callback) on `env.file`. */
  fd: (env: LeakEnv) =>
    new Promise<number>((resolve, reject) => fs.open(env.file, 'r', (e, fd) => (e ? reject(e) : resolve(fd)))),

  /** A descriptor from `fs.openSync` on `env.file`. */
  fdSync: async (env: LeakEnv) => fs.openSync(env.file, 'r'),

  /** A read stream of `env.file`, paused after its first 16 bytes. */
  async readStream(env: LeakEnv) {
    const stream = fs.createReadStream(env.file, { highWaterMark: 16 });
    await once(stream, 'readable');
    return stream;
  },

  /** A write stream to a new file in `env.dir`, written to and never ended. */
  async writeStream(env: LeakEnv) {
    const stream = fs.createWriteStream(join(env.dir, `out-${outputs++}.txt`));
    stream.write('pending');
    await once(stream, 'open');
    return stream;
  },

  /** An `fs.watch` watcher of `env.dir`. */
  watcher: async (env: LeakEnv) => fs.watch(env.dir),

  /** A TCP client (`net.connect`) to `env.tcpPort`. */
  tcpClient: (env: LeakEnv) => connected(net.connect(need(env.tcpPort, 'tcpPort'), HOST)),

  /** A TCP client made as `new net.Socket().connect(...)` to `env.tcpPort`. */
  tcpSocket: (env: LeakEnv) => connected(new net.Socket().connect(need(env.tcpPort, 'tcpPort'), HOST)),

  /** A listening `net` server. */
  netServer: async () => listening(net.createServer()),

  /** A listening `http` server. */
  httpServer: async () => listening(http.createServer((_req, res) => res.end())),

  /** A listening server and the connection it accepted from a client of no call (`env.connectTo`): both left. */
  async acceptedSocket(env: LeakEnv) {
    const connectTo = need(env.connectTo, 'connectTo');
    const server = await listening(net.createServer());
    const connection = once(server, 'connection');
    await connectTo((server.address() as net.AddressInfo).port);
    const [socket] = (await connection) as [net.Socket];
    return { server, socket };
  },

  /** A TLS client (`tls.connect`) to `env.tlsPort`, past its handshake. */
  tlsClient: (env: LeakEnv) =>
    connected(
      tls.connect({ host: HOST, port: need(env.tlsPort, 'tlsPort'), rejectUnauthorized: false }),
      'secureConnect',
    ),

  /** An `http.get` of `/slow` whose response has begun and never ends (through `env.httpAgent`). */
  async httpResponseUnfinished(env: LeakEnv) {
    const agent = env.httpAgent ?? new http.Agent({ keepAlive: false });
    const request = http.get({ host: HOST, port: need(env.httpPort, 'httpPort'), path: '/slow', agent });
    const [response] = (await once(request, 'response')) as [http.IncomingMessage];
    const data = once(response, 'data');
    response.resume();
    await data;
    return { request, response };
  },

  /** An `http.get` of `/hang`, connected, awaiting a response that never comes. */
  async httpAwaitingResponse(env: LeakEnv) {
    const request = http.get({ host: HOST, port: need(env.httpPort, 'httpPort'), path: '/hang', agent: false });
    request.on('error', () => {});
    const [socket] = (await once(request, 'socket')) as [net.Socket];
    if (socket.connecting) await once(socket, 'connect');
    return request;
  },

  /** A `fetch` of `/slow` whose body is never read. */
  fetchBodyUnread: (env: LeakEnv) => fetch(`http://${HOST}:${need(env.httpPort, 'httpPort')}/slow`),

  /** A `fetch` of `/hang?<n>`, sent, awaiting a response that never comes (its failure is caught). */
  async fetchAwaitingResponse(env: LeakEnv, _ctx?: LeakContext, { signal }: SignalOption = {}) {
    const url = `http://${HOST}:${need(env.httpPort, 'httpPort')}/hang?${hangRequests++}`;
    const sent = headersSent(url);
    const response = fetch(url, signal === undefined ? {} : { signal }).catch(() => undefined);
    await sent;
    return { response };
  },

  /** A bound UDP socket. */
  async udpSocket() {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, HOST, resolve));
    return socket;
  },

  /** A `setTimeout` of a minute. */
  timeout: async () => setTimeout(() => {}, 60_000),

  /** A `setInterval` of a minute. */
  interval: async () => setInterval(() => {}, 60_000),

  /** A `setImmediate` (it runs on the next turn: counted while pending, never a leak). */
  immediate: async () => setImmediate(() => {}),

  /** `sleep <marker>` from `child_process.spawn`, with pipes for its stdio. */
  spawn: (env: LeakEnv) => spawned(spawn('sleep', [env.marker])),

  /** `sleep <marker>` from `child_process.spawn`, its stdio ignored (no pipe). */
  spawnStdioIgnored: (env: LeakEnv) => spawned(spawn('sleep', [env.marker], { stdio: 'ignore' })),

  /** `sleep <marker>` run by a shell from `child_process.exec`. */
  exec: (env: LeakEnv) => spawned(exec(`sleep ${env.marker}`)),

  /** `sleep <marker>` from `child_process.execFile`. */
  execFile: (env: LeakEnv) => spawned(execFile('sleep', [env.marker])),

  /** A shell with two `sleep <marker>` in the background, once both run. */
  async processTree(env: LeakEnv) {
    const child = await spawned(spawn('sh', ['-c', `sleep ${env.marker} & sleep ${env.marker} & wait`]));
    const pid = child.pid ?? 0;
    await until(() => descendantsOf(pid).length >= 2, {
      what: `the two sleeps of shell ${pid}`,
      timeoutMs: 2000,
      intervalMs: 5,
    });
    return child;
  },

  /** `env.forkScript` from `child_process.fork` (no Node options of ours), once it said `ready`. */
  async fork(env: LeakEnv) {
    const child = fork(env.forkScript, [env.marker], { execArgv: [], stdio: ['ignore', 'ignore', 'ignore', 'ipc'] });
    await once(child, 'message');
    return child;
  },

  /** A Node child that ignores SIGTERM (the guard's cleanup must kill it), once its handler is in place. */
  async sigtermIgnoringChild(env: LeakEnv) {
    const script = "process.on('SIGTERM', () => {}); setInterval(() => {}, 1000); console.log('ready')";
    const child = spawn(process.execPath, ['-e', script, env.marker]);
    await once(child.stdout, 'data');
    return child;
  },

  /** A shell that ignores SIGTERM, with a `sleep <marker>` of its own: the child, and that grandchild's pid. */
  async sigtermIgnoringTree(env: LeakEnv) {
    const child = spawn('sh', ['-c', `trap '' TERM; sleep ${env.marker} & echo $!; wait`], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const [pid] = (await once(child.stdout, 'data')) as [Buffer];
    return { child, grandchild: Number(String(pid).trim()) };
  },

  /** A worker thread idling on a timer, once online. */
  async worker() {
    const worker = new Worker('setInterval(() => {}, 1000)', { eval: true });
    await once(worker, 'online');
    return worker;
  },

  /** A 1 KiB file in the call's temp dir (removed with it at the call's end, by contract: no leak). */
  async tempFile(_env: LeakEnv, ctx: LeakContext) {
    const path = join(ctx.tempDir(), `f${tempFiles++}.bin`);
    await fsp.writeFile(path, Buffer.alloc(1024));
    return path;
  },

  /** A pair of message ports given to `ctx.track()` as one custom resource: the ports, and what was tracked. */
  async trackedDisposable(_env: LeakEnv, ctx: LeakContext) {
    const ports = new MessageChannel();
    ports.port1.on('message', () => {});
    ports.port2.on('message', () => {});
    const dispose = {
      close() {
        ports.port1.close();
        ports.port2.close();
      },
    };
    ctx.track(dispose);
    return { ports, dispose };
  },

  /** An `fs.watchFile` listener on `env.file` (one StatWatcher per file, shared by every listener). */
  async watchFile(env: LeakEnv) {
    const listener = (): void => {};
    return { watcher: fs.watchFile(env.file, { interval: 20 }, listener), listener };
  },

  /** An `fs.promises.watch` iterator of `env.dir`, waiting for a change (its failure is caught). */
  async watchIterator(env: LeakEnv, _ctx?: LeakContext, { signal }: SignalOption = {}) {
    const changes = fsp.watch(env.dir, signal === undefined ? {} : { signal })[Symbol.asyncIterator]();
    changes.next().catch(() => {});
    await sleep(5);
    return changes;
  },

  /** A directory handle from `fs.opendir` (callback) on `env.dir`. */
  dir: (env: LeakEnv) =>
    new Promise<fs.Dir>((resolve, reject) => fs.opendir(env.dir, (e, d) => (e ? reject(e) : resolve(d)))),

  /** A directory handle from `fs.opendirSync` on `env.dir`. */
  dirSync: async (env: LeakEnv) => fs.opendirSync(env.dir),

  /** A directory handle from `fs.promises.opendir` on `env.dir`, one entry read. */
  async dirPromise(env: LeakEnv) {
    const dir = await fsp.opendir(env.dir);
    await dir.read();
    return dir;
  },

  /** A `timers/promises` setTimeout of a minute, not awaited (its failure is caught). */
  async timersPromisesTimeout(_env?: LeakEnv, _ctx?: LeakContext, { signal }: SignalOption = {}) {
    const pending =
      signal === undefined
        ? timersPromises.setTimeout(60_000)
        : timersPromises.setTimeout(60_000, undefined, { signal });
    pending.catch(() => {});
    return { pending };
  },

  /** A `timers/promises` setInterval of a minute, its iterator waiting for a first tick (its failure is caught). */
  async timersPromisesInterval(_env?: LeakEnv, _ctx?: LeakContext, { signal }: SignalOption = {}) {
    const ticks = (
      signal === undefined
        ? timersPromises.setInterval(60_000)
        : timersPromises.setInterval(60_000, undefined, { signal })
    )[Symbol.asyncIterator]();
    ticks.next().catch(() => {});
    return ticks;
  },
} satisfies Record<string, LeakBody>;

/** The name of a corpus entry. */
export type LeakName = keyof typeof LEAKS;
