/** `resourceMiddleware()`: the guard as a tool-call middleware, and the handle to its state. */

import {
  CALL_STOPPED,
  type CallOutcome,
  CallRefused,
  createResourceGuard,
  ErrorCode,
  type GuardEvents,
  type GuardSnapshot,
  type ResourceGuard,
  ResourceGuardError,
  type ResourceGuardOptions,
  type ToolCall,
} from '@mcp-resource-guard/core';
import { tryAdmit } from '@mcp-resource-guard/core/internal';
import { guardErrorResult, stoppedResult } from './client-message.js';
import { taskRuntimeOf } from './middleware-server.js';
import { TaskCalls } from './task-call.js';
import { TaskStoreWatch } from './task-store-watch.js';
import type { MiddlewareServer, ToolCallMiddleware } from './tool-call-middleware.js';
import type { ToolCallResult } from './tool-call-result.js';
import { ToolLifecycleBridge } from './tool-lifecycle-bridge.js';

/**
 * Options of {@link resourceMiddleware}: the guard's options (limits, per-tool overrides, ...).
 *
 * @example
 * ```ts
 * import { type ResourceMiddlewareOptions, resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const options: ResourceMiddlewareOptions = {
 *   limits: {
 *     perCall: { maxExecutionTimeMs: 30_000, maxFileHandles: 64 },
 *     perSession: { maxNetworkConnections: 50 },
 *   },
 *   tools: { heavy_report: { perCall: { maxMemoryMb: 512, maxExecutionTimeMs: 120_000 } } },
 * };
 * const guard = resourceMiddleware(options);
 * ```
 */
export interface ResourceMiddlewareOptions extends ResourceGuardOptions {
  /** Use this guard instead of creating one (share one guard between several middleware stacks). */
  readonly guard?: ResourceGuard;
}

/**
 * The middleware returned by {@link resourceMiddleware}: pass it to `server.use()`; keep it to read the
 * guard's state, subscribe to its events and close it.
 *
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { type ResourceMiddleware, resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const guard: ResourceMiddleware = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * const server = withMiddleware(new McpServer({ name: 'search', version: '1.0.0' })).use(guard);
 * guard.on('call', (r) => console.error(r.toolName, r.outcome, r.usage.executionTimeMs));
 * process.on('SIGTERM', async () => {
 *   console.error(guard.snapshot().tools);
 *   await guard.close();
 *   await server.close();
 * });
 * ```
 */
export interface ResourceMiddleware extends ToolCallMiddleware {
  /** The guard this middleware feeds. */
  readonly guard: ResourceGuard;
  /**
   * A point-in-time copy of the guard's state.
   *
   * @returns the snapshot
   */
  snapshot(): GuardSnapshot;
  /**
   * Subscribes to a guard event.
   *
   * @param event - the event name
   * @param listener - the listener
   * @returns a function that unsubscribes
   */
  on<K extends keyof GuardEvents>(event: K, listener: (payload: GuardEvents[K]) => void): () => void;
  /**
   * Declares a resource shared by the whole server (a pool, a client, a cache): never counted against a call
   * nor closed by a call's cleanup; closed by {@link ResourceMiddleware.close}. See `ResourceGuard.share`.
   *
   * @param resource - a server, socket, child process, worker, FileHandle, stream, or anything disposable
   * @returns the same resource
   */
  share<T extends object>(resource: T): T;
  /**
   * Stops calls in flight and stops tracking.
   *
   * @returns a promise that settles when the guard is closed
   */
  close(): Promise<void>;
}

/** Marks a resource middleware, from any copy of this package. */
const RESOURCE_MIDDLEWARE = Symbol.for('@mcp-resource-guard/resource-middleware');

/**
 * Whether a middleware is a `resourceMiddleware()` (from any copy of this package).
 *
 * @param middleware - a middleware
 * @returns true for a resource middleware
 */
export function isResourceMiddleware(middleware: ToolCallMiddleware): boolean {
  return (middleware as unknown as Record<symbol, unknown>)[RESOURCE_MIDDLEWARE] === true;
}

function outcomeOf(result: ToolCallResult, sdkSignal: AbortSignal): CallOutcome {
  if (sdkSignal.aborted) return 'cancelled';
  return result.isError === true ? 'tool_error' : 'ok';
}

/** A tool its owner disabled or removed is the SDK's to refuse, exactly as it would without the guard. */
function ownerRefusal({ refusal }: CallRefused): boolean {
  return refusal.cause === 'owner' || refusal.cause === 'removed';
}

/**
 * Creates the resource guard as a tool-call middleware. Every call is tracked from the moment the
 * middleware sees it to the moment its result (or error) leaves; the tool runs inside the call's
 * context, so `getCallContext()` works in it. Results pass through unchanged.
 *
 * @param options - limits and behaviour; validated here
 * @returns the middleware, which is also the guard's handle
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` for a bad option, with nothing created
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const server = withMiddleware(new McpServer({ name: 'x', version: '1.0.0' }));
 * const guard = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * server.use(guard);
 * ```
 */
export function resourceMiddleware(options: ResourceMiddlewareOptions = {}): ResourceMiddleware {
  const { guard: given, ...guardOptions } = options;
  const guard = given ?? createResourceGuard(guardOptions);

  const bridge = new ToolLifecycleBridge(guard);
  const taskCalls = new TaskCalls();

  const middleware = async function resourceGuard(ctx, next): Promise<ToolCallResult> {
    // A call of a tool the server does not know is the SDK's to refuse; it is not tracked.
    if (!ctx.server.isRegistered(ctx.toolName)) return next();
    // A task-augmented call on a server with a task runtime (SDK v1's experimental tasks) is answered with its task
    // at once while its work goes on: tracked until the task ends.
    const tasks = ctx.taskRequested ? taskRuntimeOf(ctx.server) : undefined;
    let watch: TaskStoreWatch | undefined;
    if (tasks !== undefined) {
      try {
        watch = TaskStoreWatch.of(tasks.store);
      } catch (error) {
        guard.reportInternalError('middleware:task-store', error);
      }
      // A task store the guard cannot follow: ending the call at its answer would close the task's work, so it
      // runs untracked, as without the guard.
      if (watch === undefined) return next();
    }
    const sdkSignal = ctx.sdkSignal;
    let call: ToolCall;
    try {
      // The context is the request an observer of the call reads (meta, protocol version, transport), lazily.
      const init = {
        toolName: ctx.toolName,
        sessionId: ctx.sessionId,
        requestId: ctx.requestId,
        signal: sdkSignal,
        request: ctx,
      };
      call = tryAdmit(guard, init) ?? (await guard.admit(init));
    } catch (error) {
      if (CallRefused.is(error)) return ownerRefusal(error) ? next() : guardErrorResult(error);
      // Tracking never breaks a call: a closed or failing guard lets it run untracked.
      if (!(ResourceGuardError.is(error) && error.code === ErrorCode.GuardClosed)) {
        guard.reportInternalError('middleware:admit', error);
      }
      return next();
    }
    ctx.useSignal(() => call.signal);
    if (watch !== undefined && tasks !== undefined) return taskCalls.run(guard, call, tasks, watch, ctx.server, next);
    // When the client cancels or the transport closes, the SDK sends no answer: the guard's sampler sees
    // the aborted transport signal and stops the call, which ends and is cleaned up here.
    // Undefined once the guard stopped the call: core decides a stopped call's outcome from its cause.
    let outcome: CallOutcome | undefined = 'thrown';
    let thrown: unknown;
    let stopped = false;
    try {
      const result = await call.runUntilStopped(next);
      if (result === CALL_STOPPED) {
        stopped = true;
        outcome = undefined;
        return stoppedResult(call.stopReason);
      }
      outcome = outcomeOf(result, sdkSignal);
      return result;
    } catch (error) {
      outcome = sdkSignal.aborted ? 'cancelled' : 'thrown';
      thrown = error;
      throw error;
    } finally {
      try {
        call.end(outcome, thrown);
        // What a call holds is closed before its answer leaves; a stopped call is answered at once, and its
        // cleanup (a close may wait on a read blocked in the thread pool) goes on after, reported as usual.
        if (!stopped) await call.settled;
      } catch (error) {
        guard.reportInternalError('middleware:end', error);
      }
    }
  } as ToolCallMiddleware;

  Object.defineProperty(middleware, RESOURCE_MIDDLEWARE, { value: true });
  return Object.assign(middleware, {
    onInstall: (server: MiddlewareServer): void => {
      bridge.attach(server);
      // The task store's own work (its retention timers) is the server's from the start, whichever call runs it.
      const tasks = taskRuntimeOf(server);
      try {
        if (tasks !== undefined) TaskStoreWatch.of(tasks.store);
      } catch (error) {
        guard.reportInternalError('middleware:task-store', error);
      }
      server.onClose((sessionId) => {
        if (sessionId === undefined) taskCalls.serverClosed(server);
      });
    },
    guard,
    snapshot: (): GuardSnapshot => guard.snapshot(),
    on: <K extends keyof GuardEvents>(event: K, listener: (payload: GuardEvents[K]) => void): (() => void) =>
      guard.on(event, listener),
    share: <T extends object>(resource: T): T => guard.share(resource),
    close: (): Promise<void> => guard.close(),
  });
}
