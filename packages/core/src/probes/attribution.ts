/** Which call owns a resource: attribution through the call context, release, detach, and shared code. */

import { callContextStorage } from '../call-context.js';
import type { HandleKind } from '../handle-kind.js';
import type { HandleCloser, TrackedHandle } from '../handle-registry.js';
import type { TrackedCall } from '../tool-call.js';

interface Ownership {
  readonly call: TrackedCall;
  readonly handle: TrackedHandle;
}

const owners = new WeakMap<object, Ownership>();

/**
 * The guarded call running the current code, if any (from any copy of this package that shares the
 * context storage).
 *
 * @returns the call, or undefined outside a call
 */
export function currentCall(): TrackedCall | undefined {
  const store = callContextStorage.getStore() as TrackedCall | undefined;
  return store !== undefined && typeof store.addHandle === 'function' ? store : undefined;
}

/**
 * Attributes a resource to the current call, if any.
 *
 * @param resource - the object that identifies the resource (a socket, a stream, a timer)
 * @param kind - its kind
 * @param closer - how to close it
 * @param label - a short description
 * @param call - the owner; defaults to the current call
 * @returns whether it was attributed
 */
export function attribute(
  resource: object,
  kind: HandleKind,
  closer: HandleCloser,
  label?: string,
  call: TrackedCall | undefined = currentCall(),
): boolean {
  if (call === undefined || owners.has(resource)) return false;
  owners.set(resource, { call, handle: call.addHandle(kind, closer, label) });
  return true;
}

/**
 * Forgets a resource that closed (or that another owner took over). Idempotent.
 *
 * @param resource - the resource
 * @returns the call that owned it, if any
 */
export function release(resource: object): TrackedCall | undefined {
  const ownership = owners.get(resource);
  if (ownership === undefined) return undefined;
  owners.delete(resource);
  ownership.call.releaseHandle(ownership.handle);
  return ownership.call;
}

/**
 * The call a resource is attributed to.
 *
 * @param resource - the resource
 * @returns its owner, if any
 */
export function ownerOf(resource: object): TrackedCall | undefined {
  return owners.get(resource)?.call;
}

/**
 * Detaches a resource from the call that opened it: it is no longer counted against the call, and the
 * call's cleanup will not close it. Use it for resources a call creates on behalf of the whole server
 * (a connection pool, a cache) — or create them inside {@link runShared}.
 *
 * @param resource - a socket, server, stream, FileHandle, timer, child process, worker or watcher
 * @returns whether it was attributed to a call
 * @example
 * ```ts
 * import { createServer, type Server } from 'node:http';
 * import { detach } from '@mcp-resource-guard/core';
 * let callbackServer: Server | undefined;
 * // Inside a tool: the first call starts a local server that serves every later call.
 * function ensureCallbackServer(): Server {
 *   if (callbackServer === undefined) {
 *     callbackServer = createServer((_req, res) => res.end('ok')).listen(0, '127.0.0.1');
 *     detach(callbackServer); // not this call's: neither counted against it nor closed by its cleanup
 *   }
 *   return callbackServer;
 * }
 * ```
 */
export function detach(resource: object): boolean {
  return release(resource) !== undefined;
}

/**
 * Runs `fn` outside any call: whatever it opens belongs to no call and no call's cleanup closes it.
 * Use it to create shared resources lazily from inside a tool (a pool, a cache, a client).
 *
 * @param fn - the code that creates shared resources
 * @returns what `fn` returns
 * @example
 * ```ts
 * import { Worker } from 'node:worker_threads';
 * import { runShared } from '@mcp-resource-guard/core';
 * let pool: Worker[] | undefined;
 * // Inside a tool: the worker pool is created lazily, outside any call, and serves every call.
 * const workers = runShared(() => (pool ??= Array.from({ length: 4 }, () => new Worker('./hash-worker.js'))));
 * ```
 */
export function runShared<T>(fn: () => T): T {
  return callContextStorage.exit(fn);
}
