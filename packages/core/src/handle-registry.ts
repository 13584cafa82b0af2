/** What one call holds open, in open order, with live counts of files and connections. */

import { countsAsFile, countsAsNetwork, type HandleKind } from './handle-kind.js';

/**
 * How the guard closes one handle, and tells whether it is closed.
 *
 * @example
 * ```ts
 * import { connect } from 'node:net';
 * import { HandleRegistry, type HandleCloser } from '@mcp-resource-guard/core/internal';
 * const socket = connect(6379, '127.0.0.1');
 * const closer: HandleCloser = {
 *   close: () => {
 *     socket.end();
 *   },
 *   forceClose: () => {
 *     socket.destroy();
 *   },
 *   isClosed: () => socket.destroyed,
 * };
 * new HandleRegistry().add('socket', closer, 'redis');
 * ```
 */
export interface HandleCloser {
  /** Closes gracefully; may return a promise that settles when closed. */
  close(): void | Promise<void>;
  /** Closes at once, when the graceful close did not finish within the grace period. */
  forceClose?(): void | Promise<void>;
  /** Whether the handle is closed now. */
  isClosed(): boolean;
  /**
   * Whether the handle, though opened by the call, is not the call's to close (an unref'd timer, a
   * socket idle in a keep-alive pool). Asked when the call ends: shared handles are released, not closed.
   */
  isShared?(): boolean;
}

/**
 * One handle held by a call.
 *
 * @example
 * ```ts
 * import { HandleRegistry, type TrackedHandle, timerCloser } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * let pending = true;
 * const timer = setTimeout(() => (pending = false), 1000);
 * const handle: TrackedHandle = registry.add('timer', timerCloser(() => clearTimeout(timer), () => pending), 'retry');
 * console.error(handle.kind, handle.label, handle.closer.isClosed()); // 'timer' 'retry' false
 * ```
 */
export interface TrackedHandle {
  readonly kind: HandleKind;
  /** A short description for reports (a path, an address, a pid); never user data beyond that. */
  readonly label: string | undefined;
  readonly closer: HandleCloser;
}

/**
 * The handles one call holds, in the order they were opened. O(1) to add and release.
 *
 * @example
 * ```ts
 * import { connect } from 'node:net';
 * import { HandleRegistry, socketCloser } from '@mcp-resource-guard/core/internal';
 * const registry = new HandleRegistry();
 * const socket = connect(6379, '127.0.0.1');
 * const handle = registry.add('socket', socketCloser(socket), 'redis');
 * registry.networkConnections; // 1
 * socket.once('close', () => registry.release(handle)); // it closed on its own: forget it
 * ```
 */
export class HandleRegistry {
  readonly #open = new Set<TrackedHandle>();
  #files = 0;
  #network = 0;
  /** Immediates scheduled and not yet run, counted but not tracked one by one (see the timer probe). */
  #immediates = 0;

  /** Files and watchers open now. */
  get fileHandles(): number {
    return this.#files;
  }

  /** Sockets, servers and UDP sockets open now. */
  get networkConnections(): number {
    return this.#network;
  }

  /** How many handles are open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * Records a handle the call opened.
   *
   * @param kind - what it is
   * @param closer - how to close it
   * @param label - a short description for reports
   * @returns the tracked handle, to release when it closes
   */
  add(kind: HandleKind, closer: HandleCloser, label?: string): TrackedHandle {
    const handle: TrackedHandle = { kind, label, closer };
    this.#open.add(handle);
    if (countsAsFile(kind)) this.#files++;
    else if (countsAsNetwork(kind)) this.#network++;
    return handle;
  }

  /**
   * Forgets a handle: it closed, or it no longer belongs to the call. Idempotent.
   *
   * @param handle - the handle
   * @returns whether it was held
   */
  release(handle: TrackedHandle): boolean {
    if (!this.#open.delete(handle)) return false;
    if (countsAsFile(handle.kind)) this.#files--;
    else if (countsAsNetwork(handle.kind)) this.#network--;
    return true;
  }

  /**
   * Whether the registry holds this handle.
   *
   * @param handle - the handle
   * @returns true while held
   */
  has(handle: TrackedHandle): boolean {
    return this.#open.has(handle);
  }

  /** @returns the open handles, oldest first */
  list(): TrackedHandle[] {
    return [...this.#open];
  }

  /**
   * Counts an immediate scheduled (+1) or run or cleared (-1) without tracking it: it runs on the next turn of
   * the loop anyway, and is never the call's to close (unlike a self-rescheduling chain, tracked as a handle).
   *
   * @param delta - +1 or -1
   */
  countImmediate(delta: 1 | -1): void {
    this.#immediates = Math.max(0, this.#immediates + delta);
  }

  /** Forgets the counted immediates (the call ended: they leave with it, untouched). */
  dropCountedImmediates(): void {
    this.#immediates = 0;
  }

  /** @returns the open handles counted by kind, counted immediates included */
  countByKind(): Partial<Record<HandleKind, number>> {
    const counts: Partial<Record<HandleKind, number>> = {};
    for (const { kind } of this.#open) counts[kind] = (counts[kind] ?? 0) + 1;
    if (this.#immediates > 0) counts.immediate = (counts.immediate ?? 0) + this.#immediates;
    return counts;
  }
}
