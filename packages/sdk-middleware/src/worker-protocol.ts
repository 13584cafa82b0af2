/**
 * The messages between an isolated tool's pool (main thread) and one of its worker threads. Everything is
 * structured-cloned; the worker runs one call at a time, so `id` names the call it is running.
 */

import type { MessagePort } from 'node:worker_threads';
import type { HandleKind } from '@mcp-resource-guard/core';

/** What a worker is started with (`workerData`). */
export interface WorkerInit {
  /** The handler module's URL. */
  readonly module: string;
  /** The port for the worker's synchronous requests (`tempDir()`, `usage()`), and the flag it waits on. */
  readonly rpc: MessagePort;
  readonly rpcFlag: SharedArrayBuffer;
  /** Interval of the worker's own heap reports while a call runs; 0: none (the main thread reads the heap). */
  readonly heapReportMs: number;
}

/** An error as it crosses the thread boundary. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string | undefined;
  /** A `ResourceGuardError`'s code, hint and data, when it was one. */
  readonly code?: string | undefined;
  readonly hint?: string | undefined;
  readonly data?: Readonly<Record<string, unknown>> | undefined;
}

/** What the worker knows of the call it runs. */
export interface WireCall {
  readonly id: number;
  readonly callId: string;
  readonly toolName: string;
  readonly sessionId: string | undefined;
  readonly requestId: string | number | undefined;
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  readonly authInfo: unknown;
}

/** Main thread → worker. */
export type ToWorker =
  | { readonly type: 'call'; readonly call: WireCall; readonly args: unknown }
  | { readonly type: 'abort'; readonly id: number; readonly reason: WireError }
  | { readonly type: 'close'; readonly hid: number; readonly force: boolean };

/** Worker → main thread. */
export type FromWorker =
  /** Started: its thread's id in the OS (Linux), for reading its CPU clock from the main thread. */
  | { readonly type: 'ready'; readonly tid: number | undefined }
  /** The handler module could not be loaded. */
  | { readonly type: 'failed'; readonly error: WireError }
  /** A call began: its heap (bytes) and thread CPU time (ms, if the worker can read it) at the start. */
  | { readonly type: 'started'; readonly id: number; readonly heap: number; readonly cpuMs: number | undefined }
  /** The heap now, in bytes (sent while a call runs where the main thread cannot read it). */
  | { readonly type: 'heap'; readonly id: number; readonly heap: number }
  /** The call opened a handle (the worker's probes saw it, or `track()` was given it). */
  | {
      readonly type: 'handle';
      readonly id: number;
      readonly hid: number;
      readonly kind: HandleKind;
      readonly label: string | undefined;
      readonly pid: number | undefined;
    }
  /** A child process's pid, once it spawned. */
  | { readonly type: 'pid'; readonly hid: number; readonly pid: number }
  /** A handle closed, or is no longer the call's. */
  | { readonly type: 'released'; readonly hid: number }
  /** The answer to a `close`: whether the handle is closed now. */
  | { readonly type: 'closed'; readonly hid: number; readonly closed: boolean }
  /** A notification for the client (progress, logging), sent through the request's own channel. */
  | { readonly type: 'notify'; readonly id: number; readonly notification: WireNotification }
  /** A log message for the client, through the SDK's logging (which respects the client's level). */
  | {
      readonly type: 'log';
      readonly id: number;
      readonly level: string;
      readonly data: unknown;
      readonly logger?: string;
    }
  /** The handler settled; with the heap and thread CPU at the end. */
  | {
      readonly type: 'done';
      readonly id: number;
      readonly ok: boolean;
      readonly result?: unknown;
      readonly error?: WireError;
      readonly heap: number;
      readonly cpuMs: number | undefined;
    };

/** A JSON-RPC notification. */
export interface WireNotification {
  readonly method: string;
  readonly params?: Record<string, unknown> | undefined;
}

/** A synchronous request of the worker, on the rpc port. */
export type RpcRequest =
  | { readonly op: 'tempDir'; readonly id: number }
  | { readonly op: 'usage'; readonly id: number };

/** Its answer. */
export type RpcReply =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: WireError };

/**
 * An error as it crosses the thread boundary.
 *
 * @param error - anything thrown
 * @returns its wire form
 */
export function toWire(error: unknown): WireError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error) };
  const e = error as Error & { code?: unknown; hint?: unknown; data?: unknown };
  let data: Record<string, unknown> | undefined;
  if (typeof e.data === 'object' && e.data !== null) {
    try {
      data = structuredClone(e.data as Record<string, unknown>);
    } catch {
      data = undefined;
    }
  }
  return {
    name: e.name,
    message: e.message,
    stack: e.stack,
    code: typeof e.code === 'string' ? e.code : undefined,
    hint: typeof e.hint === 'string' ? e.hint : undefined,
    data,
  };
}
