/** Typed errors: every error the guard shows a user carries a code, the offending value and what to do. */

const brand: unique symbol = Symbol.for('@mcp-resource-guard/error');

/**
 * Every code a {@link ResourceGuardError} can carry.
 *
 * - `INVALID_CONFIG`: an option passed at construction is out of range, of the wrong type or unknown.
 * - `NO_CALL_CONTEXT`: a call-context API was used outside a tool call.
 * - `UNSUPPORTED_SDK`: the MCP SDK instance does not look like a supported version.
 * - `GUARD_CLOSED`: the guard was used after `close()`.
 * - `LIMIT_EXCEEDED`: a call was stopped because a resource limit was reached.
 * - `THROTTLED`: a call was not admitted because its tool or session is throttled; retry later.
 * - `TOOL_DEACTIVATED`: the tool is deactivated (emergency cool-down or disabled); retry later.
 * - `TASK_CANCELLED`: a task-augmented call was stopped because its client cancelled the task (`tasks/cancel`).
 * - `TASK_EXPIRED`: a task-augmented call was stopped because its task outlived its TTL.
 * - `WORKER_FAILED`: the worker thread running an isolated tool's call died (an uncaught exception,
 *   `process.exit()`, a failed start) before it answered.
 *
 * @example
 * ```ts
 * import { createResourceGuard, ErrorCode, ResourceGuardError } from '@mcp-resource-guard/core';
 * try {
 *   createResourceGuard({ limits: { perCall: { maxMemoryMb: -1 } } });
 * } catch (e) {
 *   // e.path: 'limits.maxMemoryMb'; e.hint: what is allowed there
 *   if (ResourceGuardError.is(e) && e.code === ErrorCode.InvalidConfig) console.error(e.path, e.hint);
 * }
 * ```
 */
export const ErrorCode = {
  InvalidConfig: 'INVALID_CONFIG',
  NoCallContext: 'NO_CALL_CONTEXT',
  UnsupportedSdk: 'UNSUPPORTED_SDK',
  GuardClosed: 'GUARD_CLOSED',
  LimitExceeded: 'LIMIT_EXCEEDED',
  Throttled: 'THROTTLED',
  ToolDeactivated: 'TOOL_DEACTIVATED',
  TaskCancelled: 'TASK_CANCELLED',
  TaskExpired: 'TASK_EXPIRED',
  WorkerFailed: 'WORKER_FAILED',
} as const;

/** The union of {@link ErrorCode} values. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * Constructor input of {@link ResourceGuardError}.
 *
 * @example
 * ```ts
 * import { ErrorCode, ResourceGuardError, type ResourceGuardErrorInit } from '@mcp-resource-guard/core';
 * const init: ResourceGuardErrorInit = {
 *   code: ErrorCode.InvalidConfig,
 *   message: 'Invalid tool option',
 *   hint: 'Use a positive number of milliseconds.',
 *   path: 'tools.search.timeoutMs',
 *   value: -5,
 * };
 * console.error(new ResourceGuardError(init).message);
 * // 'Invalid tool option (at tools.search.timeoutMs: -5). Use a positive number of milliseconds.'
 * ```
 */
export interface ResourceGuardErrorInit {
  /** Machine-readable code. */
  code: ErrorCode;
  /** What went wrong, in one sentence. */
  message: string;
  /** What to do about it. */
  hint: string;
  /** Dotted path of the offending option or field, where there is one (e.g. `tools.search.maxMemoryMb`). */
  path?: string;
  /** The offending value, where there is one. */
  value?: unknown;
  /** Structured detail specific to the code. */
  data?: Readonly<Record<string, unknown>>;
  /** The underlying error, if any. */
  cause?: unknown;
}

/**
 * The one error class the guard throws or puts in an `AbortSignal.reason`.
 *
 * `instanceof` works across duplicate installed copies of the package because the check is done by
 * a global symbol brand; prefer {@link ResourceGuardError.is} in library code.
 *
 * @example
 * ```ts
 * import { ResourceGuardError } from '@mcp-resource-guard/core';
 * const err = new ResourceGuardError({ code: 'INVALID_CONFIG', message: 'bad', hint: 'fix it', path: 'limits.maxMemoryMb', value: -1 });
 * console.log(err.code, err.path, err.value, err.hint);
 * ```
 */
export class ResourceGuardError extends Error {
  /** Machine-readable code. */
  readonly code: ErrorCode;
  /** What to do about it. */
  readonly hint: string;
  /** Dotted path of the offending option or field, if any. */
  readonly path: string | undefined;
  /** The offending value, if any. */
  readonly value: unknown;
  /** Structured detail specific to the code. */
  readonly data: Readonly<Record<string, unknown>> | undefined;

  constructor(init: ResourceGuardErrorInit) {
    const where = init.path === undefined ? '' : ` (at ${init.path}: ${describeValue(init.value)})`;
    super(`${init.message}${where}. ${init.hint}`, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = 'ResourceGuardError';
    this.code = init.code;
    this.hint = init.hint;
    this.path = init.path;
    this.value = init.value;
    this.data = init.data;
  }

  /**
   * True when `value` is a {@link ResourceGuardError}, from this copy of the package or another.
   *
   * @param value - anything caught
   * @returns whether it is a guard error
   * @example
   * ```ts
   * import { getCallContext, ResourceGuardError } from '@mcp-resource-guard/core';
   * // Inside a tool: why was the call's signal aborted?
   * const { signal } = getCallContext();
   * signal.addEventListener('abort', () => {
   *   if (ResourceGuardError.is(signal.reason)) console.error(signal.reason.code, signal.reason.hint);
   * });
   * ```
   */
  static is(value: unknown): value is ResourceGuardError {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // `this` is the class on the right of `instanceof`, so subclasses check with their own `is`.
    // biome-ignore lint/complexity/noThisInStatic: deliberate, see above
    return this.is(value);
  }
}

Object.defineProperty(ResourceGuardError.prototype, brand, { value: true });

/**
 * Renders a value for an error message: short, safe for any input.
 *
 * @param value - the value to describe
 * @returns a one-line rendering, at most about 80 characters
 * @example
 * ```ts
 * import { describeValue } from '@mcp-resource-guard/core/internal';
 * describeValue(Number.NaN); // 'NaN'
 * describeValue('x'.repeat(100)); // '"xxxx…"' (the first 60 characters, quoted)
 * describeValue([1, 2, 3]); // 'an array of 3'
 * ```
 */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  if (value === undefined || value === null) return String(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'symbol') return value.toString();
  return 'an object';
}
