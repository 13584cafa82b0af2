/** The per-call AsyncLocalStorage: which tool call is running the current code. */

import { AsyncLocalStorage } from 'node:async_hooks';
import { ErrorCode, ResourceGuardError } from './errors.js';
import type { HandleKind } from './handle-kind.js';
import type { ResourceUsage } from './resource-usage.js';

/**
 * Something a tool can ask the guard to dispose of when the call ends: anything with
 * `[Symbol.asyncDispose]`, `[Symbol.dispose]`, `close()` or `destroy()`.
 *
 * @example
 * ```ts
 * import { BroadcastChannel } from 'node:worker_threads';
 * import { type Disposable, getCallContext } from '@mcp-resource-guard/core';
 * // Inside a tool: a resource no probe knows about, closed when the call ends if still open.
 * const channel: Disposable = getCallContext().track(new BroadcastChannel('progress'), { label: 'progress' });
 * ```
 */
export type Disposable =
  | { [Symbol.asyncDispose](): PromiseLike<void> }
  | { [Symbol.dispose](): void }
  | { close(): unknown }
  | { destroy(): unknown };

/**
 * Options of {@link CallContext.track}.
 *
 * @example
 * ```ts
 * import { connect } from 'node:http2';
 * import { getCallContext, type TrackOptions } from '@mcp-resource-guard/core';
 * // Inside a tool: close the HTTP/2 session in the cleanup's network step.
 * const options: TrackOptions = { kind: 'socket', label: 'api.example.com' };
 * const session = getCallContext().track(connect('https://api.example.com'), options);
 * ```
 */
export interface TrackOptions {
  /** Which cleanup step disposes of it (and which count it adds to). Default `custom` (the memory step). */
  readonly kind?: HandleKind;
  /** A short description for reports. */
  readonly label?: string;
}

/**
 * What code running inside a tool call can learn about, and do within, that call.
 *
 * @example
 * ```ts
 * import { getCallContext } from '@mcp-resource-guard/core';
 * async function inTool() {
 *   const ctx = getCallContext();
 *   const res = await fetch('http://127.0.0.1:8080', { signal: ctx.signal });
 *   console.error(ctx.toolName, ctx.usage().executionTimeMs);
 * }
 * ```
 */
export interface CallContext {
  /** Unique id of this call within the process. */
  readonly callId: string;
  /** The name of the tool being called. */
  readonly toolName: string;
  /** The MCP session the call belongs to, if the transport has sessions. */
  readonly sessionId: string | undefined;
  /** Aborted when the client cancels, the session closes, or the guard stops the call; `reason` says which. */
  readonly signal: AbortSignal;
  /** What the call has used so far. */
  usage(): ResourceUsage;
  /**
   * The call's own temp directory (created owner-only on first use, measured against
   * `maxTempStorageMb`, removed when the call ends).
   */
  tempDir(): string;
  /**
   * Asks the guard to dispose of `resource` when the call ends, if it is still tracked then.
   *
   * @param resource - anything with `[Symbol.asyncDispose]`, `[Symbol.dispose]`, `close()` or `destroy()`
   * @param options - its kind (which cleanup step) and a label
   * @returns the same resource
   */
  track<T extends Disposable>(resource: T, options?: TrackOptions): T;
  /**
   * Stops tracking a resource given to `track()` (you closed it yourself).
   *
   * @param resource - the resource
   * @returns whether it was tracked
   */
  untrack(resource: Disposable): boolean;
}

const storageKey = Symbol.for('@mcp-resource-guard/call-context-storage');
type GlobalWithStorage = typeof globalThis & { [storageKey]?: AsyncLocalStorage<CallContext> };

function sharedStorage(): AsyncLocalStorage<CallContext> {
  const holder = globalThis as GlobalWithStorage;
  const existing = holder[storageKey];
  if (existing !== undefined) return existing;
  const created = new AsyncLocalStorage<CallContext>();
  holder[storageKey] = created;
  return created;
}

/**
 * The one AsyncLocalStorage holding the running call. It lives on `globalThis` under a registered
 * symbol so that two installed copies of this package still share it.
 */
export const callContextStorage: AsyncLocalStorage<CallContext> = sharedStorage();

const guardsKey = Symbol.for('@mcp-resource-guard/guards-created');
type GlobalWithGuards = typeof globalThis & { [guardsKey]?: number };

/** Notes that a guard was created in this process (any copy of this package), for `getCallContext()`'s error. */
export function noteGuardCreated(): void {
  const holder = globalThis as GlobalWithGuards;
  holder[guardsKey] = (holder[guardsKey] ?? 0) + 1;
}

function anyGuardCreated(): boolean {
  return ((globalThis as GlobalWithGuards)[guardsKey] ?? 0) > 0;
}

/**
 * The context of the tool call running the current code.
 *
 * @returns the running call's context
 * @throws {@link ResourceGuardError} with code `NO_CALL_CONTEXT` outside a tool call
 * @example
 * ```ts
 * import { getCallContext } from '@mcp-resource-guard/core';
 * const { toolName, signal } = getCallContext();
 * ```
 */
export function getCallContext(): CallContext {
  const ctx = callContextStorage.getStore();
  if (ctx === undefined) {
    // No guard in the process: the server's tool handlers run untracked, and no call can have a context.
    if (!anyGuardCreated()) {
      throw new ResourceGuardError({
        code: ErrorCode.NoCallContext,
        message: 'No resource guard tracks this call: is resourceMiddleware() installed?',
        hint: 'Install it on the server (server.use(resourceMiddleware())), or use tryGetCallContext() where a guard may be absent.',
      });
    }
    throw new ResourceGuardError({
      code: ErrorCode.NoCallContext,
      message: 'getCallContext() was called outside a tool call',
      hint: 'Call it from code that a guarded tool handler runs, or use tryGetCallContext() where a call may be absent.',
    });
  }
  return ctx;
}

/**
 * The context of the tool call running the current code, or `undefined` outside a call.
 *
 * @returns the running call's context, if any
 * @example
 * ```ts
 * import { tryGetCallContext } from '@mcp-resource-guard/core';
 * const ctx = tryGetCallContext();
 * if (ctx) console.error(`in ${ctx.toolName}`);
 * ```
 */
export function tryGetCallContext(): CallContext | undefined {
  return callContextStorage.getStore();
}
