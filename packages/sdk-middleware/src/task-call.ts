/**
 * A task-augmented call (SDK v1's experimental tasks): answered with its task at once while its work goes on, it is
 * tracked as one call from the request to the task's terminal status, or the end of the task's TTL.
 */

import {
  CALL_STOPPED,
  type CallOutcome,
  ErrorCode,
  type ResourceGuard,
  ResourceGuardError,
  type ToolCall,
} from '@mcp-resource-guard/core';
import { clientMessage, stoppedResult } from './client-message.js';
import type { TaskRuntime } from './middleware-server.js';
import type { TaskFollower, TaskStoreWatch, TerminalStatus } from './task-store-watch.js';
import type { ToolCallResult } from './tool-call-result.js';

/** The task a `tools/call` was answered with, if it was (a `CreateTaskResult`). */
interface CreatedTask {
  readonly taskId: string;
  readonly ttl?: number | null;
  readonly createdAt?: string;
  readonly status?: string;
}

function createdTaskOf(result: ToolCallResult): CreatedTask | undefined {
  const task = result.task as CreatedTask | undefined;
  return typeof task === 'object' && task !== null && typeof task.taskId === 'string' ? task : undefined;
}

/** When the task expires (epoch milliseconds), if it has a TTL. */
function expiryOf(task: CreatedTask, now: number): number | undefined {
  if (typeof task.ttl !== 'number' || !(task.ttl > 0)) return undefined;
  const created = task.createdAt === undefined ? Number.NaN : Date.parse(task.createdAt);
  return (Number.isFinite(created) ? created : now) + task.ttl;
}

function taskCancelledError(taskId: string, message: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.TaskCancelled,
    message,
    hint: 'Nothing to do: the client withdrew the task; what its work held is being closed.',
    value: taskId,
  });
}

function taskExpiredError(taskId: string, ttlMs: number): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.TaskExpired,
    message: `The task ${taskId} outlived its TTL of ${ttlMs} ms and was stopped`,
    hint: 'Ask for a longer TTL in the request (params.task.ttl), or make the work shorter.',
    value: ttlMs,
    data: { taskId, ttlMs },
  });
}

/** The task calls in flight of one middleware, by server (to stop those of a server whose transport closes). */
export class TaskCalls {
  readonly #byServer = new Map<object, Set<TaskCall>>();

  /**
   * Runs a task-augmented call: the SDK's handler creates the task and answers with it; the call goes on until the
   * task ends.
   *
   * @param guard - the guard (for its internal-error reporting)
   * @param call - the admitted call
   * @param runtime - the server's task store and notifications
   * @param watch - the watch of the server's task store
   * @param server - the server (its transport's close stops its sessionless task calls)
   * @param next - the rest of the chain: the SDK's handler
   * @returns the SDK's answer: the task, or (for a handler that did not make one) its result
   */
  async run(
    guard: ResourceGuard,
    call: ToolCall,
    runtime: TaskRuntime,
    watch: TaskStoreWatch,
    server: object,
    next: () => Promise<ToolCallResult>,
  ): Promise<ToolCallResult> {
    let created: string | undefined;
    const stopExpecting = watch.expectCreation(call, (taskId) => {
      created ??= taskId;
    });
    let result: ToolCallResult | typeof CALL_STOPPED;
    try {
      result = await call.runUntilStopped(next);
    } catch (error) {
      if (created !== undefined) watch.unfollow(created);
      endQuietly(guard, call, 'thrown');
      throw error;
    } finally {
      stopExpecting();
    }
    if (result === CALL_STOPPED) {
      // Stopped before the task was answered: the answer is the guard's error, and a task made meanwhile fails too.
      const reason = call.stopReason;
      if (created !== undefined) void failTask(guard, watch, runtime, created, call.sessionId, reason);
      endQuietly(guard, call, undefined);
      return stoppedResult(reason);
    }
    const task = createdTaskOf(result);
    if (task === undefined) {
      // The handler answered at once (a tool that does not make tasks): an ordinary call.
      if (created !== undefined) watch.unfollow(created);
      endQuietly(guard, call, result.isError === true ? 'tool_error' : 'ok');
      await call.settled;
      return result;
    }
    const taskCall = new TaskCall(guard, call, task.taskId, runtime, watch, () => this.#forget(server, taskCall));
    const calls = this.#byServer.get(server) ?? new Set<TaskCall>();
    this.#byServer.set(server, calls);
    calls.add(taskCall);
    taskCall.start(expiryOf(task, Date.now()), task.ttl ?? undefined);
    return result;
  }

  /**
   * A server's transport closed: its task calls without a session (stdio, in-memory) are stopped as cancelled
   * (those of a session are stopped when the guard ends the session).
   *
   * @param server - the server
   */
  serverClosed(server: object): void {
    const calls = this.#byServer.get(server);
    if (calls === undefined) return;
    for (const taskCall of [...calls]) taskCall.transportClosed();
  }

  #forget(server: object, taskCall: TaskCall): void {
    const calls = this.#byServer.get(server);
    calls?.delete(taskCall);
    if (calls?.size === 0) this.#byServer.delete(server);
  }
}

function endQuietly(guard: ResourceGuard, call: ToolCall, outcome: CallOutcome | undefined): void {
  try {
    call.end(outcome);
  } catch (error) {
    guard.reportInternalError('middleware:task-end', error);
  }
}

/**
 * Fails a task the guard stopped, in the store (status message and result say why), and tells the client with a
 * status notification. A task the store no longer has, or a closed transport, leaves nothing to tell.
 */
async function failTask(
  guard: ResourceGuard,
  watch: TaskStoreWatch,
  runtime: TaskRuntime,
  taskId: string,
  sessionId: string | undefined,
  reason: unknown,
): Promise<void> {
  const message = ResourceGuardError.is(reason) ? clientMessage(reason) : String(reason);
  let task: unknown;
  try {
    task = await watch.fail(taskId, sessionId, message, stoppedResult(reason));
  } catch (error) {
    guard.reportInternalError('middleware:task-fail', error);
    return;
  }
  if (task === undefined || task === null) return;
  // The client may be gone (a closed session): the store says why to whoever asks next.
  await runtime.notify({ method: 'notifications/tasks/status', params: task }).catch(() => {});
}

/** One task call in flight, after its task was answered. */
class TaskCall implements TaskFollower {
  readonly #guard: ResourceGuard;
  readonly #call: ToolCall;
  readonly #taskId: string;
  readonly #runtime: TaskRuntime;
  readonly #watch: TaskStoreWatch;
  readonly #forget: () => void;
  #timer: NodeJS.Timeout | undefined;
  #done = false;
  /** The call is being stopped by its own side (a cancel, an expiry), not by a limit. */
  #cancelling = false;

  constructor(
    guard: ResourceGuard,
    call: ToolCall,
    taskId: string,
    runtime: TaskRuntime,
    watch: TaskStoreWatch,
    forget: () => void,
  ) {
    this.#guard = guard;
    this.#call = call;
    this.#taskId = taskId;
    this.#runtime = runtime;
    this.#watch = watch;
    this.#forget = forget;
  }

  start(expiresAt: number | undefined, ttlMs: number | undefined): void {
    const call = this.#call;
    call.markTask(this.#taskId);
    if (call.signal.aborted) {
      this.#stopped();
      return;
    }
    call.signal.addEventListener('abort', () => this.#stopped(), { once: true });
    if (expiresAt !== undefined && ttlMs !== undefined) {
      this.#timer = setTimeout(() => this.#expire(ttlMs), Math.max(0, expiresAt - Date.now()));
      this.#timer.unref();
    }
    // Follow last: a task that ended before its answer left is told at once.
    this.#watch.follow(this.#taskId, this);
  }

  /** A terminal status was written to the task. */
  terminal(status: TerminalStatus, result: unknown): void {
    if (this.#done) return;
    if (status === 'cancelled') {
      this.#watch.end(this.#taskId);
      this.#cancel(taskCancelledError(this.#taskId, `The client cancelled the task ${this.#taskId}`));
      return;
    }
    const isError = (result as { isError?: unknown } | undefined)?.isError === true;
    this.#finish(status === 'completed' && !isError ? 'ok' : 'tool_error');
  }

  transportClosed(): void {
    if (this.#done || this.#call.sessionId !== undefined) return;
    this.#cancel(taskCancelledError(this.#taskId, `The connection closed while the task ${this.#taskId} ran`));
  }

  #expire(ttlMs: number): void {
    if (this.#done) return;
    const reason = taskExpiredError(this.#taskId, ttlMs);
    // A store that keeps expired tasks says why this one ended.
    void failTask(this.#guard, this.#watch, this.#runtime, this.#taskId, this.#call.sessionId, reason);
    this.#cancel(reason);
  }

  #cancel(reason: ResourceGuardError): void {
    this.#cancelling = true;
    this.#call.cancel(reason);
    // A call the guard had stopped already ends as stopped.
    this.#finish(undefined);
  }

  /** The call's signal aborted: the guard stopped it (a limit, an emergency, a deactivation, a session's end). */
  #stopped(): void {
    if (this.#done || this.#cancelling) return;
    const reason = this.#call.stopReason;
    if (reason === undefined) return;
    void failTask(this.#guard, this.#watch, this.#runtime, this.#taskId, this.#call.sessionId, reason);
    // Ended once the stop has been fully applied (this runs inside it): its outcome follows from its cause.
    this.#finish(undefined, true);
  }

  #finish(outcome: CallOutcome | undefined, deferred = false): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#watch.unfollow(this.#taskId);
    this.#forget();
    if (deferred) queueMicrotask(() => endQuietly(this.#guard, this.#call, outcome));
    else endQuietly(this.#guard, this.#call, outcome);
  }
}
