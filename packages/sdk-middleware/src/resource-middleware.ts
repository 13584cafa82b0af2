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
  type StartCallInit,
  type ToolCall,
} from '@mcp-resource-guard/core';
import { cleanupPending, tryAdmit } from '@mcp-resource-guard/core/internal';
import { guardErrorResult, stoppedResult } from './client-message.js';
import { type TaskRuntime, taskRuntimeOf } from './middleware-server.js';
import { TaskCalls } from './task-call.js';
import { TaskStoreWatch } from './task-store-watch.js';
import type { MiddlewareServer, ToolCallContext, ToolCallMiddleware } from './tool-call-middleware.js';
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

  /** Tracking never breaks a call: a refused call gets the guard's answer, a closed or failing guard lets it run. */
  const unadmitted = (error: unknown, next: () => Promise<ToolCallResult>): Promise<ToolCallResult> => {
    if (CallRefused.is(error)) return ownerRefusal(error) ? next() : Promise.resolve(guardErrorResult(error));
    if (!(ResourceGuardError.is(error) && error.code === ErrorCode.GuardClosed)) {
      guard.reportInternalError('middleware:admit', error);
    }
    return next();
  };

  /**
   * Ends the call; what it holds is closed before its answer leaves. Undefined `outcome`: the guard stopped the
   * call, and core decides its outcome from the cause.
   *
   * @returns the cleanup to wait for, if the call left one
   */
  const end = (call: ToolCall, outcome: CallOutcome | undefined, thrown?: unknown): Promise<unknown> | undefined => {
    try {
      call.end(outcome, thrown);
      if (!cleanupPending(call)) return undefined;
      return call.settled.then(undefined, (error: unknown) => guard.reportInternalError('middleware:end', error));
    } catch (error) {
      guard.reportInternalError('middleware:end', error);
      return undefined;
    }
  };

  const run = (
    ctx: ToolCallContext,
    next: () => Promise<ToolCallResult>,
    call: ToolCall,
    tasks: TaskRuntime | undefined,
    watch: TaskStoreWatch | undefined,
  ): Promise<ToolCallResult> => {
    ctx.useSignal(() => call.signal);
    if (watch !== undefined && tasks !== undefined) return taskCalls.run(guard, call, tasks, watch, ctx.server, next);
    // When the client cancels or the transport closes, the SDK sends no answer: the guard's sampler sees
    // the aborted transport signal and stops the call, which ends and is cleaned up here.
    const sdkSignal = ctx.sdkSignal;
    return call.runUntilStopped(next).then(
      (result) => {
        if (result === CALL_STOPPED) {
          // A stopped call is answered at once, and its cleanup (a close may wait on a read blocked in the
          // thread pool) goes on after, reported as usual.
          const answer = stoppedResult(call.stopReason);
          end(call, undefined);
          return answer;
        }
        const cleanup = end(call, outcomeOf(result, sdkSignal));
        return cleanup === undefined ? result : cleanup.then(() => result);
      },
      (error: unknown) => {
        const cleanup = end(call, sdkSignal.aborted ? 'cancelled' : 'thrown', error);
        if (cleanup === undefined) throw error;
        return cleanup.then(() => {
          throw error;
        });
      },
    );
  };

  const admitThenRun = async (
    ctx: ToolCallContext,
    next: () => Promise<ToolCallResult>,
    init: StartCallInit,
    tasks: TaskRuntime | undefined,
    watch: TaskStoreWatch | undefined,
  ): Promise<ToolCallResult> => {
    let call: ToolCall;
    try {
      call = await guard.admit(init);
    } catch (error) {
      return unadmitted(error, next);
    }
    return run(ctx, next, call, tasks, watch);
  };

  // Not an async function: a call admitted at once runs with no promise of the middleware's own but the one
  // its end is chained on.
  const middleware = function resourceGuard(ctx, next): Promise<ToolCallResult> {
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
    // The context is the request an observer of the call reads (meta, protocol version, transport), lazily.
    const init = {
      toolName: ctx.toolName,
      sessionId: ctx.sessionId,
      requestId: ctx.requestId,
      signal: ctx.sdkSignal,
      request: ctx,
    };
    let call: ToolCall | undefined;
    try {
      call = tryAdmit(guard, init);
    } catch (error) {
      return unadmitted(error, next);
    }
    if (call === undefined) return admitThenRun(ctx, next, init, tasks, watch);
    return run(ctx, next, call, tasks, watch);
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
