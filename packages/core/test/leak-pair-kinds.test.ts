// The leak test of every probed kind not covered elsewhere (fetch, the Dir forms, fs.watchFile,
// fs.promises.watch and timers/promises have theirs beside their probes): two calls at once each open one
// resource and leave it open; each holds and counts its own and nothing of the other's; the first call's
// cleanup closes its resource and not the second's; the second's closes the rest; the process is back to
// its baseline (/proc/self/fd and its active handles). Real files, sockets on 127.0.0.1, processes, threads.
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import tls from 'node:tls';
import {
  hasOpenssl,
  isRunning,
  LEAKS,
  type LeakEnv,
  leakScratch,
  makeTestCertificate,
  sleep,
  until,
} from '@mcp-resource-guard/test-support';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { getCallContext, runShared } from '../src/index.js';
import { descendantsOf } from '../src/internal.js';
import { readChildUsage } from '../src/probes/child-usage.js';
import { checkLeakPair } from './support/leak-pair.js';

// Its files (and the one inotify descriptor libuv keeps per loop once fs.watch is first used) come before any baseline.
const scratch = leakScratch('guard-leak-pairs-');
const { dir } = scratch;
afterAll(() => scratch.remove());

const tick = () => sleep(20);

let files = 0;
/** A file of its own for each open: a closed descriptor's number, given to another file, names no longer it. */
function freshFile(): string {
  const path = join(dir, `f${files++}.txt`);
  fs.writeFileSync(path, 'x'.repeat(1000));
  return path;
}

/** Whether `fd` is open and still names the file at `path` (same device and inode). */
function names(fd: number | null | undefined, path: string): boolean {
  if (typeof fd !== 'number' || fd < 0) return false;
  try {
    const [held, file] = [fs.fstatSync(fd), fs.statSync(path)];
    return held.dev === file.dev && held.ino === file.ino;
  } catch {
    return false;
  }
}

/** A stream's descriptor (null once closed; not in @types/node). */
const fdOf = (stream: fs.ReadStream | fs.WriteStream): number | null => (stream as unknown as { fd: number | null }).fd;

/** All open, or all closed: a resource made of parts is never half closed. */
function allOrNone(parts: Record<string, boolean>): boolean {
  const states = new Set(Object.values(parts));
  if (states.size > 1) throw new Error(`partly open: ${JSON.stringify(parts)}`);
  return states.has(true);
}

const FILE = { fileHandles: 1, networkConnections: 0 };
const CONNECTION = { fileHandles: 0, networkConnections: 1 };
const NEITHER = { fileHandles: 0, networkConnections: 0 };

const portOf = (server: net.Server): number => (server.address() as net.AddressInfo).port;

/** A TCP server of the test's, outside any call: its accepted sockets are nobody's. */
let peer: net.Server;
/**
 * What the leak corpus opens things on: the scratch files, the TCP peer, and clients of no call (made in
 * `runShared`: each closes when the call's end of its connection does).
 */
let env: LeakEnv;
beforeAll(async () => {
  peer = net.createServer((s) => {
    s.on('error', () => {});
    s.resume();
  });
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  env = {
    ...scratch,
    tcpPort: portOf(peer),
    connectTo: (port) =>
      new Promise<void>((resolve) => {
        runShared(() =>
          net
            .connect(port, '127.0.0.1', resolve)
            .on('error', () => {})
            .resume(),
        );
      }),
  };
});
afterAll(async () => {
  await new Promise((r) => peer.close(r));
});

/** An HTTP server of its own (no pooled connection of another test is reused) that never ends a response. */
async function slowHttpServer(): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => {
    res.write('partial');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: portOf(server),
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('files: attributed, counted, closed at cleanup, back to baseline (two calls at once)', () => {
  it('an fs.promises.open FileHandle', async () => {
    await checkLeakPair({
      open: async () => {
        const path = freshFile();
        return { handle: await LEAKS.fileHandle({ ...env, file: path }), path };
      },
      holds: { file: 1 },
      usage: FILE,
      isOpen: ({ handle, path }) => allOrNone({ handle: handle.fd !== -1, fd: names(handle.fd, path) }),
    });
  });

  it('an fs.open (callback) descriptor', async () => {
    await checkLeakPair({
      open: async () => {
        const path = freshFile();
        return { fd: await LEAKS.fd({ ...env, file: path }), path };
      },
      holds: { file: 1 },
      usage: FILE,
      isOpen: ({ fd, path }) => names(fd, path),
    });
  });

  it('an fs.openSync descriptor', async () => {
    await checkLeakPair({
      open: async () => {
        const path = freshFile();
        await tick();
        return { fd: await LEAKS.fdSync({ ...env, file: path }), path };
      },
      holds: { file: 1 },
      usage: FILE,
      isOpen: ({ fd, path }) => names(fd, path),
    });
  });

  it('an fs.createReadStream stream, not read to its end', async () => {
    await checkLeakPair({
      open: async () => {
        const path = freshFile();
        return { stream: await LEAKS.readStream({ ...env, file: path }), path };
      },
      holds: { file: 1 },
      usage: FILE,
      isOpen: ({ stream, path }) => allOrNone({ stream: !stream.destroyed, fd: names(fdOf(stream), path) }),
    });
  });

  it('an fs.createWriteStream stream, not ended', async () => {
    await checkLeakPair({
      open: async () => {
        const stream = await LEAKS.writeStream(env);
        return { stream, path: String(stream.path) };
      },
      holds: { file: 1 },
      usage: FILE,
      isOpen: ({ stream, path }) => allOrNone({ stream: !stream.destroyed, fd: names(fdOf(stream), path) }),
    });
  });

  it('an fs.watch watcher', async () => {
    await checkLeakPair({
      open: async () => {
        const watcher = await LEAKS.watcher(env);
        const state = { watcher, closed: false };
        watcher.once('close', () => {
          state.closed = true;
        });
        await tick();
        return state;
      },
      holds: { watcher: 1 },
      usage: FILE,
      // close() closes the handle at once and emits 'close' on the next tick.
      isOpen: async (state) => {
        await new Promise((r) => setImmediate(r));
        return !state.closed;
      },
    });
  });
});

describe('network: attributed, counted, closed at cleanup, back to baseline (two calls at once)', () => {
  it('a TCP client socket to a server of the test’s', async () => {
    await checkLeakPair({
      open: () => LEAKS.tcpClient(env),
      holds: { socket: 1 },
      usage: CONNECTION,
      isOpen: (socket) => !socket.destroyed,
    });
  });

  it('a TCP server listening inside the call', async () => {
    await checkLeakPair({
      open: () => LEAKS.netServer(),
      holds: { server: 1 },
      usage: CONNECTION,
      isOpen: (server) => server.listening,
    });
  });

  it('a server listening inside the call, and the socket it accepted from a client of no call', async () => {
    await checkLeakPair({
      // The client is nobody's: it closes when the call's end of the connection does.
      open: () => LEAKS.acceptedSocket(env),
      holds: { server: 1, socket: 1 },
      usage: { fileHandles: 0, networkConnections: 2 },
      isOpen: ({ server, socket }) => allOrNone({ listening: server.listening, accepted: !socket.destroyed }),
    });
  });

  it('an http.request through a keep-alive agent, its response left unread to the end', async () => {
    const origin = await slowHttpServer();
    const agent = new http.Agent({ keepAlive: true });
    try {
      await checkLeakPair({
        open: async () =>
          (await LEAKS.httpResponseUnfinished({ ...env, httpPort: origin.port, httpAgent: agent })).request,
        // The request is the call's connection, not its socket (which a pool could take back).
        holds: { socket: 1 },
        usage: CONNECTION,
        isOpen: (request) => allOrNone({ request: !request.destroyed, socket: request.socket?.destroyed === false }),
      });
    } finally {
      agent.destroy();
      await origin.close();
    }
  });

  it('an http.get through the global agent, its response left unread to the end', async () => {
    const origin = await slowHttpServer();
    try {
      await checkLeakPair({
        open: async () =>
          (await LEAKS.httpResponseUnfinished({ ...env, httpPort: origin.port, httpAgent: http.globalAgent })).request,
        holds: { socket: 1 },
        usage: CONNECTION,
        isOpen: (request) => allOrNone({ request: !request.destroyed, socket: request.socket?.destroyed === false }),
      });
    } finally {
      await origin.close();
    }
  });

  it.skipIf(!hasOpenssl())(
    'a TLS client socket to a server of the test’s (needs openssl for its certificate: skipped without it)',
    async () => {
      const server = tls.createServer(makeTestCertificate(), (s) => {
        s.on('error', () => {});
        s.resume();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      try {
        await checkLeakPair({
          open: () => LEAKS.tlsClient({ ...env, tlsPort: portOf(server) }),
          holds: { socket: 1 },
          usage: CONNECTION,
          isOpen: (socket) => !socket.destroyed,
        });
      } finally {
        await new Promise((r) => server.close(r));
      }
    },
  );

  it('a UDP socket', async () => {
    await checkLeakPair({
      open: () => LEAKS.udpSocket(),
      holds: { udp: 1 },
      usage: CONNECTION,
      isOpen: (socket) => {
        try {
          socket.address(); // ERR_SOCKET_DGRAM_NOT_RUNNING once closed
          return true;
        } catch {
          return false;
        }
      },
    });
  });
});

// Immediates are left out: counted while pending, never cleared (they run on the next turn anyway).
describe('timers: attributed, cleared at cleanup, back to baseline (two calls at once)', () => {
  // No public "cleared" state: the process's Timeout handles in the baseline are the ground truth.
  it('a pending setTimeout', async () => {
    await checkLeakPair({
      open: async () => {
        await LEAKS.timeout();
        await tick();
      },
      holds: { timer: 1 },
      usage: NEITHER,
    });
  });

  it('a setInterval', async () => {
    await checkLeakPair({
      open: async () => {
        await LEAKS.interval();
        await tick();
      },
      holds: { interval: 1 },
      usage: NEITHER,
    });
  });
});

describe('processes and threads: attributed, stopped at cleanup, back to baseline (two calls at once)', () => {
  // The guard learns its /proc units once per process, at its first reading of a call's children: done
  // here, before any baseline (it starts no process; the loop only makes sure of that).
  beforeAll(async () => {
    const reading = readChildUsage([process.pid]);
    await until(() => descendantsOf(process.pid).length === 0, { what: 'no child of this process' });
    await reading;
  });

  const running = (child: { pid?: number | undefined }): boolean => child.pid !== undefined && isRunning(child.pid);
  /** Once the child has started (its pid known and running), so that cleanup stops a real process. */
  async function started<C extends { pid?: number | undefined }>(child: Promise<C>): Promise<C> {
    const started = await child;
    await until(() => running(started), { what: `child ${started.pid} to run`, intervalMs: 20 });
    return started;
  }

  it('child_process.spawn of sleep', async () => {
    await checkLeakPair({
      open: () => started(LEAKS.spawn(env)),
      holds: { child_process: 1 },
      usage: NEITHER,
      isOpen: running,
    });
  });

  it('child_process.exec of sleep', async () => {
    await checkLeakPair({
      open: () => started(LEAKS.exec(env)),
      holds: { child_process: 1 },
      usage: NEITHER,
      isOpen: running,
    });
  });

  it('child_process.execFile of sleep', async () => {
    await checkLeakPair({
      open: () => started(LEAKS.execFile(env)),
      holds: { child_process: 1 },
      usage: NEITHER,
      isOpen: running,
    });
  });

  it('child_process.fork of a script idling on a timer', async () => {
    await checkLeakPair({
      open: () => LEAKS.fork(env),
      holds: { child_process: 1 },
      usage: NEITHER,
      isOpen: running,
    });
  });

  it('a worker_threads Worker idling on a timer', async () => {
    await checkLeakPair({
      open: async () => {
        // Its exit is watched from before it can happen (the cleanup terminates it only after this resolves).
        const worker = await LEAKS.worker();
        const state = { worker, exited: false };
        worker.once('exit', () => {
          state.exited = true;
        });
        return state;
      },
      holds: { worker: 1 },
      usage: NEITHER,
      // threadId is -1 once the thread no longer runs.
      isOpen: ({ worker, exited }) => allOrNone({ running: worker.threadId !== -1, notExited: !exited }),
    });
  });
});

describe('temp storage: attributed, removed at cleanup (two calls at once)', () => {
  it('ctx.tempDir() with a file in it: held, removed at the end by contract, so no leak', async () => {
    await checkLeakPair({
      open: async () => {
        const path = await LEAKS.tempFile(env, getCallContext());
        await tick();
        return path;
      },
      holds: { temp_dir: 1 },
      leaked: {},
      usage: NEITHER,
      // A directory on disk, no descriptor: the baseline only shows that nothing else is left.
      offProcess: true,
      isOpen: (path) => fs.existsSync(path),
    });
  });
});
