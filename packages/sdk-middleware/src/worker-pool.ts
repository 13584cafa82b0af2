/**
 * The warm pool of one isolated tool: worker threads that each run one call at a time, started ahead of need
 * (`minWorkers`), up to `maxWorkers`, retired after `idleTimeoutMs` idle; calls beyond the busy workers wait in a
 * FIFO queue, leaving it when their signal aborts. A worker's heap cap is fixed when it starts, so a call is given
 * a worker of its own cap (the tool's `maxMemoryMb`); one of another cap is retired. Workers are created outside
 * any call (they are the pool's, never a call's handle), unreferenced (they never keep the process alive), and
 * replaced when one dies or is terminated.
 */

import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from 'node:worker_threads';
import { runShared } from '@mcp-resource-guard/core';
import type { FromWorker, RpcReply, RpcRequest, ToWorker, WireError, WorkerInit } from './worker-protocol.js';

/** What the pool is configured with (validated by `isolated()`). */
export interface PoolSettings {
  readonly module: string;
  /** The built worker entry point. */
  readonly entry: URL;
  readonly minWorkers: number;
  readonly maxWorkers: number;
  readonly idleTimeoutMs: number;
  /** `resourceLimits` given by the user, besides the heap cap. */
  readonly resourceLimits: ResourceLimits;
  /** Interval of the worker's own heap reports (0 where the main thread reads the heap itself). */
  readonly heapReportMs: number;
  readonly execArgv: readonly string[] | undefined;
}

/** Who a worker reports to while it runs a call. */
export interface WorkerListener {
  message(message: FromWorker): void;
  rpc(request: RpcRequest): RpcReply;
  /** The worker died: `error` is what it threw (an uncaught exception, `ERR_WORKER_OUT_OF_MEMORY`), `code` its exit code. */
  exit(code: number, error: Error | undefined): void;
}

/** The main thread's side of one handle a worker's call opened. */
export interface HandleMirror {
  message(message: Extract<FromWorker, { type: 'closed' | 'released' | 'pid' }>): void;
  /** The worker died: Node closed its handles with it, but for child processes. */
  gone(): void;
}

/** One worker of the pool. */
export class PooledWorker {
  readonly worker: Worker;
  /** Its heap cap in MiB (undefined: V8's default). */
  readonly heapCapMb: number | undefined;
  /** The thread's id in the OS, once ready (Linux). */
  tid: number | undefined;
  /** Settles when the worker has loaded the handler module (rejects with the module's error, or its death). */
  readonly ready: Promise<void>;
  /** Who hears its messages now (the call it runs, then the cleanup of its handles). */
  listener: WorkerListener | undefined;
  /** The main thread's side of handles its calls opened, by handle id: told of `closed`, `released`, its death. */
  readonly handles: Map<number, HandleMirror> = new Map();
  dead = false;
  /** Set once `terminate()` was asked. */
  terminating = false;
  idleTimer: NodeJS.Timeout | undefined;
  readonly #rpcPort: MessagePort;
  readonly #rpcFlag: Int32Array;
  #exitError: Error | undefined;

  constructor(settings: PoolSettings, heapCapMb: number | undefined, onExit: (w: PooledWorker) => void) {
    this.heapCapMb = heapCapMb;
    const channel = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    this.#rpcFlag = new Int32Array(flag);
    this.#rpcPort = channel.port1;
    const data: WorkerInit = {
      module: settings.module,
      rpc: channel.port2,
      rpcFlag: flag,
      heapReportMs: settings.heapReportMs,
    };
    const resourceLimits: ResourceLimits =
      heapCapMb === undefined
        ? settings.resourceLimits
        : { ...settings.resourceLimits, maxOldGenerationSizeMb: heapCapMb };
    this.worker = new Worker(settings.entry, {
      workerData: data,
      transferList: [channel.port2],
      resourceLimits,
      // fs.open descriptors are closed with the worker (Node's default, stated: the cleanup after a terminate counts on it).
      trackUnmanagedFds: true,
      stdout: false,
      stderr: false,
      ...(settings.execArgv === undefined ? {} : { execArgv: [...settings.execArgv] }),
    });
    this.worker.unref();
    this.#rpcPort.unref();
    let resolveReady: () => void = () => {};
    let rejectReady: (e: unknown) => void = () => {};
    this.ready = new Promise<void>((resolve, reject) => {
      resolveReady = resolve;
      rejectReady = reject;
    });
    // Nothing waits on it before the first call: its rejection is the call's to see.
    this.ready.catch(() => {});
    this.worker.on('message', (message: FromWorker) => {
      if (message.type === 'ready') {
        this.tid = message.tid;
        resolveReady();
        return;
      }
      if (message.type === 'failed') {
        rejectReady(wireToError(message.error));
        return;
      }
      if (message.type === 'closed' || message.type === 'released' || message.type === 'pid') {
        this.handles.get(message.hid)?.message(message);
        return;
      }
      this.listener?.message(message);
    });
    this.#rpcPort.on('message', (request: RpcRequest) => {
      let reply: RpcReply;
      try {
        reply = this.listener?.rpc(request) ?? {
          ok: false,
          error: { name: 'Error', message: 'no call is running in this worker' },
        };
      } catch (error) {
        reply = { ok: false, error: { name: 'Error', message: String(error) } };
      }
      this.#rpcPort.postMessage(reply);
      Atomics.store(this.#rpcFlag, 0, 1);
      Atomics.notify(this.#rpcFlag, 0);
    });
    this.worker.on('error', (error) => {
      this.#exitError = error;
    });
    this.worker.on('exit', (code) => {
      this.dead = true;
      this.#rpcPort.close();
      if (this.idleTimer !== undefined) clearTimeout(this.idleTimer);
      const error = this.#exitError ?? new Error(`the worker exited with code ${code} before it was ready`);
      rejectReady(error);
      this.listener?.exit(code, this.#exitError);
      for (const mirror of [...this.handles.values()]) mirror.gone();
      this.handles.clear();
      onExit(this);
    });
  }

  /**
   * Sends a message to the worker (nothing once it died).
   *
   * @param message - the message
   */
  send(message: ToWorker): void {
    if (!this.dead) this.worker.postMessage(message);
  }

  /** Stops the worker at once, even in a synchronous loop. */
  terminate(): void {
    if (this.dead || this.terminating) return;
    this.terminating = true;
    void this.worker.terminate();
  }
}

function wireToError(wire: WireError): Error {
  const error = new Error(wire.message);
  error.name = wire.name;
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

interface Waiter {
  readonly heapCapMb: number | undefined;
  readonly resolve: (worker: PooledWorker) => void;
  readonly reject: (error: unknown) => void;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: () => void;
}

/** The pool of one isolated tool. */
export class WorkerPool {
  readonly #settings: PoolSettings;
  readonly #idle: PooledWorker[] = [];
  readonly #all = new Set<PooledWorker>();
  readonly #waiting: Waiter[] = [];
  /** The heap cap of the workers kept warm: the last one asked for. */
  #warmCap: number | undefined;
  #warmed = false;
  #closed = false;

  /** @param settings - validated settings */
  constructor(settings: PoolSettings) {
    this.#settings = settings;
  }

  /** Workers alive now, busy and idle. */
  get size(): number {
    return this.#all.size;
  }

  /** Workers idle now. */
  get idle(): number {
    return this.#idle.length;
  }

  /** Calls waiting for a worker. */
  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * Starts `minWorkers` with this heap cap, if not yet started.
   *
   * @param heapCapMb - their heap cap
   */
  warm(heapCapMb: number | undefined): void {
    if (this.#closed) return;
    this.#warmCap = heapCapMb;
    this.#warmed = true;
    this.#fill();
  }

  /**
   * A worker for one call, ready: an idle one of this heap cap, a new one, or the next one freed.
   *
   * @param heapCapMb - the call's heap cap
   * @param signal - abandons the wait when it aborts (the promise rejects with its reason)
   * @returns the worker, which the caller gives back with {@link WorkerPool.release} or {@link WorkerPool.discard}
   */
  acquire(heapCapMb: number | undefined, signal: AbortSignal | undefined): Promise<PooledWorker> {
    if (this.#closed) return Promise.reject(new Error('the isolated tool was closed'));
    if (!this.#warmed || this.#warmCap !== heapCapMb) this.warm(heapCapMb);
    const idle = this.#takeIdle(heapCapMb);
    if (idle !== undefined) return Promise.resolve(idle);
    if (this.#all.size < this.#settings.maxWorkers || this.#retireIdle()) {
      return Promise.resolve(this.#start(heapCapMb));
    }
    return new Promise<PooledWorker>((resolve, reject) => {
      const waiter: Waiter = {
        heapCapMb,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const i = this.#waiting.indexOf(waiter);
          if (i >= 0) this.#waiting.splice(i, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.#waiting.push(waiter);
    });
  }

  /**
   * Gives a worker back after its call: to the next waiting call, or idle.
   *
   * @param worker - the worker
   */
  release(worker: PooledWorker): void {
    worker.listener = undefined;
    if (worker.dead || worker.terminating) return;
    if (this.#closed) {
      worker.terminate();
      return;
    }
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      if (waiter.heapCapMb === worker.heapCapMb) {
        waiter.resolve(worker);
        return;
      }
      worker.terminate();
      waiter.resolve(this.#start(waiter.heapCapMb));
      return;
    }
    this.#idle.push(worker);
    this.#armIdle(worker);
  }

  /**
   * Terminates a worker (a stop its code did not honour in time, a broken one); the pool replaces it.
   *
   * @param worker - the worker
   */
  discard(worker: PooledWorker): void {
    worker.terminate();
  }

  /** Terminates every worker and refuses new calls; calls waiting get an error. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(new Error('the isolated tool was closed'));
    const exits = [...this.#all].map(
      (w) => new Promise<void>((resolve) => (w.dead ? resolve() : w.worker.once('exit', () => resolve()))),
    );
    for (const worker of this.#all) worker.terminate();
    await Promise.all(exits);
  }

  #takeIdle(heapCapMb: number | undefined): PooledWorker | undefined {
    const i = this.#idle.findIndex((w) => w.heapCapMb === heapCapMb && !w.dead);
    if (i < 0) return undefined;
    const [worker] = this.#idle.splice(i, 1) as [PooledWorker];
    if (worker.idleTimer !== undefined) clearTimeout(worker.idleTimer);
    worker.idleTimer = undefined;
    return worker;
  }

  /** Retires an idle worker of another cap to make room; whether one was. */
  #retireIdle(): boolean {
    const worker = this.#idle.shift();
    if (worker === undefined) return false;
    this.#all.delete(worker);
    worker.terminate();
    return true;
  }

  #start(heapCapMb: number | undefined): PooledWorker {
    const worker = runShared(() => new PooledWorker(this.#settings, heapCapMb, (w) => this.#exited(w)));
    this.#all.add(worker);
    return worker;
  }

  #exited(worker: PooledWorker): void {
    this.#all.delete(worker);
    const i = this.#idle.indexOf(worker);
    if (i >= 0) this.#idle.splice(i, 1);
    if (this.#closed) return;
    // A waiting call takes the replacement; otherwise the pool is filled back to its minimum.
    const waiter = this.#waiting.shift();
    if (waiter !== undefined) {
      waiter.signal?.removeEventListener('abort', waiter.onAbort);
      waiter.resolve(this.#start(waiter.heapCapMb));
    }
    this.#fill();
  }

  /** Starts idle workers of the warm cap up to `minWorkers`. */
  #fill(): void {
    if (this.#closed || !this.#warmed) return;
    while (this.#all.size < Math.min(this.#settings.minWorkers, this.#settings.maxWorkers)) {
      const worker = this.#start(this.#warmCap);
      this.#idle.push(worker);
      this.#armIdle(worker);
    }
  }

  #armIdle(worker: PooledWorker): void {
    if (worker.idleTimer !== undefined) clearTimeout(worker.idleTimer);
    worker.idleTimer = runShared(() =>
      setTimeout(() => {
        worker.idleTimer = undefined;
        const i = this.#idle.indexOf(worker);
        // The warm minimum of the warm cap stays.
        const warm = this.#idle.filter((w) => w.heapCapMb === this.#warmCap).length;
        if (i < 0 || (worker.heapCapMb === this.#warmCap && warm <= this.#settings.minWorkers)) return;
        this.#idle.splice(i, 1);
        this.#all.delete(worker);
        worker.terminate();
      }, this.#settings.idleTimeoutMs),
    );
    worker.idleTimer.unref();
  }
}
