/**
 * The attach: guards every `McpServer` and low-level `Server` the process connects, from any copy of the SDK,
 * with one guard created at the first connect. Fails open: a server it cannot guard runs unguarded, with one
 * line on stderr saying why.
 */

import {
  type GuardLogger,
  jsonLogger,
  LOG_LEVEL_ENV,
  type LogLevel,
  type ResourceGuardOptions,
} from '@mcp-resource-guard/core';
import { isResourceMiddleware, type ResourceMiddleware, resourceMiddleware } from './resource-middleware.js';
import { resolveSdkServer } from './sdk-server.js';
import { ToolCallInterceptor } from './tool-call-interceptor.js';
import { applyMiddleware } from './with-middleware.js';

/** Marks a `connect` the attach has wrapped, on any copy of the SDK and from any copy of this package. */
const WRAPPED = Symbol.for('@mcp-resource-guard/attach-connect');

const LEVELS: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/**
 * The attach's own log lines go where the guard's go, at the level the options or the environment set.
 *
 * @param options - the guard's options
 * @returns the logger, or undefined when logging is off
 */
export function attachLogger(options: ResourceGuardOptions): GuardLogger | undefined {
  const given = options.logger;
  if (given === false) return undefined;
  if (typeof given === 'object' && typeof (given as GuardLogger).warn === 'function') return given as GuardLogger;
  const fromOptions = (given as { level?: LogLevel } | undefined)?.level;
  const fromEnv = process.env[LOG_LEVEL_ENV] as LogLevel | undefined;
  const level = fromOptions ?? (fromEnv !== undefined && LEVELS.includes(fromEnv) ? fromEnv : 'info');
  return level === 'silent' ? undefined : jsonLogger({ level });
}

/** What the attach found and did, for `guarded` events and tests. */
export interface AttachStats {
  /** Servers guarded. */
  readonly guarded: number;
  /** Servers left alone because they install a resource middleware of their own. */
  readonly selfGuarded: number;
  /** Servers that could not be guarded, and ran unguarded. */
  readonly failed: number;
}

/** Guards the servers of a process as they connect. */
export class AutoAttach {
  readonly #options: ResourceGuardOptions;
  #logger: GuardLogger | undefined | null = null;
  readonly #seen = new WeakSet<object>();
  #guard: ResourceMiddleware | undefined;
  #broken = false;
  #guarded = 0;
  #selfGuarded = 0;
  #failed = 0;
  readonly #onGuard: ((guard: ResourceMiddleware) => void) | undefined;

  /**
   * @param options - the guard's options (validated already)
   * @param onGuard - called once, with the guard, when the first server is guarded
   */
  constructor(options: ResourceGuardOptions, onGuard?: (guard: ResourceMiddleware) => void) {
    this.#options = options;
    this.#onGuard = onGuard;
  }

  /** The attach's log, made at its first line (a logger on stderr is a handle). */
  get #log(): GuardLogger | undefined {
    if (this.#logger === null) this.#logger = attachLogger(this.#options);
    return this.#logger;
  }

  /** The guard, once a server has connected. */
  get guard(): ResourceMiddleware | undefined {
    return this.#guard;
  }

  /** What the attach has done so far. */
  get stats(): AttachStats {
    return { guarded: this.#guarded, selfGuarded: this.#selfGuarded, failed: this.#failed };
  }

  /**
   * Wraps the `connect` of the `McpServer` and `Server` classes a module of the SDK exports.
   *
   * @param exports - the module's namespace (ESM) or exports (CommonJS)
   * @param from - the module, for messages
   */
  patchModule(exports: unknown, from: string): void {
    if (typeof exports !== 'object' || exports === null) return;
    for (const name of ['McpServer', 'Server'] as const) {
      let cls: unknown;
      try {
        cls = (exports as Record<string, unknown>)[name];
      } catch {
        continue;
      }
      if (typeof cls === 'function') this.#wrapConnect(cls as { prototype: Record<string | symbol, unknown> }, from);
    }
  }

  #wrapConnect(cls: { prototype: Record<string | symbol, unknown> }, from: string): void {
    const proto = cls.prototype;
    const original = proto?.connect;
    if (typeof original !== 'function' || proto[WRAPPED] === true) return;
    const attach = this;
    Object.defineProperty(proto, 'connect', {
      configurable: true,
      writable: true,
      value: function connect(this: object, ...args: unknown[]): unknown {
        attach.guardServer(this, from);
        return (original as (...a: unknown[]) => unknown).apply(this, args);
      },
    });
    Object.defineProperty(proto, WRAPPED, { value: true });
  }

  /**
   * Guards one server, once: skipped when it installs a resource middleware of its own; failing open.
   *
   * @param server - an `McpServer` or low-level `Server` about to connect
   * @param from - the SDK module its class came from, for messages
   */
  guardServer(server: object, from: string): void {
    if (this.#seen.has(server) || this.#broken) return;
    this.#seen.add(server);
    try {
      const sdk = resolveSdkServer(server);
      // An McpServer's connect connects its low-level server next: that one is this server.
      this.#seen.add(sdk.lowLevel);
      if (ToolCallInterceptor.installedMiddlewares(sdk).some(isResourceMiddleware)) {
        this.#selfGuarded++;
        return;
      }
      if (this.#guard === undefined) {
        this.#guard = resourceMiddleware(this.#options);
        this.#onGuard?.(this.#guard);
      }
      applyMiddleware(server, this.#guard);
      this.#guarded++;
      this.#log?.info(
        {
          event: 'server_guarded',
          server: sdk.mcpServer === undefined ? 'Server' : 'McpServer',
          sdkMajor: sdk.major,
          module: from,
        },
        `guarding the ${sdk.mcpServer === undefined ? 'low-level Server' : 'McpServer'} (SDK v${sdk.major})`,
      );
    } catch (error) {
      this.#failed++;
      if (this.#guard === undefined) this.#broken = true;
      this.#warn(server, error);
    }
  }

  #warn(server: object, error: unknown): void {
    const reason = error instanceof Error ? error.message : String(error);
    const line = {
      event: 'server_unguarded',
      server: server.constructor?.name,
      reason,
    };
    if (this.#log !== undefined) this.#log.warn(line, `running the server unguarded: ${reason}`);
    else process.stderr.write(`mcp-resource-guard: running the server unguarded: ${reason}\n`);
  }
}
