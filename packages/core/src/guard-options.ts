/** The guard's configuration: its shape, defaults and validation at construction. */

import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type AuditSink, MemoryAuditSink } from './audit-log.js';
import { type Clock, systemClock } from './clock.js';
import { ErrorCode, ResourceGuardError } from './errors.js';
import type { AggregateLimits, GuardLimits, ToolLimits } from './guard-limits.js';
import {
  type GuardLogger,
  isLogLevel,
  type JsonLoggerOptions,
  jsonLogger,
  LOG_LEVEL_ENV,
  LOG_LEVELS,
  type LogLevel,
} from './guard-logger.js';
import type { LeakPolicy, LeakPolicyOptions } from './leak-policy.js';
import { DEFAULT_THRESHOLDS, type LevelThresholds, LIMIT_LEVELS, type LimitLevel } from './limit-level.js';
import type { ProbeOptions } from './probes/probe-set.js';
import { checkTempRoot } from './probes/temp-storage.js';
import {
  COUNTED_RESOURCES,
  LIMIT_NAMES,
  LIMITED_RESOURCE,
  type LimitName,
  type ResourceLimits,
} from './resource-limits.js';
import { RESOURCE_NAMES, type ResourceName } from './resource-usage.js';
import { type Scheduler, systemScheduler } from './scheduler.js';
import { ToolPatterns } from './tool-patterns.js';
import type { UsageSource } from './usage-source.js';

/**
 * How usage samples become levels. See the README for the meaning of each level.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LevelOptions } from '@mcp-resource-guard/core';
 * // Warn earlier, and let memory hold a level for 5 samples before the guard acts on it.
 * const levels: LevelOptions = { thresholds: { warn: 0.6 }, dwellSamples: { memoryMb: 5 }, hysteresis: 0.05 };
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 256 } }, levels });
 * ```
 */
export interface LevelOptions {
  /** Fractions of the limit where each level starts; strictly increasing. Default 0.75 / 0.9 / 1 / 1.5. */
  readonly thresholds?: Partial<LevelThresholds>;
  /**
   * Consecutive samples a level must hold before it is entered or left: one number for every resource,
   * or per resource. Default: 1 for exact counts and clocks (handles, connections, execution time, temp
   * storage, CPU time), 3 for the noisy ones (memory, CPU percent).
   */
  readonly dwellSamples?: number | Partial<Record<ResourceName, number>>;
  /** Fraction of the limit below a threshold that usage must fall to leave its level. Default 0.05. */
  readonly hysteresis?: number;
}

/**
 * How often the guard samples, by tool state (specification: tracking frequency follows the lifecycle).
 *
 * @example
 * ```ts
 * import { createResourceGuard, type SamplingOptions } from '@mcp-resource-guard/core';
 * // Sample calls in flight every 25 ms: a 100 ms execution-time limit is then held to within 25 ms.
 * const sampling: SamplingOptions = { activeMs: 25 };
 * const guard = createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 100 } }, sampling });
 * ```
 */
export interface SamplingOptions {
  /** While the tool has calls in flight. Default 50 ms; this is also the precision of the execution-time limit. */
  readonly activeMs?: number;
  /** While the tool is registered but idle. Default 1000 ms. */
  readonly idleMs?: number;
  /** While the tool is deactivated. Default 5000 ms. */
  readonly deactivatedMs?: number;
}

/**
 * Admission control while throttled.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type ThrottleOptions } from '@mcp-resource-guard/core';
 * // While throttled, at most 8 calls wait, each for at most 500 ms; refused clients are told to retry in 2 s.
 * // Refusals made at once are answered after 250 ms, so that a client retrying in a loop is slowed down.
 * const throttle: ThrottleOptions = { maxQueue: 8, maxWaitMs: 500, retryAfterMs: 2000, refusalDelayMs: 250 };
 * const guard = createResourceGuard({ limits: { perTool: { maxCpuPercent: 200 } }, throttle });
 * ```
 */
export interface ThrottleOptions {
  /** Calls that may wait per tool, session or process. Default 16. */
  readonly maxQueue?: number;
  /** How long a call may wait before it is rejected. Default 2000 ms. */
  readonly maxWaitMs?: number;
  /** The retry-after hint given to rejected clients. Default 1000 ms. */
  readonly retryAfterMs?: number;
  /**
   * How long the answer to a call refused at once (queue full, tool in its emergency cool-down, session or
   * process blocked) is held back. A client that retries without heeding `retryAfterMs` then costs the
   * server one refusal per hold for each call it keeps in flight, instead of one per round trip, and the
   * other sessions keep their latency. The refusal itself (events, audit, counts) is made at once; a client
   * that cancels gets its answer at once. 0 answers at once. Default 100 ms.
   */
  readonly refusalDelayMs?: number;
  /** How many refusals may be held back at once in the process; more are answered at once. Default 1024. */
  readonly maxHeldRefusals?: number;
}

/**
 * What the emergency level does.
 *
 * @example
 * ```ts
 * import { createResourceGuard, type EmergencyOptions } from '@mcp-resource-guard/core';
 * // Under a supervisor (systemd, Kubernetes): exit at a process-scope emergency and let it restart the server.
 * const emergency: EmergencyOptions = { coolDownMs: 10_000, exitProcess: true };
 * const guard = createResourceGuard({ limits: { process: { maxMemoryMb: 2048 } }, emergency });
 * ```
 */
export interface EmergencyOptions {
  /** How long a tool stays deactivated before a half-open probe call. Default 30 000 ms. */
  readonly coolDownMs?: number;
  /** Cool-down doubles after each failed probe, up to this. Default 300 000 ms. */
  readonly maxCoolDownMs?: number;
  /** At a process-scope emergency, exit the process (for a supervisor to restart). Default false. */
  readonly exitProcess?: boolean;
  /** The exit code used then. Default 70 (EX_SOFTWARE). */
  readonly exitCode?: number;
}

/**
 * Time bounds of cleanup.
 *
 * @example
 * ```ts
 * import { type CleanupOptions, createResourceGuard } from '@mcp-resource-guard/core';
 * // Give graceful closes 100 ms, and each step of the cleanup one second.
 * const cleanup: CleanupOptions = { graceMs: 100, stepTimeoutMs: 1000 };
 * const guard = createResourceGuard({ cleanup });
 * ```
 */
export interface CleanupOptions {
  /** Grace period of graceful closes (socket end, SIGTERM) before forced ones. Default 200 ms. */
  readonly graceMs?: number;
  /** Bound on each step of the sequence. Default 2000 ms. */
  readonly stepTimeoutMs?: number;
}

/**
 * Adaptive limits: derive per-call limits from observed usage, within the owner's caps, and cap a
 * tool's concurrency after repeated cleanups.
 *
 * @example
 * ```ts
 * import { type AdaptiveOptions, createResourceGuard } from '@mcp-resource-guard/core';
 * // Once a tool has 50 finished calls, its limits become p99 × 3 of what they used (never above these caps).
 * const adaptive: AdaptiveOptions = { headroom: 3, minSamples: 50 };
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 512, maxExecutionTimeMs: 60_000 } }, adaptive });
 * ```
 */
export interface AdaptiveOptions {
  /** Limit = p99 of the window × headroom (never above the configured limit). Default 2. */
  readonly headroom?: number;
  /** Finished calls needed before adaptive limits apply. Default 30. */
  readonly minSamples?: number;
  /** Cleanups in a row (without a clean call between) before the tool's concurrency is capped. Default 2. */
  readonly cleanupsBeforeCap?: number;
}

/**
 * Options of {@link createResourceGuard} (and of `resourceMiddleware()`, which passes them on).
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({
 *   limits: {
 *     perCall: { maxExecutionTimeMs: 30_000, maxFileHandles: 64 },
 *     perSession: { maxNetworkConnections: 100 },
 *   },
 *   tools: { heavy: { perCall: { maxMemoryMb: 512 }, perTool: { maxConcurrentCalls: 2 } }, 'fs_*': { perCall: { maxFileHandles: 16 } } },
 * });
 * ```
 */
export interface ResourceGuardOptions {
  /**
   * What each call, each tool (its calls together), each session (its calls together) and the process
   * may use: `{ perCall, perTool, perSession, process }`. Default: no limits.
   */
  readonly limits?: GuardLimits;
  /**
   * Particular tools' own `perCall` and `perTool` limits, by exact name or by a pattern in which `*`
   * matches any run of characters. An exact name wins over patterns; among patterns the first declared
   * wins. The entry replaces `limits.perCall` and `limits.perTool` key by key.
   */
  readonly tools?: Readonly<Record<string, ToolLimits>>;
  /** Thresholds, dwell and hysteresis of the graduated levels. */
  readonly levels?: LevelOptions;
  /** Sampling intervals by tool state. */
  readonly sampling?: SamplingOptions;
  /** Admission control while throttled. */
  readonly throttle?: ThrottleOptions;
  /** Emergency deactivation and cool-down. */
  readonly emergency?: EmergencyOptions;
  /** Time bounds of cleanup. */
  readonly cleanup?: CleanupOptions;
  /**
   * What to do with handles a call still holds when it ends: close them (`close`, the default) or leave them
   * running and only report them (`report`), for every tool, or per tool by exact name or `*` pattern (an exact
   * name wins over patterns; among patterns the first declared wins). `report` is for tools that start background
   * work on purpose (a timer that logs every 5 s, a watcher); a call the guard stopped is cleaned up whatever
   * the policy.
   */
  readonly leaks?: LeakPolicy | LeakPolicyOptions;
  /**
   * The operator's log: one structured line for each leak closed (or left open by the `report` policy), call
   * stopped, tool or session deactivated or back, blocked event loop and internal failure. Default: pino's JSON
   * lines on stderr (never stdout) at level `info`, or the level named by the `MCP_RESOURCE_GUARD_LOG_LEVEL`
   * environment variable; `{ level }` to choose it; any pino logger to log through it; `false` for none.
   */
  readonly logger?: false | GuardLogger | JsonLoggerOptions;
  /** Where audit entries go. Default: an in-memory ring of 1000 entries, readable with `guard.audit()`. */
  readonly audit?: { readonly sink?: AuditSink; readonly capacity?: number };
  /** Finished calls kept per tool for percentiles. Default 128. */
  readonly historySize?: number;
  /** Adaptive limits; off unless given (`true` for the defaults). */
  readonly adaptive?: boolean | AdaptiveOptions;
  /**
   * Which built-in probes attribute files, sockets, timers, processes, CPU and memory to calls
   * automatically. Default: all (`true`); `false` for none.
   */
  readonly probes?: boolean | ProbeOptions;
  /**
   * The blocked-event-loop watchdog (one worker thread per process, about 10 MB): a loop blocked longer
   * than `thresholdMs` (default 1000) is reported when it recovers, naming the call that was running;
   * with `exitProcess`, the process is killed (SIGKILL) for a supervisor to restart. Default: on,
   * report only. `false` turns it off.
   */
  readonly watchdog?: boolean | { readonly thresholdMs?: number; readonly exitProcess?: boolean };
  /**
   * Where `ctx.tempDir()` creates per-call directories (each with `mkdtemp`, mode 0700). An absolute
   * path. Default: `<os tmpdir>/mcp-resource-guard-<pid>`.
   *
   * Checked at construction, without creating anything (and only once every other option is valid): if
   * the root exists, it must be a real directory, not a symbolic link (its ancestors may be links, like
   * `/tmp` on macOS), owned by the server's user, writable by it and by no one else; if it does not, its
   * nearest existing ancestor must be a directory the server can write. A root writable by group or
   * others is refused rather than chmod-ed: a chmod cannot undo what another user already put there,
   * and the guard does not change the permissions of a directory it was given. The root is created
   * (mode 0700) at the first `tempDir()`, where it is checked again, since another user may have
   * created it in between. The default root is a predictable name in a shared directory, so it gets the
   * same checks when it already exists (another user may have planted it); whether it can be created
   * is left to the first `tempDir()`, so a server that never asks for a temp dir does not need a
   * writable tmpdir.
   */
  readonly tempRoot?: string;
  /** Extra usage sources sampled on every tick, after the built-in ones. */
  readonly sources?: readonly UsageSource[];
  /** The monotonic clock; tests inject their own. Default: `performance.now()`. */
  readonly clock?: Clock;
  /** The sampler's timer; tests inject their own. Default: unref'd `setTimeout`. */
  readonly scheduler?: Scheduler;
}

/**
 * Options after validation, with defaults filled in.
 *
 * @example
 * ```ts
 * import { type ResolvedGuardOptions, resolveGuardOptions } from '@mcp-resource-guard/core/internal';
 * const resolved: ResolvedGuardOptions = resolveGuardOptions({ sampling: { activeMs: 25 } });
 * resolved.sampling; // { activeMs: 25, idleMs: 1000, deactivatedMs: 5000 }
 * resolved.thresholds; // { warn: 0.75, throttle: 0.9, cleanup: 1, emergency: 1.5 }
 * ```
 */
export interface ResolvedGuardOptions {
  readonly perCall: ResourceLimits;
  readonly perTool: AggregateLimits;
  readonly perSession: AggregateLimits;
  readonly process: AggregateLimits;
  /** The `tools` entries, by exact name or pattern. */
  readonly tools: ToolPatterns<ToolLimits>;
  readonly thresholds: LevelThresholds;
  readonly dwellSamples: Readonly<Record<ResourceName, number>>;
  readonly hysteresis: number;
  readonly sampling: Required<SamplingOptions>;
  readonly throttle: Required<ThrottleOptions>;
  readonly emergency: Required<EmergencyOptions>;
  readonly cleanup: Required<CleanupOptions>;
  readonly leaks: { readonly default: LeakPolicy; readonly tools: ToolPatterns<LeakPolicy> };
  /** The operator's log; `undefined` with `logger: false`. */
  readonly logger: GuardLogger | undefined;
  readonly auditSink: AuditSink;
  readonly memoryAudit: MemoryAuditSink | undefined;
  readonly historySize: number;
  readonly adaptive: Required<AdaptiveOptions> | undefined;
  readonly sources: readonly UsageSource[];
  readonly probes: Required<ProbeOptions>;
  readonly watchdog: { readonly thresholdMs: number; readonly exitProcess: boolean } | undefined;
  readonly tempRoot: string;
  readonly clock: Clock;
  readonly scheduler: Scheduler;
}

const OPTION_KEYS = [
  'limits',
  'tools',
  'levels',
  'sampling',
  'throttle',
  'emergency',
  'cleanup',
  'leaks',
  'logger',
  'audit',
  'historySize',
  'adaptive',
  'sources',
  'probes',
  'watchdog',
  'tempRoot',
  'clock',
  'scheduler',
] as const;
const NOISY_RESOURCES = new Set<ResourceName>(['memoryMb', 'cpuPercent']);

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

function checkKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw invalid(path === '' ? key : `${path}.${key}`, value[key], `one of ${allowed.join(', ')}`);
    }
  }
}

function objectAt(value: unknown, path: string, what: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalid(path, value, what);
  return value;
}

interface NumberRule {
  readonly min: number;
  readonly exclusiveMin?: boolean;
  readonly max?: number;
  readonly exclusiveMax?: boolean;
  readonly integer?: boolean;
}

function numberAt(value: unknown, path: string, fallback: number, rule: NumberRule): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (rule.exclusiveMin ? value > rule.min : value >= rule.min) &&
    (rule.max === undefined || (rule.exclusiveMax ? value < rule.max : value <= rule.max)) &&
    (!rule.integer || Number.isSafeInteger(value));
  if (!ok) {
    const lower = `${rule.exclusiveMin ? '>' : '≥'} ${rule.min}`;
    const upper = rule.max === undefined ? '' : ` and ${rule.exclusiveMax ? '<' : '≤'} ${rule.max}`;
    throw invalid(path, value, `${rule.integer ? 'a whole number' : 'a finite number'} ${lower}${upper}`);
  }
  return value as number;
}

/**
 * Validates one set of limits.
 *
 * @param value - what the user passed
 * @param path - where it was passed, for the error
 * @param exclude - limit keys not allowed at this scope
 * @param also - other keys the caller accepts (and took out of `value` first), named in the error
 * @returns a frozen copy holding only the given limits
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` naming the first bad key
 * @example
 * ```ts
 * import { validateLimits } from '@mcp-resource-guard/core/internal';
 * validateLimits({ maxFileHandles: 8 }, 'limits');
 * ```
 */
export function validateLimits(
  value: unknown,
  path: string,
  exclude: readonly LimitName[] = [],
  also: readonly string[] = [],
): ResourceLimits {
  const allowed = [...LIMIT_NAMES.filter((name) => !exclude.includes(name)), ...also];
  if (!isPlainObject(value)) throw invalid(path, value, `an object with any of ${allowed.join(', ')}`);
  const out: { -readonly [K in LimitName]?: number } = {};
  for (const [key, raw] of Object.entries(value)) {
    if (!(allowed as readonly string[]).includes(key)) {
      const why = (LIMIT_NAMES as readonly string[]).includes(key) ? ' (not at this scope)' : '';
      throw invalid(`${path}.${key}`, raw, `one of the limit keys ${allowed.join(', ')}${why}`);
    }
    const name = key as LimitName;
    if (raw === undefined) continue;
    out[name] = COUNTED_RESOURCES.has(LIMITED_RESOURCE[name])
      ? numberAt(raw, `${path}.${key}`, 0, { min: 0, integer: true })
      : numberAt(raw, `${path}.${key}`, 0, { min: 0, exclusiveMin: true });
  }
  return Object.freeze(out);
}

const isLeakPolicy = (value: unknown): value is LeakPolicy => value === 'close' || value === 'report';

function resolveLeaks(value: unknown): ResolvedGuardOptions['leaks'] {
  if (value === undefined || isLeakPolicy(value)) return { default: value ?? 'close', tools: new ToolPatterns() };
  const given = objectAt(value, 'leaks', "'close', 'report', or an object with default and tools");
  checkKeys(given, 'leaks', ['default', 'tools']);
  if (given.default !== undefined && !isLeakPolicy(given.default)) {
    throw invalid('leaks.default', given.default, "'close' or 'report'");
  }
  const tools = objectAt(given.tools, 'leaks.tools', 'an object keyed by tool name or pattern');
  for (const [name, policy] of Object.entries(tools)) {
    if (name.length === 0) throw invalid('leaks.tools', name, 'non-empty tool names or patterns');
    if (!isLeakPolicy(policy)) throw invalid(`leaks.tools.${name}`, policy, "'close' or 'report'");
  }
  return {
    default: (given.default as LeakPolicy | undefined) ?? 'close',
    tools: new ToolPatterns(tools as Record<string, LeakPolicy>),
  };
}

function resolveLogger(value: unknown): GuardLogger | undefined {
  if (value === false) return undefined;
  if (isObjectWith(value, 'warn')) {
    for (const method of ['debug', 'info', 'warn', 'error'] as const) {
      if (!isObjectWith(value, method)) {
        throw invalid(
          'logger',
          value,
          'a pino-compatible logger (debug, info, warn and error methods), { level }, or false',
        );
      }
    }
    return value as GuardLogger;
  }
  const given = value === undefined || value === true ? {} : objectAt(value, 'logger', 'a logger, { level }, or false');
  checkKeys(given, 'logger', ['level', 'destination']);
  if (given.destination !== undefined && !isObjectWith(given.destination, 'write')) {
    throw invalid('logger.destination', given.destination, 'an object with a write(line) method');
  }
  let level: LogLevel;
  if (given.level !== undefined) {
    if (!isLogLevel(given.level)) throw invalid('logger.level', given.level, `one of ${LOG_LEVELS.join(', ')}`);
    level = given.level;
  } else {
    const fromEnv = process.env[LOG_LEVEL_ENV];
    if (fromEnv !== undefined && fromEnv !== '' && !isLogLevel(fromEnv)) {
      throw invalid(`environment ${LOG_LEVEL_ENV}`, fromEnv, `one of ${LOG_LEVELS.join(', ')}`);
    }
    level = fromEnv === undefined || fromEnv === '' ? 'info' : (fromEnv as LogLevel);
  }
  if (level === 'silent') return undefined;
  return jsonLogger({
    level,
    ...(given.destination === undefined ? {} : { destination: given.destination as JsonLoggerOptions['destination'] }),
  });
}

function resolveThresholds(value: unknown, path: string): LevelThresholds {
  const given = objectAt(value, path, 'an object with warn, throttle, cleanup, emergency');
  checkKeys(given, path, LIMIT_LEVELS);
  const out = {} as Record<LimitLevel, number>;
  let previous = 0;
  for (const level of LIMIT_LEVELS) {
    const v = numberAt(given[level], `${path}.${level}`, DEFAULT_THRESHOLDS[level], { min: 0, exclusiveMin: true });
    if (v <= previous) {
      throw invalid(`${path}.${level}`, v, `thresholds strictly increasing warn < throttle < cleanup < emergency`);
    }
    out[level] = v;
    previous = v;
  }
  return Object.freeze(out);
}

function resolveDwell(value: unknown, path: string): Record<ResourceName, number> {
  const rule = { min: 1, max: 1000, integer: true };
  const out = {} as Record<ResourceName, number>;
  if (typeof value === 'number' || value === undefined) {
    for (const name of RESOURCE_NAMES) {
      out[name] = numberAt(value, path, NOISY_RESOURCES.has(name) ? 3 : 1, rule);
    }
    return Object.freeze(out);
  }
  const given = objectAt(value, path, 'a whole number ≥ 1, or an object of them by resource');
  checkKeys(given, path, RESOURCE_NAMES);
  for (const name of RESOURCE_NAMES) {
    out[name] = numberAt(given[name], `${path}.${name}`, NOISY_RESOURCES.has(name) ? 3 : 1, rule);
  }
  return Object.freeze(out);
}

function resolveAdaptive(value: unknown): Required<AdaptiveOptions> | undefined {
  if (value === undefined || value === false) return undefined;
  const given = value === true ? {} : objectAt(value, 'adaptive', 'true, false, or an object');
  checkKeys(given, 'adaptive', ['headroom', 'minSamples', 'cleanupsBeforeCap']);
  return Object.freeze({
    headroom: numberAt(given.headroom, 'adaptive.headroom', 2, { min: 1 }),
    minSamples: numberAt(given.minSamples, 'adaptive.minSamples', 30, { min: 1, integer: true }),
    cleanupsBeforeCap: numberAt(given.cleanupsBeforeCap, 'adaptive.cleanupsBeforeCap', 2, { min: 1, integer: true }),
  });
}

/**
 * Validates the guard's options and fills in defaults. Nothing is applied unless everything is valid.
 * It creates nothing; the only effect outside memory is reading the file system to check `tempRoot`
 * (see {@link ResourceGuardOptions.tempRoot}), done after every other option has been checked.
 *
 * @param options - what the user passed (anything: it is checked)
 * @returns the resolved options
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` naming the first bad option
 * @example
 * ```ts
 * import { resolveGuardOptions } from '@mcp-resource-guard/core/internal';
 * const resolved = resolveGuardOptions({ limits: { maxExecutionTimeMs: 1000 } });
 * ```
 */
/** Options of earlier releases, and where they went. */
const RENAMED_OPTIONS: Readonly<Record<string, string>> = {
  toolLimits: 'limits.perTool',
  sessionLimits: 'limits.perSession',
  processLimits: 'limits.process',
};

function renamed(path: string, value: unknown, now: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.InvalidConfig,
    message: 'Invalid resource guard option',
    hint: `This option is now ${now}.`,
    path,
    value,
  });
}

const SCOPE_KEYS = ['perCall', 'perTool', 'perSession', 'process'] as const;

/**
 * Validates limits on a sum over calls: the limit keys but `maxExecutionTimeMs`, and `maxConcurrentCalls`.
 *
 * @param value - what the user passed
 * @param path - where, for the error
 * @returns a frozen copy
 */
function validateAggregate(value: unknown, path: string): AggregateLimits {
  if (value === undefined) return Object.freeze({});
  if (isPlainObject(value) && 'maxConcurrentCalls' in value) {
    const { maxConcurrentCalls, ...rest } = value;
    const out = validateLimits(rest, path, ['maxExecutionTimeMs'], ['maxConcurrentCalls']);
    if (maxConcurrentCalls === undefined) return out;
    const cap = numberAt(maxConcurrentCalls, `${path}.maxConcurrentCalls`, 0, { min: 1, integer: true });
    return Object.freeze({ ...out, maxConcurrentCalls: cap });
  }
  return validateLimits(value, path, ['maxExecutionTimeMs'], ['maxConcurrentCalls']);
}

function resolveLimits(value: unknown): Pick<ResolvedGuardOptions, 'perCall' | 'perTool' | 'perSession' | 'process'> {
  const given = objectAt(value, 'limits', 'an object with perCall, perTool, perSession, process');
  for (const key of Object.keys(given)) {
    if ((LIMIT_NAMES as readonly string[]).includes(key))
      throw renamed(`limits.${key}`, given[key], `limits.perCall.${key}`);
  }
  checkKeys(given, 'limits', SCOPE_KEYS);
  return {
    perCall: given.perCall === undefined ? Object.freeze({}) : validateLimits(given.perCall, 'limits.perCall'),
    perTool: validateAggregate(given.perTool, 'limits.perTool'),
    perSession: validateAggregate(given.perSession, 'limits.perSession'),
    process: validateAggregate(given.process, 'limits.process'),
  };
}

function resolveTools(value: unknown): ToolPatterns<ToolLimits> {
  const tools = objectAt(value, 'tools', 'an object keyed by tool name or pattern');
  const entries: Record<string, ToolLimits> = {};
  for (const [name, entry] of Object.entries(tools)) {
    if (name.length === 0) throw invalid('tools', name, 'non-empty tool names or patterns');
    const path = `tools.${name}`;
    const given = objectAt(entry, path, 'an object with perCall, perTool');
    for (const key of Object.keys(given)) {
      if ((LIMIT_NAMES as readonly string[]).includes(key))
        throw renamed(`${path}.${key}`, given[key], `${path}.perCall.${key}`);
    }
    checkKeys(given, path, ['perCall', 'perTool']);
    entries[name] = Object.freeze({
      ...(given.perCall === undefined ? {} : { perCall: validateLimits(given.perCall, `${path}.perCall`) }),
      ...(given.perTool === undefined ? {} : { perTool: validateAggregate(given.perTool, `${path}.perTool`) }),
    });
  }
  return new ToolPatterns(entries);
}

export function resolveGuardOptions(options: unknown): ResolvedGuardOptions {
  const o = objectAt(options, 'options', 'an options object or nothing');
  for (const key of Object.keys(o)) {
    const now = RENAMED_OPTIONS[key];
    if (now !== undefined) throw renamed(key, o[key], now);
  }
  checkKeys(o, '', OPTION_KEYS);

  const limits = resolveLimits(o.limits);
  const tools = resolveTools(o.tools);

  const levels = objectAt(o.levels, 'levels', 'an object with thresholds, dwellSamples, hysteresis');
  checkKeys(levels, 'levels', ['thresholds', 'dwellSamples', 'hysteresis']);
  const thresholds = resolveThresholds(levels.thresholds, 'levels.thresholds');
  const hysteresis = numberAt(levels.hysteresis, 'levels.hysteresis', 0.05, {
    min: 0,
    max: thresholds.warn,
    exclusiveMax: true,
  });

  const sampling = objectAt(o.sampling, 'sampling', 'an object with activeMs, idleMs, deactivatedMs');
  checkKeys(sampling, 'sampling', ['activeMs', 'idleMs', 'deactivatedMs']);
  const ms = { min: 1, max: 3_600_000, integer: true };
  const throttle = objectAt(
    o.throttle,
    'throttle',
    'an object with maxQueue, maxWaitMs, retryAfterMs, refusalDelayMs, maxHeldRefusals',
  );
  checkKeys(throttle, 'throttle', ['maxQueue', 'maxWaitMs', 'retryAfterMs', 'refusalDelayMs', 'maxHeldRefusals']);
  const emergency = objectAt(
    o.emergency,
    'emergency',
    'an object with coolDownMs, maxCoolDownMs, exitProcess, exitCode',
  );
  checkKeys(emergency, 'emergency', ['coolDownMs', 'maxCoolDownMs', 'exitProcess', 'exitCode']);
  if (emergency.exitProcess !== undefined && typeof emergency.exitProcess !== 'boolean') {
    throw invalid('emergency.exitProcess', emergency.exitProcess, 'true or false');
  }
  const cleanup = objectAt(o.cleanup, 'cleanup', 'an object with graceMs, stepTimeoutMs');
  checkKeys(cleanup, 'cleanup', ['graceMs', 'stepTimeoutMs']);
  const leaks = resolveLeaks(o.leaks);
  const logger = resolveLogger(o.logger);
  const audit = objectAt(o.audit, 'audit', 'an object with sink, capacity');
  checkKeys(audit, 'audit', ['sink', 'capacity']);
  if (audit.sink !== undefined && !isObjectWith(audit.sink, 'write')) {
    throw invalid('audit.sink', audit.sink, 'an object with a write(entry) method');
  }
  const capacity = numberAt(audit.capacity, 'audit.capacity', 1000, { min: 1, max: 1_000_000, integer: true });
  if (o.sources !== undefined && (!Array.isArray(o.sources) || !o.sources.every((s) => isObjectWith(s, 'sample')))) {
    throw invalid('sources', o.sources, 'an array of usage sources (objects with a sample(calls) method)');
  }
  // `=== undefined`, not `??`: a null clock or scheduler is a mistake to report, not a request for the default.
  const clock = o.clock === undefined ? systemClock : o.clock;
  if (!isObjectWith(clock, 'now'))
    throw invalid('clock', clock, 'an object with a now() method returning milliseconds');
  const scheduler = o.scheduler === undefined ? systemScheduler : o.scheduler;
  if (!isObjectWith(scheduler, 'schedule')) {
    throw invalid('scheduler', scheduler, 'an object with a schedule(fn, delayMs) method');
  }

  const probes = resolveProbes(o.probes);
  if (o.tempRoot !== undefined && (typeof o.tempRoot !== 'string' || !isAbsolute(o.tempRoot))) {
    throw invalid('tempRoot', o.tempRoot, 'an absolute directory path');
  }
  const coolDownMs = numberAt(emergency.coolDownMs, 'emergency.coolDownMs', 30_000, ms);
  const memoryAudit = audit.sink === undefined ? new MemoryAuditSink(capacity) : undefined;
  const resolved: ResolvedGuardOptions = {
    ...limits,
    tools,
    thresholds,
    dwellSamples: resolveDwell(levels.dwellSamples, 'levels.dwellSamples'),
    hysteresis,
    sampling: {
      activeMs: numberAt(sampling.activeMs, 'sampling.activeMs', 50, ms),
      idleMs: numberAt(sampling.idleMs, 'sampling.idleMs', 1000, ms),
      deactivatedMs: numberAt(sampling.deactivatedMs, 'sampling.deactivatedMs', 5000, ms),
    },
    throttle: {
      maxQueue: numberAt(throttle.maxQueue, 'throttle.maxQueue', 16, { min: 0, max: 1_000_000, integer: true }),
      maxWaitMs: numberAt(throttle.maxWaitMs, 'throttle.maxWaitMs', 2000, ms),
      retryAfterMs: numberAt(throttle.retryAfterMs, 'throttle.retryAfterMs', 1000, ms),
      refusalDelayMs: numberAt(throttle.refusalDelayMs, 'throttle.refusalDelayMs', 100, { ...ms, min: 0 }),
      maxHeldRefusals: numberAt(throttle.maxHeldRefusals, 'throttle.maxHeldRefusals', 1024, {
        min: 0,
        max: 1_000_000,
        integer: true,
      }),
    },
    emergency: {
      coolDownMs,
      maxCoolDownMs: numberAt(emergency.maxCoolDownMs, 'emergency.maxCoolDownMs', Math.max(300_000, coolDownMs), {
        ...ms,
        min: coolDownMs,
      }),
      exitProcess: emergency.exitProcess === true,
      exitCode: numberAt(emergency.exitCode, 'emergency.exitCode', 70, { min: 1, max: 255, integer: true }),
    },
    cleanup: {
      graceMs: numberAt(cleanup.graceMs, 'cleanup.graceMs', 200, { ...ms, min: 0 }),
      stepTimeoutMs: numberAt(cleanup.stepTimeoutMs, 'cleanup.stepTimeoutMs', 2000, ms),
    },
    leaks,
    logger,
    auditSink: (audit.sink as AuditSink | undefined) ?? (memoryAudit as MemoryAuditSink),
    memoryAudit,
    historySize: numberAt(o.historySize, 'historySize', 128, { min: 1, max: 100_000, integer: true }),
    adaptive: resolveAdaptive(o.adaptive),
    sources: Object.freeze([...((o.sources as UsageSource[] | undefined) ?? [])]),
    probes,
    watchdog: resolveWatchdog(o.watchdog),
    tempRoot: (o.tempRoot as string | undefined) ?? join(tmpdir(), `mcp-resource-guard-${process.pid}`),
    clock: clock as Clock,
    scheduler: scheduler as Scheduler,
  };
  // Last, once everything else is valid: it reads the file system (lstat, stat, access; never writes).
  checkTempRoot(resolved.tempRoot, o.tempRoot !== undefined);
  return resolved;
}

function resolveWatchdog(value: unknown): ResolvedGuardOptions['watchdog'] {
  if (value === false) return undefined;
  const given = value === undefined || value === true ? {} : objectAt(value, 'watchdog', 'true, false, or an object');
  checkKeys(given, 'watchdog', ['thresholdMs', 'exitProcess']);
  if (given.exitProcess !== undefined && typeof given.exitProcess !== 'boolean') {
    throw invalid('watchdog.exitProcess', given.exitProcess, 'true or false');
  }
  return Object.freeze({
    thresholdMs: numberAt(given.thresholdMs, 'watchdog.thresholdMs', 1000, { min: 20, max: 3_600_000, integer: true }),
    exitProcess: given.exitProcess === true,
  });
}

const PROBE_NAMES = ['files', 'network', 'timers', 'processes', 'cpu', 'memory'] as const;

function resolveProbes(value: unknown): Required<ProbeOptions> {
  const all = (on: boolean): Required<ProbeOptions> =>
    Object.freeze({ files: on, network: on, timers: on, processes: on, cpu: on, memory: on });
  if (value === undefined || value === true) return all(true);
  if (value === false) return all(false);
  const given = objectAt(value, 'probes', 'true, false, or an object of booleans by probe');
  checkKeys(given, 'probes', PROBE_NAMES);
  const out = { ...all(true) } as Record<(typeof PROBE_NAMES)[number], boolean>;
  for (const name of PROBE_NAMES) {
    const v = given[name];
    if (v === undefined) continue;
    if (typeof v !== 'boolean') throw invalid(`probes.${name}`, v, 'true or false');
    out[name] = v;
  }
  return Object.freeze(out);
}

function isObjectWith(value: unknown, method: string): boolean {
  return (
    typeof value === 'object' && value !== null && typeof (value as Record<string, unknown>)[method] === 'function'
  );
}
