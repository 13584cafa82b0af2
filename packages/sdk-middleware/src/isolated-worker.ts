/**
 * The entry point of an isolated tool's worker thread. It installs the guard's probes (files, network, timers,
 * processes), loads the handler module, and runs one call at a time inside a call context of its own, so that
 * `getCallContext()` works and what the handler opens is attributed to the call; every handle is reported to the
 * main thread, whose guard counts it against the call and asks for it to be closed at the call's cleanup. `tempDir()`
 * and `usage()` are answered by the main thread's call, synchronously (the worker waits on a shared flag).
 */

import dc from 'node:diagnostics_channel';
import { getHeapStatistics } from 'node:v8';
import { type MessagePort, parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import {
  type CallRecord,
  type HandleKind,
  ResourceGuardError,
  type ResourceUsage,
  runShared,
} from '@mcp-resource-guard/core';
import {
  acquireProbes,
  type CallOwner,
  type HandleCloser,
  TrackedCall,
  type TrackedHandle,
} from '@mcp-resource-guard/core/internal';
import type { IsolatedHandler, IsolatedToolContext } from './isolated-context.js';
import { openOwnThreadClock, ownThreadCpuMs, ownThreadId } from './thread-clock.js';
import {
  type FromWorker,
  type RpcReply,
  type RpcRequest,
  type ToWorker,
  toWire,
  type WireCall,
  type WireError,
  type WorkerInit,
} from './worker-protocol.js';

/** How long the worker waits for the main thread to answer `tempDir()` or `usage()`. */
const RPC_TIMEOUT_MS = 5000;

const port = parentPort as NonNullable<typeof parentPort>;
const init = workerData as WorkerInit;
const rpcFlag = new Int32Array(init.rpcFlag);

function post(message: FromWorker): void {
  port.postMessage(message);
}

function heapNow(): number {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
}

/** A request the main thread answers while this thread waits. */
function rpc(request: RpcRequest): unknown {
  const rpcPort: MessagePort = init.rpc;
  Atomics.store(rpcFlag, 0, 0);
  rpcPort.postMessage(request);
  const waited = Atomics.wait(rpcFlag, 0, 0, RPC_TIMEOUT_MS);
  const received = receiveMessageOnPort(rpcPort) as { message: RpcReply } | undefined;
  if (received === undefined) {
    throw new Error(`the main thread did not answer ${request.op}() within ${RPC_TIMEOUT_MS} ms (${waited})`);
  }
  const reply = received.message;
  if (!reply.ok) throw fromWire(reply.error);
  return reply.value;
}

function fromWire(wire: WireError): Error {
  let error: Error;
  if (wire.code !== undefined && wire.hint !== undefined) {
    error = new ResourceGuardError({
      code: wire.code as ResourceGuardError['code'],
      message: wire.message,
      hint: wire.hint,
      ...(wire.data === undefined ? {} : { data: wire.data }),
    });
    error.message = wire.message;
  } else {
    error = new Error(wire.message);
    error.name = wire.name;
  }
  if (wire.stack !== undefined) error.stack = wire.stack;
  return error;
}

// The pid of the child process being attributed: this listener runs before the process probe's (subscribed first).
// (Published as the ChildProcess is made, before it spawns: its pid is reported once it has one.)
interface Spawning {
  readonly pid?: number | undefined;
  once(event: 'spawn', listener: () => void): unknown;
}
let spawning: Spawning | undefined;
dc.subscribe('child_process', (message) => {
  spawning = (message as { process: Spawning }).process;
});

/** Every handle of every call of this worker still open, by the id the main thread knows it by. */
const handles = new Map<number, TrackedHandle>();
const ids = new WeakMap<TrackedHandle, number>();
let nextHid = 0;

/** The call this worker runs, in the worker: its handles are mirrored to the main thread's call. */
class WorkerCall extends TrackedCall {
  readonly wireId: number;

  constructor(owner: CallOwner, wire: WireCall, signal: AbortSignal) {
    super(
      owner,
      wire.callId,
      { toolName: wire.toolName, sessionId: wire.sessionId, requestId: wire.requestId, signal },
      {},
    );
    this.wireId = wire.id;
  }

  override addHandle(kind: HandleKind, closer: HandleCloser, label?: string): TrackedHandle {
    const handle = super.addHandle(kind, closer, label);
    const hid = ++nextHid;
    handles.set(hid, handle);
    ids.set(handle, hid);
    const child = kind === 'child_process' ? spawning : undefined;
    post({ type: 'handle', id: this.wireId, hid, kind, label, pid: child?.pid });
    if (child !== undefined && child.pid === undefined) {
      child.once('spawn', () => {
        if (child.pid !== undefined) post({ type: 'pid', hid, pid: child.pid });
      });
    }
    return handle;
  }

  override releaseHandle(handle: TrackedHandle): void {
    super.releaseHandle(handle);
    const hid = ids.get(handle);
    if (hid === undefined || !handles.has(hid)) return;
    handles.delete(hid);
    post({ type: 'released', hid });
  }

  override usage(): ResourceUsage {
    return rpc({ op: 'usage', id: this.wireId }) as ResourceUsage;
  }
}

const owner: CallOwner = {
  now: () => performance.now(),
  finish: (call, outcome): CallRecord => {
    const now = performance.now();
    const { usage, peak } = call.endSnapshot(now);
    return {
      callId: call.callId,
      toolName: call.toolName,
      sessionId: call.sessionId,
      requestId: call.requestId,
      taskId: undefined,
      outcome,
      usage,
      peak,
      leaked: call.holdsHandles ? call.handles.countByKind() : {},
      startedAt: call.startedAt,
      endedAt: now,
      measurement: 'exact',
    };
  },
  // The main thread's call gets the handle too, and closes it there (a late handle of an ended call at once).
  lateHandle: () => {},
  handlerSettled: () => {},
  tempDir: (call) => rpc({ op: 'tempDir', id: (call as WorkerCall).wireId }) as string,
  // The main thread decides, and asks for each close.
  leakPolicy: () => 'report',
  // The main thread's call is the one stopped (a cancel reaches the worker as its signal's abort).
  cancel: () => {},
  hardLimit: () => {},
};

function contextFor(call: WorkerCall, wire: WireCall): IsolatedToolContext {
  const notify = async (notification: { method: string; params?: Record<string, unknown> }): Promise<void> => {
    post({ type: 'notify', id: wire.id, notification: structuredClone(notification) });
  };
  const token = wire.meta?.progressToken;
  return {
    signal: call.signal,
    requestId: wire.requestId,
    sessionId: wire.sessionId,
    _meta: wire.meta,
    authInfo: wire.authInfo,
    sendNotification: notify,
    reportProgress: async (progress, total, message) => {
      if (typeof token !== 'string' && typeof token !== 'number') return;
      const params: Record<string, unknown> = { progressToken: token, progress };
      if (total !== undefined) params.total = total;
      if (message !== undefined) params.message = message;
      await notify({ method: 'notifications/progress', params });
    },
    log: async (level, data, logger) => {
      post({
        type: 'log',
        id: wire.id,
        level,
        data: structuredClone(data),
        ...(logger === undefined ? {} : { logger }),
      });
    },
  };
}

let running: { call: WorkerCall; abort: AbortController } | undefined;

async function runCall(handler: IsolatedHandler<unknown>, wire: WireCall, args: unknown): Promise<void> {
  const abort = new AbortController();
  const call = new WorkerCall(owner, wire, abort.signal);
  running = { call, abort };
  // The worker's own heap reports, where the main thread cannot read it (Node < 22.16): outside the call.
  const reports =
    init.heapReportMs > 0
      ? runShared(() => setInterval(() => post({ type: 'heap', id: wire.id, heap: heapNow() }), init.heapReportMs))
      : undefined;
  reports?.unref();
  // The call's figures are read around its handler: just before it is called and as soon as it settles (the
  // worker's own bookkeeping of the call, before and after, is not the handler's).
  let end: { heap: number; cpuMs: number | undefined } | undefined;
  const settled = (): void => {
    end ??= { cpuMs: ownThreadCpuMs(), heap: heapNow() };
  };
  let done: FromWorker;
  try {
    const result = await call.run(() => {
      post({ type: 'started', id: wire.id, heap: heapNow(), cpuMs: ownThreadCpuMs() });
      const answer = handler(args, contextFor(call, wire));
      if (!(answer instanceof Promise)) settled();
      return answer;
    });
    settled();
    call.end('ok');
    done = { type: 'done', id: wire.id, ok: true, result, ...(end as NonNullable<typeof end>) };
  } catch (error) {
    settled();
    call.end('thrown');
    done = { type: 'done', id: wire.id, ok: false, error: toWire(error), ...(end as NonNullable<typeof end>) };
  } finally {
    if (reports !== undefined) clearInterval(reports);
    if (running?.call === call) running = undefined;
  }
  try {
    post(done);
  } catch (error) {
    // A result that cannot be cloned (a function, a class instance with private state): the call fails.
    post({ ...done, ok: false, result: undefined, error: toWire(error) });
  }
}

async function closeHandle(hid: number, force: boolean): Promise<void> {
  const handle = handles.get(hid);
  if (handle === undefined) {
    post({ type: 'closed', hid, closed: true });
    return;
  }
  try {
    if (force) await handle.closer.forceClose?.();
    else await handle.closer.close();
  } catch {
    // Reported below as still open, if it is.
  }
  let closed: boolean;
  try {
    closed = handle.closer.isClosed();
  } catch {
    closed = false;
  }
  if (closed && handles.delete(hid)) post({ type: 'released', hid });
  post({ type: 'closed', hid, closed });
}

async function main(): Promise<void> {
  // The thread's clock kept open before the probes see any descriptor: the worker's, never a call's.
  openOwnThreadClock();
  acquireProbes({ files: true, network: true, timers: true, processes: true, cpu: false, memory: false });
  let handler: IsolatedHandler<unknown>;
  try {
    const module = (await import(init.module)) as { default?: unknown };
    if (typeof module.default !== 'function') {
      throw new TypeError(`${init.module} has no default export that is a function (found ${typeof module.default})`);
    }
    handler = module.default as IsolatedHandler<unknown>;
  } catch (error) {
    post({ type: 'failed', error: toWire(error) });
    return;
  }
  port.on('message', (message: ToWorker) => {
    switch (message.type) {
      case 'call':
        void runCall(handler, message.call, message.args);
        return;
      case 'abort':
        if (running?.call.wireId === message.id) running.abort.abort(fromWire(message.reason));
        return;
      case 'close':
        void closeHandle(message.hid, message.force);
        return;
    }
  });
  post({ type: 'ready', tid: ownThreadId() });
}

void main();
