/**
 * What a call's request tells of its transport and protocol version, read from the SDK's per-request `extra`
 * (v1) or `ctx` (v2) and the low-level server, only when an observer asks (a tracer at the call's start).
 *
 * - Transport: `http` when the SDK handed the request HTTP details (v1 `extra.requestInfo`, v2 `ctx.http`: the
 *   Streamable HTTP and SSE transports set them); `stdio` when the server's transport is the SDK's stdio
 *   transport (it holds `_stdin` and `_stdout`); otherwise undefined (in-memory or custom transports).
 * - Protocol version: the request's `mcp-protocol-version` header over HTTP; else the version the server
 *   negotiated at `initialize` (v2: `getNegotiatedProtocolVersion()`; v1 keeps none, so the interceptor notes the
 *   version its `initialize` answered with); undefined when the server was guarded after its initialization.
 */

import type { LowLevelServer } from './sdk-server.js';

/** Where the v1 server's negotiated version is noted, shared by every copy of this package. */
const NEGOTIATED = Symbol.for('@mcp-resource-guard/negotiated-protocol-version');
const HEADER = 'mcp-protocol-version';

type Holder = Record<string | symbol, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * Notes the protocol version a v1 low-level server answers `initialize` with (v1 keeps none of its own). Wraps
 * the instance's `_oninitialize`, which the SDK's `initialize` handler calls; idempotent, failing open.
 *
 * @param lowLevel - the v1 low-level server
 */
export function noteNegotiatedVersion(lowLevel: LowLevelServer): void {
  const server = lowLevel as unknown as Holder;
  const original = server._oninitialize;
  if (typeof original !== 'function' || NEGOTIATED in server) return;
  Object.defineProperty(server, NEGOTIATED, { value: undefined, writable: true });
  server._oninitialize = async function onInitializeNoted(this: unknown, ...args: unknown[]): Promise<unknown> {
    const result = await (original as (...a: unknown[]) => Promise<unknown>).apply(this, args);
    if (isObject(result) && typeof result.protocolVersion === 'string') server[NEGOTIATED] = result.protocolVersion;
    return result;
  };
}

/**
 * The HTTP details the SDK gave this request, if any.
 *
 * @param major - the SDK major version
 * @param extra - the SDK's `extra` (v1) or `ctx` (v2)
 * @returns v1 `requestInfo` or v2 `http`, or undefined
 */
function httpDetails(major: 1 | 2, extra: Record<string, unknown>): Record<string, unknown> | undefined {
  const details = major === 1 ? extra.requestInfo : extra.http;
  return isObject(details) ? details : undefined;
}

/**
 * How the request reached the server: `http`, `stdio`, or undefined when unknown.
 *
 * @param major - the SDK major version
 * @param lowLevel - the low-level server
 * @param extra - the SDK's `extra` (v1) or `ctx` (v2)
 * @returns the transport's name
 */
export function transportOf(
  major: 1 | 2,
  lowLevel: LowLevelServer,
  extra: Record<string, unknown>,
): string | undefined {
  if (httpDetails(major, extra) !== undefined) return 'http';
  const transport = (lowLevel as unknown as Holder).transport;
  if (isObject(transport) && isObject(transport._stdin) && isObject(transport._stdout)) return 'stdio';
  return undefined;
}

/**
 * The protocol version the request was made in.
 *
 * @param major - the SDK major version
 * @param lowLevel - the low-level server
 * @param extra - the SDK's `extra` (v1) or `ctx` (v2)
 * @returns the version, or undefined when unknown
 */
export function protocolVersionOf(
  major: 1 | 2,
  lowLevel: LowLevelServer,
  extra: Record<string, unknown>,
): string | undefined {
  const http = httpDetails(major, extra);
  if (http !== undefined) {
    let header: unknown;
    if (major === 1) {
      const headers = http.headers;
      header = isObject(headers) ? headers[HEADER] : undefined;
    } else {
      const headers = isObject(http.req) ? http.req.headers : undefined;
      header = isObject(headers) && typeof headers.get === 'function' ? headers.get(HEADER) : undefined;
    }
    if (Array.isArray(header)) header = header[0];
    if (typeof header === 'string' && header.length > 0) return header;
  }
  const server = lowLevel as unknown as Holder;
  if (major === 2) {
    const negotiated = server.getNegotiatedProtocolVersion;
    const version = typeof negotiated === 'function' ? (negotiated as () => unknown).call(server) : undefined;
    return typeof version === 'string' ? version : undefined;
  }
  const noted = server[NEGOTIATED];
  return typeof noted === 'string' ? noted : undefined;
}
