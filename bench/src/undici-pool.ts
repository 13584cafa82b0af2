/**
 * The connections undici's pool holds (the process's, not any call's), counted apart in the soak's readings.
 *
 * When a tool aborts its own `fetch` while the response is under way, undici (Node 20 and 24) keeps the
 * connection in its pool, while the server still works on the aborted request: `closeIdleConnections()` at the
 * server skips it, and it stays open, unref'd, until undici's keep-alive timeout (up to the server's hint, a
 * minute with the soak's peer). The guard rightly leaves it alone: the pool's sockets are never a call's.
 */

import dc from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/** The sockets undici connected that are still open. */
export interface UndiciPoolWatch {
  /** How many are open now. */
  open(): number;
  /** Stops watching. */
  close(): void;
}

/**
 * Watches the connections undici makes (`undici:client:connected`) until they close.
 *
 * @returns the watch
 */
export function watchUndiciPool(): UndiciPoolWatch {
  const sockets = new Set<Socket>();
  const onConnected = (message: unknown): void => {
    const { socket } = message as { socket: Socket };
    if (socket.destroyed) return;
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  };
  dc.subscribe('undici:client:connected', onConnected);
  return {
    open: () => {
      let n = 0;
      for (const socket of sockets) if (!socket.destroyed) n++;
      return n;
    },
    close: () => dc.unsubscribe('undici:client:connected', onConnected),
  };
}
