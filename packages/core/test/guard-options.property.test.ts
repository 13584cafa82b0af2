/**
 * The whole configuration surface, property-based: every valid configuration constructs (probes and the
 * watchdog sometimes on, closed again in the property), and a valid configuration with one bad value at
 * any path throws `INVALID_CONFIG` naming that path, with nothing applied: no probe patched, no hook or
 * channel subscribed, no watchdog thread, nothing created on disk.
 */

import dc from 'node:diagnostics_channel';
import fs from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import tls from 'node:tls';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { cpuSlices } from '../src/cpu-slices.js';
import {
  createResourceGuard,
  LIMIT_LEVELS,
  LIMIT_NAMES,
  RESOURCE_NAMES,
  type ResourceGuard,
  ResourceGuardError,
  type ResourceGuardOptions,
} from '../src/index.js';

// ------------------------------------------------------------------ fixtures on disk

const base = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'guard-options-prop-')));
const isRoot = process.getuid?.() === 0;
const posix = process.platform !== 'win32';
const roots = join(base, 'roots'); // parent of roots that do not exist yet
fs.mkdirSync(roots, { mode: 0o700 });
const existingRoot = join(base, 'existing');
fs.mkdirSync(existingRoot, { mode: 0o700 });
const aFile = join(base, 'file');
fs.writeFileSync(aFile, 'x');
const aLink = join(base, 'link');
fs.symlinkSync(existingRoot, aLink);
const badRoots: string[] = [aFile, join(aFile, 'sub', 'root'), aLink];
if (posix) {
  const open = join(base, 'open');
  fs.mkdirSync(open);
  fs.chmodSync(open, 0o777);
  badRoots.push(open);
  if (isRoot) {
    const foreign = join(base, 'foreign');
    fs.mkdirSync(foreign, { mode: 0o700 });
    fs.chownSync(foreign, 65534, 65534);
    badRoots.push(foreign);
  } else {
    badRoots.push('/'); // owned by root, not by us
    const locked = join(base, 'locked');
    fs.mkdirSync(locked);
    fs.chmodSync(locked, 0o500);
    badRoots.push(join(locked, 'root'));
  }
}
const defaultRoot = join(tmpdir(), `mcp-resource-guard-${process.pid}`);

afterAll(() => {
  if (fs.existsSync(join(base, 'locked'))) fs.chmodSync(join(base, 'locked'), 0o700);
  fs.rmSync(base, { recursive: true, force: true });
});

/** Everything on disk the guard could have created: the fixtures' tree and the default root. */
function diskState(): { tree: string[]; defaultRoot: boolean } {
  return {
    tree: (fs.readdirSync(base, { recursive: true }) as string[]).sort(),
    defaultRoot: fs.existsSync(defaultRoot),
  };
}

// ------------------------------------------------------------------ what a guard could apply

/** Every process-wide thing the probes and the watchdog patch, subscribe or start. */
function processWideState(): Record<string, unknown> {
  const g = globalThis as unknown as Record<string, unknown>;
  const t = timers as unknown as Record<string, unknown>;
  const tp = timersPromises as unknown as Record<string, unknown>;
  const state: Record<string, unknown> = {
    'fs.open': fs.open,
    'fs.openSync': fs.openSync,
    'fs.close': fs.close,
    'fs.closeSync': fs.closeSync,
    'fs.opendir': fs.opendir,
    'fs.createReadStream': fs.createReadStream,
    'fs.createWriteStream': fs.createWriteStream,
    'fs.watch': fs.watch,
    'fs.watchFile': fs.watchFile,
    'fs.promises.open': fs.promises.open,
    'fs.promises.opendir': fs.promises.opendir,
    'fs.promises.watch': fs.promises.watch,
    'net.Socket.prototype.connect': net.Socket.prototype.connect,
    'net.Server.prototype.listen': net.Server.prototype.listen,
    'tls.connect': tls.connect,
    'timers/promises.scheduler.wait (own)': Object.hasOwn(timersPromises.scheduler, 'wait'),
    'cpuSlices.enabled (async hook)': cpuSlices.enabled,
    'cpuSlices.meter': cpuSlices.meter,
    'cpuSlices.watchdog (worker)': cpuSlices.watchdog,
  };
  for (const name of ['setTimeout', 'setInterval', 'setImmediate', 'clearTimeout', 'clearInterval', 'clearImmediate']) {
    state[`globalThis.${name}`] = g[name];
    state[`timers.${name}`] = t[name];
  }
  for (const name of ['setTimeout', 'setInterval', 'setImmediate']) state[`timers/promises.${name}`] = tp[name];
  for (const channel of [
    'child_process',
    'worker_threads',
    'net.client.socket',
    'net.server.socket',
    'http.client.request.start',
    'undici:request:create',
    'udp.socket',
  ]) {
    state[`diagnostics_channel ${channel}`] = dc.hasSubscribers(channel);
  }
  return state;
}

/** The keys whose values differ (by Object.is) between two states. */
function changed(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return Object.keys(before).filter((key) => !Object.is(before[key], after[key]));
}

/** Threads of this process (Linux); a worker thread started by the constructor would add one. */
function threadCount(): number | undefined {
  try {
    return fs.readdirSync('/proc/self/task').length;
  } catch {
    return undefined;
  }
}

const pristine = processWideState();

// ------------------------------------------------------------------ valid values, by rule

const MS_MAX = 3_600_000;
/** A whole number in [min, max], biased to the bounds. */
const wholeIn = (min: number, max: number) => fc.oneof(fc.constant(min), fc.constant(max), fc.integer({ min, max }));
const ms = wholeIn(1, MS_MAX);
/** A finite number > 0. */
const positiveReal = fc.oneof(
  fc.constant(Number.MIN_VALUE),
  fc.double({ min: 1e-6, max: 1e9, noNaN: true, noDefaultInfinity: true }),
);
const countLimit = wholeIn(0, 1_000_000);

const limitsArb = (keys: readonly string[]) =>
  fc.record(
    Object.fromEntries(
      keys.map((key) => [
        key,
        // An explicit undefined is "not given".
        fc.oneof(
          {
            arbitrary: key === 'maxFileHandles' || key === 'maxNetworkConnections' ? countLimit : positiveReal,
            weight: 9,
          },
          { arbitrary: fc.constant(undefined), weight: 1 },
        ),
      ]),
    ),
    { requiredKeys: [] },
  );
const perCallLimits = limitsArb(LIMIT_NAMES);
const aggregateLimits = fc
  .tuple(
    limitsArb(LIMIT_NAMES.filter((name) => name !== 'maxExecutionTimeMs')),
    fc.option(fc.integer({ min: 1, max: 10_000 }), { nil: undefined }),
  )
  .map(([limits, maxConcurrentCalls]) =>
    maxConcurrentCalls === undefined ? limits : { ...limits, maxConcurrentCalls },
  );

const thresholdsArb = fc.oneof(
  fc
    .tuple(
      fc.double({ min: 0.1, max: 0.9, noNaN: true }),
      fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      fc.double({ min: 0.01, max: 0.5, noNaN: true }),
      fc.double({ min: 0.01, max: 1, noNaN: true }),
    )
    .map(([warn, a, b, c]) => ({ warn, throttle: warn + a, cleanup: warn + a + b, emergency: warn + a + b + c })),
  // Partial: the others keep their defaults (0.75 / 0.9 / 1 / 1.5), still strictly increasing.
  fc.record({ warn: fc.double({ min: 0.1, max: 0.89, noNaN: true }) }),
  fc.record({ throttle: fc.double({ min: 0.76, max: 0.99, noNaN: true }) }),
  fc.record({ emergency: fc.double({ min: 1.01, max: 100, noNaN: true }) }),
  fc.constant({}),
);
const dwellArb = fc.oneof(
  wholeIn(1, 1000),
  fc.record(Object.fromEntries(RESOURCE_NAMES.map((name) => [name, wholeIn(1, 1000)])), { requiredKeys: [] }),
);
const emergencyArb = fc
  .record(
    {
      coolDownMs: ms,
      maxCoolDownMs: fc.integer({ min: 0, max: MS_MAX }), // added to the cool-down (or its default) below
      exitProcess: fc.boolean(),
      exitCode: wholeIn(1, 255),
    },
    { requiredKeys: [] },
  )
  .map((e) =>
    e.maxCoolDownMs === undefined
      ? e
      : { ...e, maxCoolDownMs: Math.min(MS_MAX, (e.coolDownMs ?? 30_000) + e.maxCoolDownMs) },
  );
const adaptiveArb = fc.oneof(
  fc.boolean(),
  fc.record(
    {
      headroom: fc.oneof(fc.constant(1), fc.double({ min: 1, max: 100, noNaN: true })),
      minSamples: fc.oneof(wholeIn(1, 10_000), fc.constant(Number.MAX_SAFE_INTEGER)),
      cleanupsBeforeCap: fc.oneof(wholeIn(1, 100), fc.constant(Number.MAX_SAFE_INTEGER)),
    },
    { requiredKeys: [] },
  ),
);
const PROBE_NAMES = ['files', 'network', 'timers', 'processes', 'cpu', 'memory'] as const;
const probesArb = fc.oneof(
  fc.boolean(),
  fc.record(Object.fromEntries(PROBE_NAMES.map((name) => [name, fc.boolean()])), { requiredKeys: [] }),
);
const watchdogArb = fc.oneof(
  { arbitrary: fc.constant(false), weight: 3 },
  { arbitrary: fc.constant(true), weight: 1 },
  {
    // exitProcess only with a threshold no event-loop stall of this test can reach (it would SIGKILL the run).
    arbitrary: fc.oneof(
      fc.record({ thresholdMs: wholeIn(20, MS_MAX) }, { requiredKeys: [] }),
      fc.record(
        { thresholdMs: wholeIn(600_000, MS_MAX), exitProcess: fc.boolean() },
        { requiredKeys: ['thresholdMs'] },
      ),
    ),
    weight: 1,
  },
);
const segment = fc.stringMatching(/^[a-z0-9-]{1,8}$/);
const tempRootArb = fc.oneof(
  fc.constant(existingRoot),
  segment.map((name) => join(roots, name)), // does not exist yet
  fc.array(segment, { minLength: 2, maxLength: 4 }).map((names) => join(roots, ...names)), // nor do its parents
  segment.map((name) => `${roots}/x/../${name}/`), // `..` and a trailing slash: absolute all the same
);
const noop = (): void => {};
const sourcesArb = fc.array(
  fc.constantFrom(
    { name: 'extra', sample: noop },
    { name: 'closing', sample: noop, close: async () => {} },
    { name: 'full', sample: noop, callStarted: noop, callEnded: noop },
  ),
  { maxLength: 3 },
);

/** Valid options over the whole surface: every key optional, every value within its rule. */
const validArb: fc.Arbitrary<Record<string, unknown>> = fc.record(
  {
    limits: fc.record(
      { perCall: perCallLimits, perTool: aggregateLimits, perSession: aggregateLimits, process: aggregateLimits },
      { requiredKeys: [] },
    ),
    tools: fc.dictionary(
      fc.stringMatching(/^[a-z_*.]{1,12}$/),
      fc.record({ perCall: perCallLimits, perTool: aggregateLimits }, { requiredKeys: [] }),
      { maxKeys: 4 },
    ),
    levels: fc.record(
      {
        thresholds: thresholdsArb,
        dwellSamples: dwellArb,
        hysteresis: fc.double({ min: 0, max: 0.0999, noNaN: true }),
      },
      { requiredKeys: [] },
    ),
    sampling: fc.record({ activeMs: ms, idleMs: ms, deactivatedMs: ms }, { requiredKeys: [] }),
    throttle: fc.record({ maxQueue: wholeIn(0, 1_000_000), maxWaitMs: ms, retryAfterMs: ms }, { requiredKeys: [] }),
    emergency: emergencyArb,
    cleanup: fc.record({ graceMs: wholeIn(0, MS_MAX), stepTimeoutMs: ms }, { requiredKeys: [] }),
    leaks: fc.oneof(
      fc.constantFrom('close', 'report'),
      fc.record(
        {
          default: fc.constantFrom('close', 'report'),
          tools: fc.dictionary(fc.constantFrom('echo', 'toggle-*', '*', 'a*b'), fc.constantFrom('close', 'report')),
        },
        { requiredKeys: [] },
      ),
    ),
    logger: fc.oneof(
      fc.constant(false),
      fc.record({ level: fc.constantFrom('trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent') }),
      fc.constant({ debug: noop, info: noop, warn: noop, error: noop }),
    ),
    audit: fc.record(
      {
        sink: fc.constant({ write: noop }),
        capacity: fc.oneof(
          { arbitrary: wholeIn(1, 5000), weight: 9 },
          { arbitrary: fc.constant(1_000_000), weight: 1 },
        ),
      },
      { requiredKeys: [] },
    ),
    historySize: wholeIn(1, 100_000),
    adaptive: adaptiveArb,
    probes: probesArb,
    watchdog: watchdogArb,
    tempRoot: tempRootArb,
    sources: sourcesArb,
    clock: fc.constant({ now: () => performance.now() }),
    scheduler: fc.constant({ schedule: () => noop }),
  },
  { requiredKeys: [] },
);

// ------------------------------------------------------------------ one bad value, at a known path

/** A change to a valid configuration: values set at paths (`[]` is the whole options), and the path expected. */
interface Mutation {
  readonly sets: readonly (readonly [readonly string[], unknown])[];
  readonly path: string;
}
const at = (path: string, value: unknown): Mutation => ({ sets: [[path.split('.'), value]], path });
/** Sets `key` to a whole value, the error expected at `path` inside it. */
const whole = (key: string, value: unknown, path: string): Mutation => ({ sets: [[[key], value]], path });

/** Values that are not numbers at all. */
const notNumber = fc.constantFrom<unknown>('10', '', true, false, null, [], {}, [1], 10n, new Date(0));
const notObject = fc.constantFrom<unknown>(5, 'x', true, null, [], [{}], new Date(0), new Map(), () => ({}));
const notBoolean = fc.constantFrom<unknown>(1, 0, 'true', 'false', null, [], {});

interface Rule {
  readonly min: number;
  readonly exclusiveMin?: boolean;
  readonly max?: number;
  readonly integer?: boolean;
}
/** Numbers (and non-numbers) that break `rule`. */
function badNumber(rule: Rule): fc.Arbitrary<unknown> {
  const options: fc.Arbitrary<unknown>[] = [
    notNumber,
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
    rule.exclusiveMin
      ? fc.oneof(fc.constant(rule.min), fc.double({ min: -1e9, max: rule.min, noNaN: true }))
      : // Strictly below (-0 is not below 0: a count limit of -0 is 0, and valid).
        fc.double({ min: -1e9, max: rule.min, maxExcluded: true, noNaN: true }).filter((v) => v < rule.min),
  ];
  if (rule.max !== undefined) options.push(fc.double({ min: rule.max, max: 1e12, minExcluded: true, noNaN: true }));
  if (rule.integer) {
    const top = rule.max ?? 1e6;
    options.push(fc.double({ min: rule.min, max: top, noNaN: true }).filter((v) => !Number.isInteger(v)));
    if (rule.max === undefined) options.push(fc.constant(2 ** 53)); // not a safe integer
  }
  return fc.oneof(...options);
}
const MS_RULE: Rule = { min: 1, max: MS_MAX, integer: true };

/** An unknown key: none of the option keys starts with `x`. */
const unknownKey = fc.stringMatching(/^[a-z]{0,8}$/).map((k) => `x${k}`);
const anyValue = fc.constantFrom<unknown>(1, 'a', true, null, {}, [], undefined);

/** The scopes of limits on a sum over calls. */
const AGGREGATE_SCOPES = ['limits.perTool', 'limits.perSession', 'limits.process', 'tools.fs_*.perTool'] as const;
/** Every object in the surface, where an unknown key is refused. */
const OBJECT_PATHS = [
  '',
  'limits',
  ...AGGREGATE_SCOPES,
  'limits.perCall',
  'tools.some_tool',
  'tools.some_tool.perCall',
  'tools.fs_*.perCall',
  'levels',
  'levels.thresholds',
  'levels.dwellSamples',
  'sampling',
  'throttle',
  'emergency',
  'cleanup',
  'audit',
  'adaptive',
  'probes',
  'watchdog',
] as const;
/** Every object-valued option that refuses a non-object (those that also take a boolean take it below). */
const OBJECT_OPTIONS = [
  'limits',
  'limits.perCall',
  ...AGGREGATE_SCOPES,
  'tools',
  'tools.some_tool',
  'tools.some_tool.perCall',
  'levels',
  'levels.thresholds',
  'sampling',
  'throttle',
  'emergency',
  'cleanup',
  'audit',
] as const;
const LIMIT_SCOPES = ['limits.perCall', 'tools.some_tool.perCall', 'tools.fs_*.perCall', ...AGGREGATE_SCOPES];
const NUMBER_RULES: readonly (readonly [string, Rule])[] = [
  ['levels.dwellSamples', { min: 1, max: 1000, integer: true }],
  ...RESOURCE_NAMES.map((name) => [`levels.dwellSamples.${name}`, { min: 1, max: 1000, integer: true }] as const),
  ...LIMIT_LEVELS.map((level) => [`levels.thresholds.${level}`, { min: 0, exclusiveMin: true }] as const),
  ['sampling.activeMs', MS_RULE],
  ['sampling.idleMs', MS_RULE],
  ['sampling.deactivatedMs', MS_RULE],
  ['throttle.maxQueue', { min: 0, max: 1_000_000, integer: true }],
  ['throttle.maxWaitMs', MS_RULE],
  ['throttle.retryAfterMs', MS_RULE],
  ['emergency.coolDownMs', MS_RULE],
  ['emergency.maxCoolDownMs', MS_RULE],
  ['emergency.exitCode', { min: 1, max: 255, integer: true }],
  ['cleanup.graceMs', { min: 0, max: MS_MAX, integer: true }],
  ['cleanup.stepTimeoutMs', MS_RULE],
  ['audit.capacity', { min: 1, max: 1_000_000, integer: true }],
  ['historySize', { min: 1, max: 100_000, integer: true }],
  ['adaptive.headroom', { min: 1 }],
  ['adaptive.minSamples', { min: 1, integer: true }],
  ['adaptive.cleanupsBeforeCap', { min: 1, integer: true }],
  ['watchdog.thresholdMs', { min: 20, max: MS_MAX, integer: true }],
  ...AGGREGATE_SCOPES.map((scope) => [`${scope}.maxConcurrentCalls`, { min: 1, integer: true }] as const),
];

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  // Limits: every key of every scope.
  fc
    .tuple(fc.constantFrom(...LIMIT_SCOPES), fc.constantFrom(...LIMIT_NAMES))
    .chain(([scope, name]) =>
      badNumber(
        name === 'maxFileHandles' || name === 'maxNetworkConnections'
          ? { min: 0, integer: true }
          : { min: 0, exclusiveMin: true },
      ).map((v) => at(`${scope}.${name}`, v)),
    ),
  // maxExecutionTimeMs, even a good one, is not an aggregate limit.
  fc
    .tuple(fc.constantFrom(...AGGREGATE_SCOPES), positiveReal)
    .map(([scope, v]) => at(`${scope}.maxExecutionTimeMs`, v)),
  fc.constant<Mutation>({ sets: [[['tools', ''], {}]], path: 'tools' }), // an empty tool name
  // Every number of the surface.
  fc.constantFrom(...NUMBER_RULES).chain(([path, rule]) =>
    badNumber(rule)
      // A plain object at dwellSamples is the per-resource form: valid.
      .filter((v) => path !== 'levels.dwellSamples' || !isPlainObject(v))
      .map((v) => at(path, v)),
  ),
  // Relations between numbers.
  fc.constantFrom<Mutation>(
    { sets: [[['levels', 'thresholds'], { warn: 0.8, throttle: 0.8 }]], path: 'levels.thresholds.throttle' },
    { sets: [[['levels', 'thresholds'], { throttle: 0.5 }]], path: 'levels.thresholds.throttle' },
    { sets: [[['levels', 'thresholds'], { emergency: 0.95 }]], path: 'levels.thresholds.emergency' },
    {
      sets: [[['levels', 'thresholds'], { warn: 0.2, throttle: 0.3, cleanup: 0.3 }]],
      path: 'levels.thresholds.cleanup',
    },
    {
      sets: [
        [['emergency', 'coolDownMs'], 1000],
        [['emergency', 'maxCoolDownMs'], 999],
      ],
      path: 'emergency.maxCoolDownMs',
    },
    {
      // Below the default cool-down (30 s).
      sets: [
        [['emergency', 'coolDownMs'], undefined],
        [['emergency', 'maxCoolDownMs'], 29_999],
      ],
      path: 'emergency.maxCoolDownMs',
    },
  ),
  fc
    .oneof(badNumber({ min: 0 }), fc.constant(1), fc.double({ min: 1, max: 10, noNaN: true }))
    .map((v) => at('levels.hysteresis', v)), // at least warn (≤ 0.9 here) is out of range too
  // Booleans.
  fc
    .tuple(
      fc.constantFrom('emergency.exitProcess', 'watchdog.exitProcess', ...PROBE_NAMES.map((n) => `probes.${n}`)),
      notBoolean,
    )
    .map(([path, v]) => at(path, v)),
  // Objects that are not objects.
  fc.tuple(fc.constantFrom(...OBJECT_OPTIONS), notObject).map(([path, v]) => at(path, v)),
  fc
    .tuple(
      fc.constantFrom('adaptive', 'probes', 'watchdog'),
      notObject.filter((v) => typeof v !== 'boolean'),
    )
    .map(([path, v]) => at(path, v)),
  // Unknown keys, at every level.
  fc
    .tuple(fc.constantFrom(...OBJECT_PATHS), unknownKey, anyValue)
    .map(([parent, key, v]) => at(parent === '' ? key : `${parent}.${key}`, v)),
  // Enumerations and objects with methods.
  fc.constantFrom<unknown>('closed', 'Close', '', 1, true, null, []).map((v) => at('leaks', v)),
  fc.constantFrom<unknown>('keep', 1, null).map((v) => whole('leaks', { default: v }, 'leaks.default')),
  fc
    .constantFrom<unknown>('keep', 1, null, {})
    .map((v) => whole('leaks', { tools: { 'toggle-*': v } }, 'leaks.tools.toggle-*')),
  fc.constantFrom<unknown>('info', 1, null, [], { warn: noop }).map((v) => at('logger', v)),
  fc.constantFrom<unknown>('loud', 40, null).map((v) => whole('logger', { level: v }, 'logger.level')),
  fc.constantFrom<unknown>({}, { write: 1 }, { log: noop }, 5, 'stderr', null).map((v) => at('audit.sink', v)),
  fc
    .constantFrom<unknown>(5, {}, 'x', null, [{}], [{ sample: 1 }], [null], [{ name: 'ok', sample: noop }, 1])
    .map((v) => at('sources', v)),
  fc.constantFrom<unknown>({ now: 1 }, {}, 5, null, () => 0).map((v) => at('clock', v)),
  fc.constantFrom<unknown>({ schedule: 1 }, {}, 5, null, setTimeout).map((v) => at('scheduler', v)),
  // tempRoot: not a string, relative, or a path the guard must not use.
  fc
    .constantFrom<unknown>(5, null, true, {}, [], new URL('file:///tmp'), '', 'tmp', './tmp', '../tmp', '.', '~/tmp')
    .map((v) => at('tempRoot', v)),
  fc.constantFrom(...badRoots).map((v) => at('tempRoot', v)),
  // The options themselves.
  fc
    .constantFrom<unknown>(5, 'x', null, true, [], new Map())
    .map((v): Mutation => ({ sets: [[[], v]], path: 'options' })),
);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** A deep copy of the plain objects (other values shared), with the mutation's values set. */
function apply(options: Record<string, unknown>, mutation: Mutation): unknown {
  const copy = (value: unknown): unknown =>
    isPlainObject(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copy(v)])) : value;
  let result: unknown = copy(options);
  for (const [path, value] of mutation.sets) {
    if (path.length === 0) {
      result = value;
      continue;
    }
    let node = result as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      // A boolean or number form (adaptive: true, dwellSamples: 3, probes: false) becomes an object.
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1] as string] = value;
  }
  return result;
}

// ------------------------------------------------------------------ the properties

describe('configuration surface, property-based', () => {
  it('constructs every valid configuration (probes and watchdog sometimes on), creating nothing on disk', async () => {
    const disk = diskState();
    await fc.assert(
      fc.asyncProperty(validArb, async (options) => {
        const guard = createResourceGuard(options as ResourceGuardOptions);
        try {
          expect(guard.snapshot().closed).toBe(false);
          // The temp root is created at the first tempDir(), never at construction.
          expect(diskState()).toEqual(disk);
        } finally {
          await guard.close();
        }
      }),
      { numRuns: 150 },
    );
    // Closed guards leave nothing behind: every probe uninstalled, the watchdog stopped.
    expect(changed(pristine, processWideState())).toEqual([]);
  });

  it('rejects one bad value at any path with INVALID_CONFIG at that path, and applies nothing', async () => {
    const disk = diskState();
    await fc.assert(
      fc.asyncProperty(validArb, mutationArb, async (valid, mutation) => {
        const options = apply(valid, mutation);
        const before = processWideState();
        const resources = process.getActiveResourcesInfo();
        const threads = threadCount();
        let caught: unknown;
        let accepted: ResourceGuard | undefined;
        try {
          accepted = createResourceGuard(options as ResourceGuardOptions);
        } catch (error) {
          caught = error;
        }
        if (accepted !== undefined) {
          // Closed, so that its probes do not make every later run fail (and the counterexample misleading).
          await accepted.close();
          expect.fail(`accepted a bad value at ${mutation.path}`);
        }
        expect(ResourceGuardError.is(caught)).toBe(true);
        const error = caught as ResourceGuardError;
        expect(error.code).toBe('INVALID_CONFIG');
        expect(error.path).toBe(mutation.path);
        expect(error.hint.length).toBeGreaterThan(0);
        expect(error.message).toContain(mutation.path);
        // Nothing half-applied: no probe patched, no channel subscribed, no hook, no worker, nothing on disk.
        expect(changed(before, processWideState())).toEqual([]);
        expect(changed(pristine, before)).toEqual([]);
        expect(process.getActiveResourcesInfo()).toEqual(resources);
        if (threads !== undefined) expect(threadCount()).toBeLessThanOrEqual(threads);
        expect(diskState()).toEqual(disk);
      }),
      { numRuns: 3000 },
    );
  });
});
