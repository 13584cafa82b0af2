/**
 * One isolated call, on the main thread: the guard's call (when a guard tracks it) bridged to the worker that runs
 * its handler. The worker's heap and thread CPU clock are the call's exact figures; each handle the worker's call
 * opens is a handle of the guard's call (counted, closed by its cleanup through the worker, or natively once the
 * worker is gone); notifications go out through the request; every stop of the call (its signal aborting) aborts
 * the worker's signal, and a worker whose code does not settle within the grace is terminated, as is one that
 * hit its heap cap (a typed memory-limit stop).
 */

import { ErrorCode, ResourceGuardError, runShared } from '@mcp-resource-guard/core';
import { type HandleCloser, ProcessTree, type TrackedCall, ZERO_USAGE } from '@mcp-resource-guard/core/internal';
import type { SdkRequest } from './sdk-request.js';
import { threadCpuMsOf } from './thread-clock.js';
import type { ToolCallResult } from './tool-call-result.js';
import type { HandleMirror, PooledWorker, WorkerPool } from './worker-pool.js';
import { type FromWorker, type RpcReply, type RpcRequest, toWire, type WireError } from './worker-protocol.js';

const MB = 1024 * 1024;

/** What one isolated call is run with. */
export interface IsolatedCallInit {
  readonly pool: WorkerPool;
  /** The guard's call, when a guard tracks this one. */
  readonly call: TrackedCall | undefined;
  readonly sdk: SdkRequest;
  readonly args: unknown;
  readonly heapCapMb: number | undefined;
  readonly graceMs: number;
  readonly statsIntervalMs: number;
}

type HeapReader = () => Promise<{ used_heap_size: number; external_memory: number }>;
type CpuReader = () => Promise<{ user: number; system: number }>;

let nextId = 0;

function errorFrom(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

function workerFailed(message: string, cause: unknown): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.WorkerFailed,
    message,
    hint: 'The tool failed in its worker thread; the pool has replaced the worker. See the server log for the error.',
    cause,
  });
}

/**
 * Runs one call on a worker of the pool.
 *
 * @param init - the call
 * @returns the handler's result; rejects with the handler's error, the call's stop reason, or `WORKER_FAILED`
 */
export async function runIsolated(init: IsolatedCallInit): Promise<ToolCallResult> {
  const { pool, call, sdk } = init;
  const signal = call?.signal ?? sdk.signal;
  signal?.throwIfAborted();
  const worker = await pool.acquire(init.heapCapMb, signal);
  try {
    await worker.ready;
  } catch (error) {
    pool.discard(worker);
    throw workerFailed(`The isolated tool's module could not be loaded: ${(error as Error).message}`, error);
  }
  if (signal?.aborted === true) {
    pool.release(worker);
    throw signal.reason;
  }
  if (call !== undefined) call.meter.exact = true;
  return new IsolatedCall(init, worker, signal).result;
}

class IsolatedCall {
  readonly result: Promise<ToolCallResult>;
  readonly #init: IsolatedCallInit;
  readonly #worker: PooledWorker;
  readonly #signal: AbortSignal | undefined;
  readonly #id = ++nextId;
  #resolve: (result: ToolCallResult) => void = () => {};
  #reject: (error: unknown) => void = () => {};
  #settled = false;
  /** The worker's heap (bytes) and thread CPU (ms, its own reading) when the call started. */
  #startHeap: number | undefined;
  #startCpu: number | undefined;
  #stats: NodeJS.Timeout | undefined;
  #grace: NodeJS.Timeout | undefined;
  #polling = false;
  #lastMemoryMb = 0;

  constructor(init: IsolatedCallInit, worker: PooledWorker, signal: AbortSignal | undefined) {
    this.#init = init;
    this.#worker = worker;
    this.#signal = signal;
    this.result = new Promise<ToolCallResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    worker.listener = {
      message: (m) => this.#message(m),
      rpc: (r) => this.#rpc(r),
      exit: (code, error) => this.#exited(code, error),
    };
    const { call, sdk } = init;
    worker.send({
      type: 'call',
      call: {
        id: this.#id,
        callId: call?.callId ?? `isolated-${this.#id}`,
        toolName: call?.toolName ?? 'isolated',
        sessionId: call?.sessionId ?? sdk.sessionId,
        requestId: call?.requestId ?? sdk.requestId,
        meta: sdk.meta,
        authInfo: sdk.authInfo,
      },
      args: init.args,
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (call !== undefined) {
      this.#stats = runShared(() => setInterval(() => this.#poll(), init.statsIntervalMs));
      this.#stats.unref();
    }
  }

  #message(m: FromWorker): void {
    const call = this.#init.call;
    switch (m.type) {
      case 'started':
        this.#startHeap = m.heap;
        this.#startCpu = m.cpuMs;
        return;
      case 'heap':
        this.#memory(m.heap);
        return;
      case 'handle':
        if (call !== undefined) this.#mirror(call, m.hid, m.kind, m.label, m.pid);
        return;
      case 'notify':
        this.#init.sdk.notify(m.notification).catch(() => {});
        return;
      case 'log':
        this.#init.sdk.log(m.level, m.data, m.logger).catch(() => {});
        return;
      case 'done':
        this.#done(m);
        return;
      default:
        return;
    }
  }

  #rpc(request: RpcRequest): RpcReply {
    const call = this.#init.call;
    try {
      if (request.op === 'tempDir') {
        if (call === undefined) {
          throw new ResourceGuardError({
            code: ErrorCode.NoCallContext,
            message: 'tempDir() needs a guard tracking the call',
            hint: 'Install resourceMiddleware() on the server that registers the isolated tool.',
          });
        }
        return { ok: true, value: call.tempDir() };
      }
      return { ok: true, value: call === undefined ? ZERO_USAGE : call.usage() };
    } catch (error) {
      return { ok: false, error: toWire(error) };
    }
  }

  /** Sets the call's memory: the worker's heap and external memory above where they were at its start. */
  #memory(heapBytes: number): void {
    const call = this.#init.call;
    if (call === undefined || this.#startHeap === undefined || call.ended) return;
    this.#lastMemoryMb = Math.max(0, heapBytes - this.#startHeap) / MB;
    call.measure('memoryMb', this.#lastMemoryMb);
  }

  #cpu(cpuMs: number | undefined): void {
    const call = this.#init.call;
    if (call === undefined || cpuMs === undefined || this.#startCpu === undefined || call.ended) return;
    call.measure('cpuTimeMs', Math.max(0, cpuMs - this.#startCpu));
  }

  /** Reads the worker's heap and CPU from this thread, where Node or the OS allows it (also while it loops). */
  #poll(): void {
    if (this.#polling || this.#settled || this.#startHeap === undefined) return;
    const w = this.#worker.worker as unknown as { getHeapStatistics?: HeapReader; cpuUsage?: CpuReader };
    const pending: Promise<void>[] = [];
    // A reading that comes back after the handler settled is older than the worker's own at its end: dropped.
    if (typeof w.getHeapStatistics === 'function') {
      pending.push(
        w.getHeapStatistics().then((h) => {
          if (!this.#settled) this.#memory(h.used_heap_size + h.external_memory);
        }),
      );
    }
    if (typeof w.cpuUsage === 'function') {
      pending.push(
        w.cpuUsage().then((u) => {
          if (!this.#settled) this.#cpu((u.user + u.system) / 1000);
        }),
      );
    } else if (this.#worker.tid !== undefined) {
      this.#cpu(threadCpuMsOf(this.#worker.tid));
    }
    if (pending.length === 0) return;
    this.#polling = true;
    Promise.allSettled(pending).then(() => {
      this.#polling = false;
    });
  }

  /** The guard's side of a handle the worker's call opened. */
  #mirror(
    call: TrackedCall,
    hid: number,
    kind: Parameters<TrackedCall['addHandle']>[0],
    label?: string,
    pid?: number,
  ): void {
    const worker = this.#worker;
    let childPid = pid;
    let closed = false;
    let waiting: (() => void)[] = [];
    const settle = (): void => {
      for (const resolve of waiting) resolve();
      waiting = [];
    };
    let killing: Promise<void> | undefined;
    const mirror: HandleMirror = {
      message: (m) => {
        if (m.type === 'pid') {
          childPid = m.pid;
          return;
        }
        if (m.type === 'released' || m.closed) {
          closed = true;
          worker.handles.delete(hid);
          if (m.type === 'released') call.releaseHandle(handle);
        }
        settle();
      },
      gone: () => {
        // Node closed the worker's descriptors, sockets, timers and watchers with it; its child processes live on.
        if (childPid === undefined) closed = true;
        settle();
      },
    };
    const ask = (force: boolean): Promise<void> => {
      if (closed) return Promise.resolve();
      if (worker.dead) return killChild();
      return new Promise<void>((resolve) => {
        waiting.push(resolve);
        worker.send({ type: 'close', hid, force });
      }).then(() => (worker.dead && !closed ? killChild() : undefined));
    };
    const killChild = (): Promise<void> => {
      if (childPid === undefined || closed) return Promise.resolve();
      killing ??= new ProcessTree(childPid).signal('SIGKILL').then(
        () => {
          closed = true;
        },
        () => {},
      );
      return killing;
    };
    const closer: HandleCloser = {
      close: () => ask(false),
      forceClose: () => ask(true),
      isClosed: () => closed,
    };
    worker.handles.set(hid, mirror);
    const handle = call.addHandle(kind, closer, label);
  }

  readonly #onAbort = (): void => {
    if (this.#settled) return;
    this.#worker.send({ type: 'abort', id: this.#id, reason: toWire(this.#signal?.reason) });
    this.#grace ??= runShared(() =>
      setTimeout(() => {
        // The handler did not settle within the grace: stopped outright, even in a synchronous loop.
        if (this.#settled) return;
        if (
          this.#worker.tid !== undefined &&
          typeof (this.#worker.worker as { cpuUsage?: unknown }).cpuUsage !== 'function'
        ) {
          this.#cpu(threadCpuMsOf(this.#worker.tid));
        }
        this.#init.pool.discard(this.#worker);
      }, this.#init.graceMs),
    );
  };

  #finish(): void {
    this.#settled = true;
    if (this.#stats !== undefined) clearInterval(this.#stats);
    if (this.#grace !== undefined) clearTimeout(this.#grace);
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #done(m: Extract<FromWorker, { type: 'done' }>): void {
    if (this.#settled) return;
    this.#memory(m.heap);
    this.#cpu(m.cpuMs ?? (this.#worker.tid === undefined ? undefined : threadCpuMsOf(this.#worker.tid)));
    this.#finish();
    this.#init.pool.release(this.#worker);
    if (this.#signal?.aborted === true) this.#reject(this.#signal.reason);
    else if (m.ok) this.#resolve(m.result as ToolCallResult);
    else this.#reject(errorFrom(m.error ?? { name: 'Error', message: 'the tool failed' }));
  }

  #exited(code: number, error: Error | undefined): void {
    if (this.#settled) return;
    this.#finish();
    const call = this.#init.call;
    if (this.#signal?.aborted === true) {
      this.#reject(this.#signal.reason);
      return;
    }
    if ((error as { code?: unknown } | undefined)?.code === 'ERR_WORKER_OUT_OF_MEMORY') {
      const usage = Math.max(this.#lastMemoryMb, this.#init.heapCapMb ?? 0);
      if (call !== undefined && call.limits.maxMemoryMb !== undefined) {
        // A limit hit for certain: the guard stops the call at once with its typed memory-limit error.
        call.exceeded('maxMemoryMb', usage);
        this.#reject(call.stopReason ?? workerFailed('The isolated tool ran out of memory', error));
        return;
      }
      this.#reject(
        workerFailed(`The isolated tool ran out of its heap cap of ${this.#init.heapCapMb ?? '?'} MiB`, error),
      );
      return;
    }
    this.#reject(
      workerFailed(
        error === undefined
          ? `The isolated tool's worker exited with code ${code} before answering`
          : `The isolated tool's worker died of an uncaught exception: ${error.message}`,
        error,
      ),
    );
  }
}
