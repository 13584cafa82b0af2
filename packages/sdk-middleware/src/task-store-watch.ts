/**
 * A server's task store (SDK v1's experimental tasks), watched: its own work runs outside any call, the terminal
 * statuses written to it are reported, and writes to a task the guard ended are dropped.
 */

import { type CallContext, runShared, tryGetCallContext } from '@mcp-resource-guard/core';

/** The statuses that end a task. */
export type TerminalStatus = 'completed' | 'failed' | 'cancelled';

const TERMINAL: ReadonlySet<string> = new Set<TerminalStatus>(['completed', 'failed', 'cancelled']);

/** Whether a task status ends the task. */
export function isTerminal(status: unknown): status is TerminalStatus {
  return typeof status === 'string' && TERMINAL.has(status);
}

/** The methods of an SDK v1 `TaskStore` (every one optional here: a store is user code). */
type StoreMethod = (this: unknown, ...args: unknown[]) => Promise<unknown>;
type StoreMethods = Record<string, StoreMethod | undefined>;

/** Who follows one task: told when a terminal status is written to it. */
export interface TaskFollower {
  terminal(status: TerminalStatus, result: unknown): void;
}

const WATCH = Symbol.for('@mcp-resource-guard/task-store-watch');
/** How many ended tasks' ids are kept to drop late writes (their work may write once more after its stop). */
const ENDED_KEPT = 4096;

/**
 * One task store, watched. Created once per store ({@link TaskStoreWatch.of}); the store's methods are wrapped on
 * the instance:
 * - every method runs outside any call, so that what the store opens or schedules (a retention timer, a
 *   connection to its database) is the server's, never closed by a call's cleanup;
 * - `createTask` tells the call that created the task its id;
 * - a terminal status (`storeTaskResult`, or `updateTaskStatus` to `completed`, `failed`, `cancelled`, as
 *   `tasks/cancel` writes it) is reported to the task's follower once written;
 * - writes to a task the guard ended are dropped, so that its work, writing its result after its stop, does not
 *   throw at itself.
 */
export class TaskStoreWatch {
  readonly #store: StoreMethods;
  readonly #originals: StoreMethods = {};
  readonly #followers = new Map<string, TaskFollower>();
  /** Calls waiting for the id of the task they create. */
  readonly #creating = new Map<CallContext, (taskId: string) => void>();
  /** Terminal statuses written to a task created in a call before its follower came. */
  readonly #early = new Map<string, { status: TerminalStatus; result: unknown }>();
  readonly #unfollowed = new Set<string>();
  readonly #ended = new Set<string>();

  /**
   * The watch of a task store, created (and the store's methods wrapped) on first use.
   *
   * @param store - the server's task store
   * @returns the watch, or undefined for an object that is not a task store
   */
  static of(store: object): TaskStoreWatch | undefined {
    const marked = store as { [WATCH]?: TaskStoreWatch };
    const existing = marked[WATCH];
    if (existing !== undefined) return existing;
    const methods = store as StoreMethods;
    if (typeof methods.createTask !== 'function' || typeof methods.storeTaskResult !== 'function') return undefined;
    const watch = new TaskStoreWatch(methods);
    Object.defineProperty(store, WATCH, { value: watch });
    return watch;
  }

  private constructor(store: StoreMethods) {
    this.#store = store;
    const watch = this;
    const originals = this.#originals;
    for (const name of ['createTask', 'getTask', 'storeTaskResult', 'getTaskResult', 'updateTaskStatus', 'listTasks']) {
      const original = store[name];
      if (typeof original !== 'function') continue;
      originals[name] = original;
      store[name] = function shared(this: unknown, ...args: unknown[]): Promise<unknown> {
        return runShared(() => original.apply(this, args));
      };
    }
    const create = originals.createTask as StoreMethod;
    store.createTask = async function createTask(this: unknown, ...args: unknown[]): Promise<unknown> {
      const call = tryGetCallContext();
      const task = await runShared(() => create.apply(this, args));
      const taskId = (task as { taskId?: unknown } | null)?.taskId;
      if (call !== undefined && typeof taskId === 'string') watch.#creating.get(call)?.(taskId);
      return task;
    };
    const storeResult = originals.storeTaskResult as StoreMethod;
    store.storeTaskResult = async function storeTaskResult(this: unknown, ...args: unknown[]): Promise<void> {
      const [taskId, status, result] = args;
      if (typeof taskId === 'string' && watch.#ended.has(taskId)) return;
      await runShared(() => storeResult.apply(this, args));
      if (typeof taskId === 'string' && isTerminal(status)) watch.#terminal(taskId, status, result);
    };
    const update = originals.updateTaskStatus;
    if (update === undefined) return;
    store.updateTaskStatus = async function updateTaskStatus(this: unknown, ...args: unknown[]): Promise<void> {
      const [taskId, status] = args;
      if (typeof taskId === 'string' && watch.#ended.has(taskId)) return;
      await runShared(() => update.apply(this, args));
      if (typeof taskId === 'string' && isTerminal(status)) watch.#terminal(taskId, status, undefined);
    };
  }

  /**
   * Tells `onCreated` the id of each task created in `call`, until the returned function is called.
   *
   * @param call - the call about to run the tool's `createTask`
   * @param onCreated - told each task id
   * @returns stops telling
   */
  expectCreation(call: CallContext, onCreated: (taskId: string) => void): () => void {
    const creating = this.#creating;
    creating.set(call, (taskId) => {
      this.#unfollowed.add(taskId);
      onCreated(taskId);
    });
    return () => creating.delete(call);
  }

  /**
   * Follows a task: `follower` is told its terminal status (at once if it was written already).
   *
   * @param taskId - the task
   * @param follower - who is told
   */
  follow(taskId: string, follower: TaskFollower): void {
    this.#unfollowed.delete(taskId);
    const early = this.#early.get(taskId);
    if (early !== undefined) {
      this.#early.delete(taskId);
      follower.terminal(early.status, early.result);
      return;
    }
    this.#followers.set(taskId, follower);
  }

  /**
   * Stops following a task.
   *
   * @param taskId - the task
   */
  unfollow(taskId: string): void {
    this.#followers.delete(taskId);
    this.#unfollowed.delete(taskId);
    this.#early.delete(taskId);
  }

  /**
   * Ends a task for its work: its later writes are dropped.
   *
   * @param taskId - the task
   */
  end(taskId: string): void {
    this.unfollow(taskId);
    this.#ended.add(taskId);
    if (this.#ended.size > ENDED_KEPT) this.#ended.delete(this.#ended.values().next().value as string);
  }

  /**
   * Fails a task the guard stopped: its status message says why, its result is the guard's answer, and its work's
   * later writes are dropped. Written to the store directly (outside any call); a task the store no longer has, or
   * one already terminal, is left as it is.
   *
   * @param taskId - the task
   * @param sessionId - the session it belongs to (the store scopes tasks by session)
   * @param message - its status message
   * @param result - its result
   * @returns the task as stored after, or undefined when it was left as it was
   */
  async fail(taskId: string, sessionId: string | undefined, message: string, result: unknown): Promise<unknown> {
    this.end(taskId);
    const { getTask, updateTaskStatus, storeTaskResult } = this.#originals;
    if (getTask === undefined || storeTaskResult === undefined) return undefined;
    const store = this.#store;
    return runShared(async () => {
      const task = (await getTask.call(store, taskId, sessionId)) as { status?: unknown } | null;
      if (task === null || task === undefined || isTerminal(task.status)) return undefined;
      await updateTaskStatus?.call(store, taskId, 'working', message, sessionId);
      await storeTaskResult.call(store, taskId, 'failed', result, sessionId);
      return getTask.call(store, taskId, sessionId);
    });
  }

  #terminal(taskId: string, status: TerminalStatus, result: unknown): void {
    const follower = this.#followers.get(taskId);
    if (follower !== undefined) {
      this.#followers.delete(taskId);
      follower.terminal(status, result);
    } else if (this.#unfollowed.has(taskId)) {
      this.#early.set(taskId, { status, result });
    }
  }
}
