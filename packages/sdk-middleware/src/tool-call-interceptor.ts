/** Installs one dispatcher at a server's `tools/call` handler and runs the middleware chain for every call. */

import { ErrorCode, ResourceGuardError } from '@mcp-resource-guard/core';
import { type ContextKey, callValues } from './context-key.js';
import { ServerBinding } from './middleware-server.js';
import { noteNegotiatedVersion, protocolVersionOf, transportOf } from './request-info.js';
import { registeredToolInfo, type SdkRequestHandler, type SdkServer } from './sdk-server.js';
import type {
  MiddlewareServer,
  RegisteredToolInfo,
  ToolCallContext,
  ToolCallMiddleware,
} from './tool-call-middleware.js';
import type { ToolCallResult } from './tool-call-result.js';

const TOOLS_CALL = 'tools/call';
/** Marks our dispatcher and holds the interceptor on the low-level server; shared by every copy of this package. */
const INTERCEPTOR = Symbol.for('@mcp-resource-guard/tool-call-interceptor');
const DISPATCHER = Symbol.for('@mcp-resource-guard/tool-call-dispatcher');

type Marked = Record<symbol, unknown>;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/**
 * The per-call context handed to middlewares. It is also the request the guard's middleware hands core
 * (`StartCallInit.request`: `meta`, `protocolVersion`, `transport`), read only when an observer asks.
 */
class DispatchContext implements ToolCallContext {
  readonly toolName: string;
  readonly requestId: string | number;
  readonly sdkMajor: 1 | 2;
  readonly server: MiddlewareServer;
  readonly #sdk: SdkServer;
  readonly #params: Record<string, unknown>;
  readonly #extra: Record<string, unknown>;
  #provideSignal: (() => AbortSignal) | undefined;
  #sdkSignal: AbortSignal | undefined;
  #values: Map<ContextKey<unknown>, unknown> | undefined;

  constructor(
    sdk: SdkServer,
    server: MiddlewareServer,
    request: Record<string, unknown>,
    params: Record<string, unknown>,
    toolName: string,
    extra: Record<string, unknown>,
  ) {
    this.#sdk = sdk;
    this.server = server;
    this.#params = params;
    this.#extra = extra;
    this.toolName = toolName;
    this.sdkMajor = sdk.major;
    const id = request.id;
    this.requestId = typeof id === 'string' || typeof id === 'number' ? id : String(id);
  }

  get taskRequested(): boolean {
    return isObject(this.#params.task);
  }

  get arguments(): Readonly<Record<string, unknown>> | undefined {
    const args = this.#params.arguments;
    return isObject(args) ? args : undefined;
  }

  get sessionId(): string | undefined {
    const id = this.#extra.sessionId;
    return typeof id === 'string' ? id : undefined;
  }

  get meta(): Readonly<Record<string, unknown>> | undefined {
    const meta = this.#params._meta;
    return isObject(meta) ? meta : undefined;
  }

  get protocolVersion(): string | undefined {
    return protocolVersionOf(this.sdkMajor, this.#sdk.lowLevel, this.#extra);
  }

  get transport(): string | undefined {
    return transportOf(this.sdkMajor, this.#sdk.lowLevel, this.#extra);
  }

  get authInfo(): unknown {
    if (this.sdkMajor === 1) return this.#extra.authInfo;
    const http = this.#extra.http;
    return isObject(http) ? http.authInfo : undefined;
  }

  get tool(): RegisteredToolInfo | undefined {
    return registeredToolInfo(this.#sdk, this.toolName);
  }

  set<T>(key: ContextKey<T>, value: T): void {
    this.#values ??= callValues(this.#extra);
    this.#values.set(key as ContextKey<unknown>, value);
  }

  get<T>(key: ContextKey<T>): T | undefined {
    return this.#values?.get(key as ContextKey<unknown>) as T | undefined;
  }

  /** The SDK's own signal for this request (read before any middleware replaced it). */
  get sdkSignal(): AbortSignal {
    if (this.#sdkSignal === undefined) {
      const holder = this.sdkMajor === 1 ? this.#extra : (this.#extra.mcpReq as Record<string, unknown>);
      this.#sdkSignal = holder.signal as AbortSignal;
    }
    return this.#sdkSignal;
  }

  get signal(): AbortSignal {
    return this.#provideSignal === undefined ? this.sdkSignal : this.#provideSignal();
  }

  useSignal(provide: () => AbortSignal): void {
    if (this.#sdkSignal === undefined) void this.sdkSignal;
    this.#provideSignal = provide;
  }

  /** The extra/ctx to hand the SDK's handler: the SDK's own, unless a middleware replaced the signal. */
  handlerExtra(): Record<string, unknown> {
    if (this.#provideSignal === undefined) return this.#extra;
    // The SDK builds this object for this one request: its `signal` is swapped in place for a getter, read lazily
    // so that an unread signal costs nothing. In place, not on a copy with the getter on its prototype (~0.5 µs
    // less): the handler's `{ ...extra }` must keep its signal, as the SDK itself spreads it for task tools.
    const holder = this.sdkMajor === 1 ? this.#extra : (this.#extra.mcpReq as Record<string, unknown>);
    const ctx = this;
    Object.defineProperty(holder, 'signal', {
      configurable: true,
      enumerable: true,
      get(): AbortSignal {
        return ctx.signal;
      },
    });
    return this.#extra;
  }
}

function runChain(
  chain: readonly ToolCallMiddleware[],
  ctx: DispatchContext,
  terminal: () => Promise<ToolCallResult>,
): Promise<ToolCallResult> {
  let last = -1;
  const step = (index: number): Promise<ToolCallResult> => {
    if (index <= last) {
      return Promise.reject(
        new ResourceGuardError({
          code: ErrorCode.InvalidConfig,
          message: 'A tool-call middleware called next() more than once',
          hint: 'Call next() at most once per call; to retry, write the retry around your own work, not around next().',
          path: `middleware[${index - 1}]`,
          value: chain[index - 1],
        }),
      );
    }
    last = index;
    const middleware = chain[index];
    if (middleware === undefined) return terminal();
    try {
      return Promise.resolve(middleware(ctx, () => step(index + 1)));
    } catch (error) {
      return Promise.reject(error);
    }
  };
  return step(0);
}

/**
 * The dispatcher installed at one low-level server's `tools/call` handler, with the middlewares
 * that run around it. One per low-level server, whatever wrapper or copy of this package installed it.
 */
export class ToolCallInterceptor {
  sdk: SdkServer;
  readonly binding: ServerBinding;
  #chain: readonly ToolCallMiddleware[] = [];

  private constructor(sdk: SdkServer) {
    this.sdk = sdk;
    this.binding = new ServerBinding(sdk, sdk.mcpServer);
  }

  /**
   * The middlewares already installed on a server, by this copy of the package or another (creating nothing).
   *
   * @param sdk - the recognised server
   * @returns its middlewares, outermost first; none when nothing is installed
   */
  static installedMiddlewares(sdk: SdkServer): readonly ToolCallMiddleware[] {
    const existing = (sdk.lowLevel as unknown as Marked)[INTERCEPTOR];
    const middlewares = isObject(existing) ? existing.middlewares : undefined;
    return Array.isArray(middlewares) ? (middlewares as ToolCallMiddleware[]) : [];
  }

  /**
   * The interceptor of a server, installed on first use. Installing wraps the current `tools/call`
   * handler if there is one, and wraps any later one when the SDK installs or replaces it.
   *
   * @param sdk - the recognised server
   * @returns its interceptor
   */
  static for(sdk: SdkServer): ToolCallInterceptor {
    const holder = sdk.lowLevel as unknown as Marked;
    const existing = holder[INTERCEPTOR];
    if (existing instanceof ToolCallInterceptor) {
      // Bound through the low-level server first, and now given its McpServer: learn the registry.
      if (
        existing.sdk.registeredTools === undefined &&
        sdk.registeredTools !== undefined &&
        sdk.mcpServer !== undefined
      ) {
        existing.sdk = sdk;
        existing.binding.attachRegistry(sdk, sdk.mcpServer);
      }
      return existing;
    }
    if (existing !== undefined) {
      throw new ResourceGuardError({
        code: ErrorCode.UnsupportedSdk,
        message: 'Another copy of @mcp-resource-guard/sdk-middleware already intercepts this server',
        hint: 'Install one version of @mcp-resource-guard/sdk-middleware (check `npm ls @mcp-resource-guard/sdk-middleware`).',
      });
    }
    const interceptor = new ToolCallInterceptor(sdk);
    Object.defineProperty(holder, INTERCEPTOR, { value: interceptor });
    interceptor.#install();
    return interceptor;
  }

  /** The middlewares, outermost first. */
  get middlewares(): readonly ToolCallMiddleware[] {
    return this.#chain;
  }

  /**
   * Appends middlewares (innermost last). Calls already running keep the chain they started with.
   *
   * @param middlewares - to append
   */
  add(middlewares: readonly ToolCallMiddleware[]): void {
    for (const [i, middleware] of middlewares.entries()) {
      if (typeof middleware !== 'function') {
        throw new ResourceGuardError({
          code: ErrorCode.InvalidConfig,
          message: 'A tool-call middleware must be a function (ctx, next) => Promise<result>',
          hint: 'Pass the value returned by resourceMiddleware(), or your own async (ctx, next) => next() function.',
          path: `middlewares[${i}]`,
          value: middleware,
        });
      }
    }
    for (const middleware of middlewares) middleware.onInstall?.(this.binding);
    this.#chain = [...this.#chain, ...middlewares];
  }

  #install(): void {
    const lowLevel = this.sdk.lowLevel;
    if (this.sdk.major === 1) noteNegotiatedVersion(lowLevel);
    this.#wrapCurrent();
    const setRequestHandler = lowLevel.setRequestHandler;
    const interceptor = this;
    lowLevel.setRequestHandler = function setRequestHandlerIntercepted(this: unknown, ...args: unknown[]): unknown {
      const result = setRequestHandler.apply(this, args);
      interceptor.#wrapCurrent();
      return result;
    };
  }

  #wrapCurrent(): void {
    const handlers = this.sdk.lowLevel._requestHandlers;
    const current = handlers.get(TOOLS_CALL);
    if (current === undefined || (current as unknown as Marked)[DISPATCHER] === true) return;
    const dispatcher = (request: unknown, extra: unknown): unknown => this.#dispatch(current, request, extra);
    Object.defineProperty(dispatcher, DISPATCHER, { value: true });
    handlers.set(TOOLS_CALL, dispatcher);
  }

  #dispatch(handler: SdkRequestHandler, request: unknown, extra: unknown): unknown {
    const chain = this.#chain;
    if (chain.length === 0 || !isObject(request) || !isObject(extra)) return handler(request, extra);
    const params = request.params;
    // A malformed request goes straight to the SDK, which answers it exactly as it would unguarded.
    if (!isObject(params) || typeof params.name !== 'string') return handler(request, extra);
    if (this.sdk.major === 2 && !isObject(extra.mcpReq)) return handler(request, extra);
    const ctx = new DispatchContext(this.sdk, this.binding, request, params, params.name, extra);
    return runChain(chain, ctx, () => {
      try {
        return Promise.resolve(handler(request, ctx.handlerExtra()) as ToolCallResult | Promise<ToolCallResult>);
      } catch (error) {
        return Promise.reject(error);
      }
    });
  }
}
