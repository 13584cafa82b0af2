/** How to close each kind of Node.js handle safely: graceful first, forced after the grace period, never crashing the process. */

import { type ChildProcess, ChildProcess as ChildProcessClass } from 'node:child_process';
import dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import type { FileHandle } from 'node:fs/promises';
import net, { type Server } from 'node:net';
import { type Worker, Worker as WorkerClass } from 'node:worker_threads';
import type { HandleKind } from './handle-kind.js';
import type { HandleCloser } from './handle-registry.js';
import { nativeSetTimeout } from './native-timers.js';
import { ProcessTree, scanDescendants } from './process-tree.js';

/** Emitters the guard force-closes get one listener of its own, so that a late `'error'` cannot crash the process. */
const guarded = new WeakSet<EventEmitter>();
function swallowErrors(emitter: EventEmitter): void {
  if (guarded.has(emitter)) return;
  guarded.add(emitter);
  emitter.on('error', () => {
    // Errors after the guard closed the handle (EBADF, ERR_STREAM_DESTROYED, ECONNRESET) are expected.
  });
}

function once(emitter: EventEmitter, event: string, done: () => boolean): Promise<void> {
  if (done()) return Promise.resolve();
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

/**
 * Closes a `fs.promises` FileHandle.
 *
 * @param handle - the file handle
 * @returns its closer
 * @example
 * ```ts
 * import { open } from 'node:fs/promises';
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { fileHandleCloser } from '@mcp-resource-guard/core/internal';
 * const guard = createResourceGuard();
 * const call = await guard.admit({ toolName: 'read_config' });
 * // Opened outside call.run(), so no probe saw it: attribute it by hand.
 * const file = await open('package.json');
 * call.addHandle('file', fileHandleCloser(file), 'package.json');
 * call.end('ok'); // still open: reported as a leak and closed
 * await call.settled;
 * ```
 */
export function fileHandleCloser(handle: FileHandle): HandleCloser {
  return {
    close: () => handle.close(),
    isClosed: () => handle.fd === -1,
  };
}

/**
 * Closes a file descriptor number (from `fs.open` / `fs.openSync`). `isOpen` reports whether the
 * descriptor is still the one the call opened (the fs probe clears it when the tool closes it).
 *
 * @param close - closes the descriptor
 * @param isOpen - whether it is still open
 * @returns its closer
 * @example
 * ```ts
 * import { closeSync, openSync } from 'node:fs';
 * import { closeHandles, fdCloser, HandleRegistry } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * const fd = openSync('package.json', 'r');
 * let open = true;
 * const closer = fdCloser(
 *   () => {
 *     closeSync(fd);
 *     open = false;
 *   },
 *   () => open,
 * );
 * registry.add('file', closer, 'package.json');
 * await closeHandles(registry.list(), { graceMs: 200, stepTimeoutMs: 2000 }, () => performance.now());
 * ```
 */
export function fdCloser(close: () => void, isOpen: () => boolean): HandleCloser {
  return {
    close: () => {
      if (isOpen()) close();
    },
    isClosed: () => !isOpen(),
  };
}

/** A stream, as far as closing it goes. */
interface DestroyableStream extends EventEmitter {
  destroy(error?: Error): unknown;
  readonly destroyed: boolean;
  readonly closed?: boolean;
}

/**
 * Closes a stream (fs read/write streams, and anything stream-like) through the stream itself, never
 * through its descriptor, after giving it an `'error'` listener.
 *
 * @param stream - the stream
 * @returns its closer
 * @example
 * ```ts
 * import { createReadStream } from 'node:fs';
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { streamCloser } from '@mcp-resource-guard/core/internal';
 * const guard = createResourceGuard();
 * const call = await guard.admit({ toolName: 'tail_log' });
 * const stream = createReadStream('/var/log/syslog');
 * call.addHandle('file', streamCloser(stream), '/var/log/syslog');
 * call.end('ok'); // the stream is still open: reported as a leak and destroyed
 * ```
 */
export function streamCloser(stream: DestroyableStream): HandleCloser {
  const closed = (): boolean => stream.destroyed && stream.closed !== false;
  return {
    close: () => {
      swallowErrors(stream);
      stream.destroy();
      return once(stream, 'close', closed);
    },
    isClosed: closed,
  };
}

/** A socket, as far as closing it goes. */
interface EndableSocket extends DestroyableStream {
  /** Ends the writable side; `finished` runs once the end has been written (`'finish'`). */
  end(finished?: () => void): unknown;
}

/**
 * Closes a TCP/TLS socket: `end()` first, then `destroy()` as soon as everything written, and the FIN
 * (with TLS, the close_notify), has gone to the kernel, or after the grace period if it has not by then
 * (a peer that stopped reading). The peer's own FIN is not waited for: how soon another process answers
 * is not the call's to wait out, and a peer that sends more after our close gets a reset, as from any
 * closed socket.
 *
 * @param socket - the socket
 * @returns its closer
 * @example
 * ```ts
 * import { connect } from 'node:net';
 * import { closeHandles, HandleRegistry, socketCloser } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * const socket = connect(5432, '127.0.0.1');
 * registry.add('socket', socketCloser(socket), '127.0.0.1:5432');
 * // end(), then destroy() once the FIN is written (at the latest after graceMs).
 * await closeHandles(registry.list(), { graceMs: 200, stepTimeoutMs: 2000 }, () => performance.now());
 * ```
 */
export function socketCloser(socket: EndableSocket): HandleCloser {
  const closed = (): boolean => socket.destroyed;
  return {
    close: () => {
      swallowErrors(socket);
      socket.end(() => socket.destroy());
      return once(socket, 'close', closed);
    },
    forceClose: () => {
      socket.destroy();
    },
    isClosed: closed,
  };
}

/**
 * Closes a listening server (net, http, https): stops listening, then ends its connections
 * (idle ones at once, all of them after the grace period, for http servers).
 *
 * @param server - the server
 * @returns its closer
 * @example
 * ```ts
 * import { createServer } from 'node:http';
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { serverCloser } from '@mcp-resource-guard/core/internal';
 * const guard = createResourceGuard();
 * const call = await guard.admit({ toolName: 'preview' });
 * const server = createServer((_req, res) => res.end('preview')).listen(0, '127.0.0.1');
 * call.addHandle('server', serverCloser(server), 'preview server');
 * call.end('ok'); // the server still listens: closed, its connections ended
 * await call.settled;
 * ```
 */
export function serverCloser(
  server: Server & { closeIdleConnections?(): void; closeAllConnections?(): void },
): HandleCloser {
  // Created when listen() is called, before the server is bound: "not listening" alone does not mean closed.
  let closeEmitted = false;
  let closeAsked = false;
  server.once('close', () => {
    closeEmitted = true;
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        swallowErrors(server);
        closeAsked = true;
        if (closeEmitted) {
          resolve();
          return;
        }
        // Resolves when the last connection has ended (or at once, with an error, if it never listened).
        server.close(() => resolve());
        server.closeIdleConnections?.();
      }),
    forceClose: () => {
      server.closeAllConnections?.();
    },
    isClosed: () => closeEmitted || (closeAsked && !server.listening),
  };
}

/** A UDP socket, as far as closing it goes. */
interface ClosableDgram extends EventEmitter {
  close(callback?: () => void): unknown;
}

/**
 * Closes a UDP socket.
 *
 * @param socket - the dgram socket
 * @returns its closer
 * @example
 * ```ts
 * import { createSocket } from 'node:dgram';
 * import { udpCloser } from '@mcp-resource-guard/core/internal';
 * const socket = createSocket('udp4').bind(0);
 * const closer = udpCloser(socket);
 * await closer.close();
 * closer.isClosed(); // true
 * ```
 */
export function udpCloser(socket: ClosableDgram): HandleCloser {
  let closed = false;
  socket.once('close', () => {
    closed = true;
  });
  return {
    close: () =>
      new Promise<void>((resolve) => {
        swallowErrors(socket);
        if (closed) {
          resolve();
          return;
        }
        try {
          socket.close(() => resolve());
        } catch {
          // ERR_SOCKET_DGRAM_NOT_RUNNING: already closed.
          closed = true;
          resolve();
        }
      }),
    isClosed: () => closed,
  };
}

/**
 * Closes a `fs.watch` watcher.
 *
 * @param watcher - the watcher
 * @returns its closer
 * @example
 * ```ts
 * import { watch } from 'node:fs';
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { watcherCloser } from '@mcp-resource-guard/core/internal';
 * const guard = createResourceGuard();
 * const call = await guard.admit({ toolName: 'watch_dir' });
 * const watcher = watch('.', (event, file) => console.error(event, file));
 * call.addHandle('watcher', watcherCloser(watcher), '.');
 * ```
 */
export function watcherCloser(watcher: EventEmitter & { close(): void }): HandleCloser {
  let closed = false;
  watcher.once('close', () => {
    closed = true;
  });
  return {
    close: () => {
      swallowErrors(watcher);
      watcher.close();
      closed = true;
    },
    isClosed: () => closed,
  };
}

/**
 * Clears a timer, interval or immediate. `isPending` reports whether it has yet to fire (the timer
 * probe knows; for intervals, until cleared).
 *
 * @param clear - clears it
 * @param isPending - whether it is still pending
 * @returns its closer
 * @example
 * ```ts
 * import { HandleRegistry, timerCloser } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * let pending = true;
 * const timer = setTimeout(() => (pending = false), 60_000);
 * const handle = registry.add('timer', timerCloser(() => clearTimeout(timer), () => pending), 'retry');
 * await handle.closer.close(); // clears the timer
 * handle.closer.isClosed(); // true
 * ```
 */
export function timerCloser(clear: () => void, isPending: () => boolean): HandleCloser {
  let cleared = false;
  return {
    close: () => {
      if (isPending()) clear();
      cleared = true;
    },
    isClosed: () => cleared || !isPending(),
  };
}

/**
 * The pids of a process's descendants, deepest last, from `/proc/<pid>/task/<tid>/children` (Linux).
 * Empty where /proc is unavailable.
 *
 * @param pid - the root process
 * @returns descendant pids
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { descendantsOf } from '@mcp-resource-guard/core/internal';
 * const shell = spawn('sh', ['-c', 'sleep 60 & sleep 60']);
 * setTimeout(() => {
 *   const pids = shell.pid === undefined ? [] : descendantsOf(shell.pid);
 *   console.error(pids); // the two sleeps' pids (Linux; [] without /proc)
 *   for (const pid of pids) process.kill(pid); // killing the shell alone would leave them running
 *   shell.kill();
 * }, 100);
 * ```
 */
export function descendantsOf(pid: number): number[] {
  return scanDescendants(pid);
}

/**
 * Stops a child process and the processes it started: SIGTERM first, SIGKILL after the grace period.
 *
 * @param child - the child process
 * @returns its closer
 * @example
 * ```ts
 * import { spawn } from 'node:child_process';
 * import { childProcessCloser } from '@mcp-resource-guard/core/internal';
 * const child = spawn('sh', ['-c', 'sleep 60 & wait']);
 * const closer = childProcessCloser(child);
 * await closer.close(); // SIGTERM to the shell and its sleep; forceClose() would send SIGKILL
 * closer.isClosed(); // true
 * ```
 */
export function childProcessCloser(child: ChildProcess): HandleCloser {
  const exited = (): boolean => child.exitCode !== null || child.signalCode !== null;
  // Created at the first close, while the child is still unreaped: its pid is still its own.
  let tree: ProcessTree | undefined;
  const signal = async (name: NodeJS.Signals): Promise<void> => {
    if (child.pid === undefined) return;
    tree ??= new ProcessTree(child.pid);
    await tree.signal(name);
  };
  // Closed once the child has exited and nothing of its tree is left.
  const closed = (): boolean => exited() && (tree === undefined || tree.allGone());
  let forced = false;
  // Descendants may outlive the child a little (a signal lands when a process is next scheduled), or
  // for the rest of the grace period: polled, for 5 s at the most.
  const gone = async (stop: () => boolean): Promise<void> => {
    await once(child, 'exit', exited);
    for (let polls = 0; polls < 500 && !stop() && !closed(); polls++) {
      await new Promise((resolve) => nativeSetTimeout(resolve, 10));
    }
  };
  return {
    close: async () => {
      swallowErrors(child);
      if (exited()) return;
      await signal('SIGTERM');
      await gone(() => forced);
    },
    forceClose: async () => {
      forced = true;
      if (!exited() || tree !== undefined) await signal('SIGKILL');
      await gone(() => false);
    },
    isClosed: closed,
  };
}

/**
 * Terminates a worker thread.
 *
 * @param worker - the worker
 * @returns its closer
 * @example
 * ```ts
 * import { Worker } from 'node:worker_threads';
 * import { workerCloser } from '@mcp-resource-guard/core/internal';
 * const worker = new Worker('setInterval(() => {}, 1000);', { eval: true });
 * const closer = workerCloser(worker);
 * await closer.close(); // worker.terminate()
 * closer.isClosed(); // true
 * ```
 */
export function workerCloser(worker: Worker): HandleCloser {
  let exited = false;
  worker.once('exit', () => {
    exited = true;
  });
  return {
    close: async () => {
      swallowErrors(worker);
      if (!exited) await worker.terminate();
      exited = true;
    },
    isClosed: () => exited,
  };
}

/**
 * A kind and closer for a resource of any supported type: net/http servers, sockets, UDP sockets,
 * child processes, workers, FileHandles, streams, watchers, and anything with `[Symbol.asyncDispose]`,
 * `[Symbol.dispose]`, `close()` or `destroy()`.
 *
 * @param resource - the resource
 * @returns its kind and closer, or undefined for a resource the guard cannot close
 * @example
 * ```ts
 * import { createServer } from 'node:net';
 * import { closerFor, HandleRegistry } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * for (const resource of [createServer(), { close: async () => {} }, new AbortController()]) {
 *   const found = closerFor(resource);
 *   if (found) registry.add(found.kind, found.closer);
 *   else console.error('cannot close', resource); // the AbortController
 * }
 * registry.countByKind(); // { server: 1, custom: 1 }
 * ```
 */
export function closerFor(resource: object): { kind: HandleKind; closer: HandleCloser } | undefined {
  if (resource instanceof net.Server) return { kind: 'server', closer: serverCloser(resource) };
  if (resource instanceof net.Socket) return { kind: 'socket', closer: socketCloser(resource) };
  if (resource instanceof dgram.Socket) return { kind: 'udp', closer: udpCloser(resource) };
  if (resource instanceof ChildProcessClass) return { kind: 'child_process', closer: childProcessCloser(resource) };
  if (resource instanceof WorkerClass) return { kind: 'worker', closer: workerCloser(resource) };
  const r = resource as Record<string | symbol, unknown>;
  if (
    typeof r.fd === 'number' &&
    typeof r.close === 'function' &&
    typeof r.read === 'function' &&
    typeof r.stat === 'function'
  ) {
    return { kind: 'file', closer: fileHandleCloser(resource as FileHandle) };
  }
  if (typeof r.destroy === 'function' && typeof r.destroyed === 'boolean' && typeof r.on === 'function') {
    return { kind: 'file', closer: streamCloser(resource as unknown as DestroyableStream) };
  }
  for (const key of [Symbol.asyncDispose, Symbol.dispose, 'close', 'destroy'] as const) {
    const dispose = r[key];
    if (typeof dispose !== 'function') continue;
    let closed = false;
    return {
      kind: 'custom',
      closer: {
        close: async () => {
          await (dispose as () => unknown).call(resource);
          closed = true;
        },
        isClosed: () => closed,
      },
    };
  }
  return undefined;
}
