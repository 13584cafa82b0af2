/**
 * What an isolated tool needs of the SDK's per-request object, from either major version: SDK v1's `extra`
 * (`signal`, `requestId`, `sessionId`, `_meta`, `authInfo`, `sendNotification`) or v2's `ctx` (`mcpReq.signal`,
 * `mcpReq.id`, `sessionId`, `mcpReq._meta`, `http.authInfo`, `mcpReq.notify`, `mcpReq.log`).
 */

import type { WireNotification } from './worker-protocol.js';

/** One request, as the isolated tool sees it. */
export interface SdkRequest {
  readonly signal: AbortSignal | undefined;
  readonly requestId: string | number | undefined;
  readonly sessionId: string | undefined;
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  readonly authInfo: unknown;
  notify(notification: WireNotification): Promise<void>;
  log(level: string, data: unknown, logger: string | undefined): Promise<void>;
}

type AnyFn = (...args: unknown[]) => unknown;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function cloneable(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return structuredClone(value);
  } catch {
    return undefined;
  }
}

/**
 * Whether a value is the SDK's per-request object (v1 `extra`, v2 `ctx`) rather than a tool's arguments: SDK v1
 * calls a tool registered without an input schema with that object alone.
 *
 * @param value - the first argument the SDK passed
 * @returns true for the SDK's object
 */
export function isSdkExtra(value: unknown): boolean {
  if (!isObject(value)) return false;
  if (isObject(value.mcpReq)) return true;
  return value.signal instanceof AbortSignal && typeof value.sendNotification === 'function';
}

/**
 * Reads the SDK's per-request object.
 *
 * @param extra - v1's `extra` or v2's `ctx` (undefined when called outside the SDK)
 * @returns the request
 */
export function sdkRequestOf(extra: unknown): SdkRequest {
  const e = isObject(extra) ? extra : {};
  const req = isObject(e.mcpReq) ? e.mcpReq : undefined;
  const holder = req ?? e;
  const signal = holder.signal instanceof AbortSignal ? holder.signal : undefined;
  const id = req === undefined ? e.requestId : req.id;
  const meta = holder._meta;
  const http = isObject(e.http) ? e.http : undefined;
  const notifyFn = (req?.notify ?? e.sendNotification) as AnyFn | undefined;
  const logFn = req?.log as AnyFn | undefined;
  const notify = async (notification: WireNotification): Promise<void> => {
    if (typeof notifyFn === 'function') await notifyFn.call(req ?? e, notification);
  };
  return {
    signal,
    requestId: typeof id === 'string' || typeof id === 'number' ? id : undefined,
    sessionId: typeof e.sessionId === 'string' ? e.sessionId : undefined,
    meta: isObject(meta) ? (cloneable(meta) as Record<string, unknown> | undefined) : undefined,
    authInfo: cloneable(req === undefined ? e.authInfo : http?.authInfo),
    notify,
    log: async (level, data, logger) => {
      if (typeof logFn === 'function') {
        await logFn.call(req, level, data, logger);
        return;
      }
      const params: Record<string, unknown> = { level, data };
      if (logger !== undefined) params.logger = logger;
      await notify({ method: 'notifications/message', params });
    },
  };
}
