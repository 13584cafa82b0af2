/** The client side of the peer process (peer-process.ts): its ports, and asking it to connect to us. */

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { PeerCommand, PeerMessage } from './peer-process.js';

const PEER_SCRIPT = fileURLToPath(new URL('./peer-process.js', import.meta.url));

/** A running peer. */
export interface Peer {
  /** HTTP server: `/ok`, `/slow` (never finishes its body), `/hang` (never answers). */
  readonly httpPort: number;
  /** TCP server that accepts and holds connections. */
  readonly tcpPort: number;
  /** TLS server that accepts and holds connections (self-signed for `localhost`), or null without openssl. */
  readonly tlsPort: number | null;
  /** The TLS server's certificate (PEM), to trust it. */
  readonly ca: string | null;
  /**
   * Asks the peer to open a TCP connection to a port of ours, and waits until it is connected.
   *
   * @param port - our listening port on 127.0.0.1
   */
  connectTo(port: number): Promise<void>;
  /**
   * Asks the peer to close its idle keep-alive HTTP connections (it keeps them 60 s), so that the client
   * pools in this process let theirs go: a reading taken afterwards does not count them.
   */
  closeIdleConnections(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Forks the peer and waits until it listens. Call it outside any guarded call.
 *
 * @returns the peer
 */
export function startPeer(): Promise<Peer> {
  const child: ChildProcess = fork(PEER_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: () => void; reject: (error: Error) => void }>();
  let nextId = 0;
  const ask = (command: PeerCommand): Promise<void> =>
    new Promise<void>((done, fail) => {
      pending.set(command.id, { resolve: done, reject: fail });
      child.send(command);
    });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the peer exited (${code}) before it was ready`)));
    child.on('message', (message: PeerMessage) => {
      if (message.type === 'reply') {
        const waiter = pending.get(message.id);
        pending.delete(message.id);
        if (message.ok) waiter?.resolve();
        else waiter?.reject(new Error(`the peer failed: ${message.error}`));
        return;
      }
      resolve({
        httpPort: message.http,
        tcpPort: message.tcp,
        tlsPort: message.tls,
        ca: message.ca,
        connectTo: (port) => ask({ type: 'connect', id: ++nextId, port }),
        closeIdleConnections: () => ask({ type: 'closeIdle', id: ++nextId }),
        close() {
          return new Promise<void>((done) => {
            if (child.exitCode !== null || child.signalCode !== null) {
              done();
              return;
            }
            child.once('exit', () => done());
            child.disconnect();
          });
        },
      });
    });
  });
}
