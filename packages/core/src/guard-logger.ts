/**
 * The operator's log: one structured line per thing an operator should know (a leak closed, a call stopped, a
 * tool deactivated), written by a pino-compatible logger. The built-in one writes pino's JSON lines to stderr,
 * never stdout (stdout is the protocol of a stdio server).
 */

import { hostname } from 'node:os';

/**
 * Log levels, pino's names; `silent` logs nothing.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LogLevel } from '@mcp-resource-guard/core';
 * const level: LogLevel = 'warn'; // leaks closed, calls stopped, tools turned off; not the `info` lines
 * const guard = createResourceGuard({ logger: { level } });
 * ```
 */
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** The numeric value pino writes for each level. */
const LEVEL_VALUES: Readonly<Record<LogLevel, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
});

/** The level names, for validation messages. */
export const LOG_LEVELS: readonly LogLevel[] = Object.freeze(Object.keys(LEVEL_VALUES) as LogLevel[]);

/**
 * The environment variable that sets the built-in logger's level when the `logger` option names none (an
 * unknown level fails the guard's construction with `INVALID_CONFIG`).
 *
 * @example
 * ```ts
 * import { createResourceGuard, LOG_LEVEL_ENV } from '@mcp-resource-guard/core';
 * // As an operator would set it: MCP_RESOURCE_GUARD_LOG_LEVEL=warn node server.js
 * process.env[LOG_LEVEL_ENV] = 'warn';
 * const guard = createResourceGuard(); // logs warnings and errors only
 * ```
 */
export const LOG_LEVEL_ENV = 'MCP_RESOURCE_GUARD_LOG_LEVEL';

/**
 * What the guard logs through: the four methods of a pino logger it uses, called as pino's are, with the fields
 * first and the message second. A pino logger (or a child of one) is one as it is.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type GuardLogger } from '@mcp-resource-guard/core';
 * // Any pino logger works as it is: createResourceGuard({ logger: pino({ level: 'info' }) }).
 * const lines: string[] = [];
 * const logger: GuardLogger = {
 *   debug: () => {},
 *   info: (fields, message) => lines.push(`info ${message}`),
 *   warn: (fields, message) => lines.push(`warn ${message} ${JSON.stringify(fields)}`),
 *   error: (fields, message) => lines.push(`error ${message}`),
 * };
 * const guard = createResourceGuard({ logger });
 * ```
 */
export interface GuardLogger {
  /** Detail an operator asks for when looking into something (a call near a limit). */
  debug(fields: Record<string, unknown>, message: string): void;
  /** What the operator chose and may want to see (a leak left open by the `report` policy, a tool back on). */
  info(fields: Record<string, unknown>, message: string): void;
  /** What the guard had to do (a leak closed, a call stopped, a blocked event loop). */
  warn(fields: Record<string, unknown>, message: string): void;
  /** What took a tool or the server out of service, and the guard's own failures. */
  error(fields: Record<string, unknown>, message: string): void;
}

/**
 * Options of the built-in logger.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type JsonLoggerOptions } from '@mcp-resource-guard/core';
 * const logger: JsonLoggerOptions = { level: 'warn' };
 * const guard = createResourceGuard({ logger });
 * ```
 */
export interface JsonLoggerOptions {
  /**
   * The lowest level written. Default: the `MCP_RESOURCE_GUARD_LOG_LEVEL` environment variable, else `info`.
   */
  readonly level?: LogLevel;
  /** Where lines go. Default: `process.stderr`. */
  readonly destination?: { write(line: string): unknown };
}

/**
 * Whether a value names a log level.
 *
 * @param value - any value
 * @returns true for one of {@link LOG_LEVELS}
 */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(LEVEL_VALUES, value);
}

/**
 * The built-in logger: one JSON line per entry, in pino's format (`level` as a number, `time` in epoch
 * milliseconds, `pid`, `hostname`, `name`, the fields, `msg`), so that pino's tools (`pino-pretty`) and log
 * pipelines read it as they read pino's.
 *
 * @param options - its level and destination
 * @returns the logger
 * @example
 * ```ts
 * import { jsonLogger } from '@mcp-resource-guard/core';
 * const logger = jsonLogger({ level: 'warn' });
 * logger.warn({ tool: 'fetch', callId: '7' }, 'closed 2 handles the call left open');
 * // stderr: {"level":40,"time":…,"pid":…,"hostname":"…","name":"mcp-resource-guard","tool":"fetch","callId":"7","msg":"closed 2 handles the call left open"}
 * ```
 */
export function jsonLogger(options: {
  readonly level: LogLevel;
  readonly destination?: JsonLoggerOptions['destination'];
}): GuardLogger {
  const threshold = LEVEL_VALUES[options.level];
  // process.stderr is made on first use: taken at the first line, so that a guard that logs nothing makes no handle.
  const given = options.destination;
  const base = `"pid":${process.pid},"hostname":${JSON.stringify(hostname())},"name":"mcp-resource-guard"`;
  const writer =
    (level: LogLevel) =>
    (fields: Record<string, unknown>, message: string): void => {
      if (LEVEL_VALUES[level] < threshold) return;
      let body: string;
      try {
        body = JSON.stringify({ ...fields, msg: message }, jsonSafe).slice(1);
      } catch {
        body = JSON.stringify({ msg: message }).slice(1);
      }
      (given ?? process.stderr).write(`{"level":${LEVEL_VALUES[level]},"time":${Date.now()},${base},${body}\n`);
    };
  return { debug: writer('debug'), info: writer('info'), warn: writer('warn'), error: writer('error') };
}

/** Errors as their name, message and code; big integers as strings. */
function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) {
    const code = (value as { code?: unknown }).code;
    return { type: value.name, message: value.message, ...(code === undefined ? {} : { code }) };
  }
  return typeof value === 'bigint' ? value.toString() : value;
}
