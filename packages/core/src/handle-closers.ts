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
 * call.addHandle('file', fileHandleCloser(fh), path);
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
 * let open = true;
 * call.addHandle('file', fdCloser(() => { fs.closeSync(fd); open = false; }, () => open));
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
 * call.addHandle('file', streamCloser(fs.createReadStream(path)), path);
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
  end(): unknown;
}

/**
 * Closes a TCP/TLS socket: `end()` (a FIN) first, `destroy()` after the grace period.
 *
 * @param socket - the socket
 * @returns its closer
 * @example
 * ```ts
 * call.addHandle('socket', socketCloser(socket), `${host}:${port}`);
 * ```
 */
export function socketCloser(socket: EndableSocket): HandleCloser {
  const closed = (): boolean => socket.destroyed;
  return {
    close: () => {
      swallowErrors(socket);
      socket.end();
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
 * call.addHandle('server', serverCloser(server), `:${port}`);
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
 * call.addHandle('udp', udpCloser(socket));
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
 * call.addHandle('watcher', watcherCloser(fs.watch(dir)), dir);
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
 * call.addHandle('timer', timerCloser(() => clearTimeout(t), () => pending));
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
 * descendantsOf(child.pid ?? 0); // [1234, 1240]
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
 * call.addHandle('child_process', childProcessCloser(spawn('sleep', ['60'])), 'sleep');
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
 * call.addHandle('worker', workerCloser(new Worker(file)));
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
 * const found = closerFor(pool);
 * if (found) registry.add(found.kind, found.closer);
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
