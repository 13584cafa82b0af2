/** The guard's configuration: its shape, defaults and validation at construction. */

import { type Clock, systemClock } from './clock.js';
import { ErrorCode, ResourceGuardError } from './errors.js';
import { LIMIT_NAMES, type LimitName, type ResourceLimits } from './resource-limits.js';

/**
 * Options of {@link createResourceGuard} (and of `resourceMiddleware()`, which passes them on).
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({
 *   limits: { maxExecutionTimeMs: 30_000 },
 *   tools: { heavy: { maxMemoryMb: 512 }, 'fs_*': { maxFileHandles: 16 } },
 * });
 * ```
 */
export interface ResourceGuardOptions {
  /** Per-call limits applied to every tool unless `tools` says otherwise. Default: none. */
  readonly limits?: ResourceLimits;
  /**
   * Per-call limits for particular tools, by exact name or by a pattern in which `*` matches any
   * run of characters. An exact name wins over patterns; among patterns the first declared wins.
   * The entry replaces `limits` key by key.
   */
  readonly tools?: Readonly<Record<string, ResourceLimits>>;
  /** The monotonic clock; tests inject their own. Default: `performance.now()`. */
  readonly clock?: Clock;
}

/** Options after validation, with defaults filled in. */
export interface ResolvedGuardOptions {
  readonly limits: ResourceLimits;
  readonly exactTools: ReadonlyMap<string, ResourceLimits>;
  readonly patternTools: readonly { readonly pattern: RegExp; readonly limits: ResourceLimits }[];
  readonly clock: Clock;
}

const OPTION_KEYS = new Set(['limits', 'tools', 'clock']);
/** Limits counted in whole items, which may be zero ("none allowed"). */
const COUNT_LIMITS = new Set<LimitName>(['maxFileHandles', 'maxNetworkConnections']);

function invalid(path: string, value: unknown, allowed: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.InvalidConfig,
    message: 'Invalid resource guard option',
    hint: `Allowed: ${allowed}.`,
    path,
    value,
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Validates one set of limits.
 *
 * @param value - what the user passed
 * @param path - where it was passed, for the error
 * @returns a frozen copy holding only the given limits
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` naming the first bad key
 * @example
 * ```ts
 * import { validateLimits } from '@mcp-resource-guard/core';
 * validateLimits({ maxFileHandles: 8 }, 'limits');
 * ```
 */
export function validateLimits(value: unknown, path: string): ResourceLimits {
  if (!isPlainObject(value)) throw invalid(path, value, `an object with any of ${LIMIT_NAMES.join(', ')}`);
  const out: { -readonly [K in LimitName]?: number } = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!(LIMIT_NAMES as readonly string[]).includes(key)) {
      throw invalid(`${path}.${key}`, raw, `one of the limit keys ${LIMIT_NAMES.join(', ')}`);
    }
    const name = key as LimitName;
    if (raw === undefined) continue;
    if (COUNT_LIMITS.has(name)) {
      if (typeof raw !== 'number' || !Number.isSafeInteger(raw) || raw < 0) {
        throw invalid(`${path}.${key}`, raw, 'a whole number ≥ 0, or leave it out for no limit');
      }
    } else if (typeof raw !== 'number' || !Number.isFinite(raw) || raw <= 0) {
      throw invalid(`${path}.${key}`, raw, 'a finite number > 0, or leave it out for no limit');
    }
    out[name] = raw;
  }
  return Object.freeze(out);
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

/**
 * Validates the guard's options and fills in defaults. Nothing is applied unless everything is valid.
 *
 * @param options - what the user passed (anything: it is checked)
 * @returns the resolved options
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` naming the first bad option
 * @example
 * ```ts
 * import { resolveGuardOptions } from '@mcp-resource-guard/core';
 * const resolved = resolveGuardOptions({ limits: { maxExecutionTimeMs: 1000 } });
 * ```
 */
export function resolveGuardOptions(options: unknown): ResolvedGuardOptions {
  if (options === undefined) options = {};
  if (!isPlainObject(options)) throw invalid('options', options, 'an options object or nothing');
  for (const key of Object.keys(options)) {
    if (!OPTION_KEYS.has(key)) throw invalid(key, options[key], `one of the options ${[...OPTION_KEYS].join(', ')}`);
  }
  const limits = options.limits === undefined ? Object.freeze({}) : validateLimits(options.limits, 'limits');
  const exactTools = new Map<string, ResourceLimits>();
  const patternTools: { pattern: RegExp; limits: ResourceLimits }[] = [];
  if (options.tools !== undefined) {
    if (!isPlainObject(options.tools)) throw invalid('tools', options.tools, 'an object keyed by tool name or pattern');
    for (const [name, toolLimits] of Object.entries(options.tools)) {
      if (name.length === 0) throw invalid('tools', name, 'non-empty tool names or patterns');
      const validated = validateLimits(toolLimits, `tools.${name}`);
      if (name.includes('*')) patternTools.push({ pattern: patternToRegExp(name), limits: validated });
      else exactTools.set(name, validated);
    }
  }
  const clock = options.clock ?? systemClock;
  if (typeof clock !== 'object' || clock === null || typeof (clock as Clock).now !== 'function') {
    throw invalid('clock', clock, 'an object with a now() method returning milliseconds');
  }
  return { limits, exactTools, patternTools, clock: clock as Clock };
}
