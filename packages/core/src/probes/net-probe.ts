/**
 * Attributes network resources to calls: client and accepted sockets (diagnostics_channel), servers a
 * call starts listening, TLS sockets, HTTP client requests, fetch (undici) requests and UDP sockets.
 * Sockets owned by a connection pool (http.Agent keep-alive, undici) belong to the pool, never to a call.
 */

import { executionAsyncId } from 'node:async_hooks';
import type { Socket as DgramSocket } from 'node:dgram';
import dc from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import net from 'node:net';
import tls from 'node:tls';
import { serverCloser, socketCloser, udpCloser } from '../handle-closers.js';
import type { HandleCloser } from '../handle-registry.js';
import type { TrackedCall } from '../tool-call.js';
import { attribute, currentCall, ownerOf, release } from './attribution.js';

type AnyFn = (...args: never[]) => unknown;

interface UndiciRequest {
  abort?: ((error: Error) => void) | null;
  completed?: boolean;
  aborted?: boolean;
  origin?: unknown;
}

/**
 * A connection undici is making: from `undici:client:beforeConnect` its connector creates the socket in
 * the same synchronous run (`net.connect` / `tls.connect`), and that socket is the pool's from the start,
 * whichever call's request made undici connect. Other code may run before the end of the turn (promise
 * jobs queued earlier, of other calls): a socket is taken for the pool's only if it is created in the
 * same execution as the `beforeConnect` message, to the port undici connects to, and only one.
 */
interface PoolConnect {
  readonly asyncId: number;
  /** The port of undici's origin; empty for the protocol's default. */
  readonly port: string;
}
let poolConnect: PoolConnect | undefined;
/** Sockets undici's connector created: never a call's. */
const poolSockets = new WeakSet<object>();

function poolConnectEnded(): void {
  poolConnect = undefined;
}

/** The port a `socket.connect(...)` call connects to, if it names one. */
function portOf(args: readonly unknown[]): string | undefined {
  // net.connect() passes its normalized arguments as one array.
  const first = Array.isArray(args[0]) ? (args[0] as unknown[])[0] : args[0];
  if (typeof first === 'number') return String(first);
  if (typeof first === 'object' && first !== null) {
    const { port } = first as { port?: unknown };
    if (typeof port === 'number' || typeof port === 'string') return String(port);
  }
  return undefined;
}

/**
 * Whether a socket is undici's own: created by its connector. Without the port (the socket is only being
 * created), a socket in undici's execution is left undecided: its `connect()` follows at once, with it.
 */
function isPoolSocket(socket: object, port?: string): boolean | undefined {
  if (poolSockets.has(socket)) return true;
  const pending = poolConnect;
  if (pending === undefined || executionAsyncId() !== pending.asyncId) return false;
  if (port === undefined) return undefined;
  // A socket to a path (IPC, undici's `socketPath`) has no port to compare.
  if (pending.port !== '' && port !== '' && port !== pending.port) return false;
  poolConnect = undefined;
  poolSockets.add(socket);
  return true;
}

function attributeSocket(socket: net.Socket, label: string): void {
  if (attribute(socket, 'socket', socketCloser(socket), label)) socket.once('close', () => release(socket));
}

function attributeClientSocket(socket: net.Socket, label: string, port?: string): void {
  if (isPoolSocket(socket, port) === false) attributeSocket(socket, label);
}

function requestCloser(request: ClientRequest): HandleCloser {
  let done = false;
  request.once('close', () => {
    done = true;
  });
  return {
    close: () => {
      request.on('error', () => {});
      request.destroy();
    },
    isClosed: () => done || request.destroyed,
  };
}

/** The socket each undici request was written to (`undici:client:sendHeaders`), until it completes or fails. */
const sentOn = new WeakMap<object, net.Socket>();
/** How many requests are in flight on each undici socket (more than one only with pipelining or HTTP/2). */
const inFlight = new WeakMap<net.Socket, number>();

function requestSent(message: unknown): void {
  const { request, socket } = message as { request: UndiciRequest & object; socket: net.Socket };
  sentOn.set(request, socket);
  inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
  // Written after its call ended, which left it in the pool's queue: it is that call's again, as a handle
  // opened after the call's end (closed after the grace period if still open).
  const call = ownerOf(request);
  if (call?.ended === true) {
    release(request);
    attributeRequest(request, call);
  }
}

function requestDone(message: unknown): void {
  const { request } = message as { request: object };
  const socket = sentOn.get(request);
  if (socket !== undefined) {
    sentOn.delete(request);
    inFlight.set(socket, (inFlight.get(socket) ?? 1) - 1);
  }
  release(request);
}

/**
 * Closes a fetch (undici) request. HTTP/1.1 cannot cancel a request whose response is under way: its
 * connection has to go. undici's own `abort()` closes it as "informational", which puts the aborted request
 * back at the head of the client's queue; the client then connects a new socket only to find the request
 * aborted and drop it, and that socket stays idle in the pool (undici 6, Node 20: until its keep-alive
 * timeout). Closing the request's own socket with an error instead fails the request, and nothing
 * reconnects. A request sharing its connection (pipelining, HTTP/2) is aborted.
 *
 * A request not yet written holds nothing of the call's: it waits in the pool's queue, and when its turn
 * comes undici hands it to a connection through its `onConnect`, which gives it its `abort`. A fetch
 * aborted before that has no way to reach the request: undici finds it aborted there, drops it unwritten
 * (`undici:request:error`) and destroys the connection it was given (undici 6 and 7). So a request not yet
 * given its `abort` is the pool's when the call ends (`isShared`), and comes back to the call if it is
 * written later (see `requestSent`).
 */
function undiciCloser(request: UndiciRequest): HandleCloser {
  return {
    close: (): Promise<void> | undefined => {
      if (request.completed === true || request.aborted === true) return undefined;
      const reason = new Error('closed by the resource guard: the tool call ended');
      const socket = sentOn.get(request);
      const alone = socket !== undefined && inFlight.get(socket) === 1 && !socket.destroyed;
      if (alone && (socket as { alpnProtocol?: unknown }).alpnProtocol !== 'h2') {
        const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
        // undici listens for the socket's 'error': it fails the request with this reason.
        socket.destroy(reason);
        return closed;
      }
      if (typeof request.abort === 'function') request.abort(reason);
      return undefined;
    },
    isClosed: () => request.completed === true || request.aborted === true,
    isShared: () => typeof request.abort !== 'function' && request.completed !== true && request.aborted !== true,
  };
}

function attributeRequest(request: UndiciRequest & object, call?: TrackedCall): void {
  attribute(request, 'socket', undiciCloser(request), `fetch ${String(request.origin ?? '')}`, call);
}

/**
 * Installs the network probe; returns the function that uninstalls it.
 *
 * @returns uninstall
 */
export function installNetProbe(): () => void {
  const subscriptions: [string, (message: unknown) => void][] = [
    ['net.client.socket', (message) => attributeClientSocket((message as { socket: net.Socket }).socket, 'tcp client')],
    ['net.server.socket', (message) => attributeSocket((message as { socket: net.Socket }).socket, 'tcp accepted')],
    [
      'http.client.request.start',
      (message) => {
        const { request } = message as { request: ClientRequest };
        const call = currentCall();
        if (call === undefined) return;
        if (attribute(request, 'socket', requestCloser(request), 'http request', call)) {
          request.once('close', () => release(request));
          // A response read to its end is done, though the request's 'close' comes a turn later.
          request.once('response', (response: NodeJS.EventEmitter) => response.once('end', () => release(request)));
          // The request, not its socket, is the call's connection: the socket may return to a keep-alive pool.
          const adopt = (socket: net.Socket): void => {
            if (ownerOf(socket) === call) release(socket);
          };
          if (request.socket) adopt(request.socket);
          else request.once('socket', adopt);
        }
      },
    ],
    ['undici:request:create', (message) => attributeRequest((message as { request: UndiciRequest & object }).request)],
    ['undici:client:sendHeaders', requestSent],
    ['undici:request:trailers', requestDone],
    ['undici:request:error', requestDone],
    // A socket undici connects belongs to its pool, not to the call that caused the connection.
    [
      'undici:client:beforeConnect',
      (message) => {
        const { connectParams } = message as { connectParams?: { port?: unknown } };
        poolConnect = { asyncId: executionAsyncId(), port: String(connectParams?.port ?? '') };
        // A connector that creates its socket later: released at `undici:client:connected`.
        queueMicrotask(poolConnectEnded);
      },
    ],
    // A custom connector may create its socket later: released once undici reports it connected.
    ['undici:client:connected', (message) => release((message as { socket: object }).socket)],
    [
      'udp.socket',
      (message) => {
        const { socket } = message as { socket: DgramSocket };
        if (attribute(socket, 'udp', udpCloser(socket), 'udp')) socket.once('close', () => release(socket));
      },
    ],
  ];
  for (const [name, fn] of subscriptions) dc.subscribe(name, fn);

  // `new net.Socket().connect()` publishes no channel message: the prototype's connect sees it.
  const originalConnect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function connect(this: net.Socket, ...args: unknown[]) {
    attributeClientSocket(this, 'tcp client', portOf(args) ?? '');
    return (originalConnect as AnyFn).apply(this, args as never[]) as net.Socket;
  } as typeof originalConnect;

  const originalListen = net.Server.prototype.listen;
  net.Server.prototype.listen = function listen(this: net.Server, ...args: unknown[]) {
    if (attribute(this, 'server', serverCloser(this), 'server')) this.once('close', () => release(this));
    return (originalListen as AnyFn).apply(this, args as never[]) as net.Server;
  } as typeof originalListen;

  // Node 20 does not publish net.client.socket for tls.connect.
  const originalTlsConnect = tls.connect;
  const mutableTls = tls as unknown as Record<string, unknown>;
  mutableTls.connect = function connect(this: unknown, ...args: unknown[]) {
    const socket = (originalTlsConnect as AnyFn).apply(this, args as never[]) as tls.TLSSocket;
    attributeClientSocket(socket, 'tls client');
    return socket;
  };

  return () => {
    for (const [name, fn] of subscriptions) dc.unsubscribe(name, fn);
    net.Server.prototype.listen = originalListen;
    net.Socket.prototype.connect = originalConnect;
    mutableTls.connect = originalTlsConnect;
  };
}
