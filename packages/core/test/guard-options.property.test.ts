import fs from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createResourceGuard, LIMIT_NAMES, ResourceGuardError, type ResourceGuardOptions } from '../src/index.js';

const countLimit = fc.integer({ min: 0, max: 10_000 });
const positive = fc.double({ min: 0.001, max: 1e6, noNaN: true });
const limitsArb = fc.record(
  {
    maxMemoryMb: positive,
    maxCpuPercent: positive,
    maxFileHandles: countLimit,
    maxNetworkConnections: countLimit,
    maxExecutionTimeMs: positive,
    maxTempStorageMb: positive,
  },
  { requiredKeys: [] },
);
const aggregateArb = limitsArb.map(({ maxExecutionTimeMs: _drop, ...rest }) => rest);
const thresholdsArb = fc
  .tuple(
    fc.double({ min: 0.1, max: 0.9, noNaN: true }),
    fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    fc.double({ min: 0.01, max: 0.5, noNaN: true }),
    fc.double({ min: 0.01, max: 1, noNaN: true }),
  )
  .map(([warn, a, b, c]) => ({ warn, throttle: warn + a, cleanup: warn + a + b, emergency: warn + a + b + c }));

const validArb: fc.Arbitrary<ResourceGuardOptions> = fc
  .record(
    {
      limits: limitsArb,
      tools: fc.dictionary(fc.stringMatching(/^[a-z_*]{1,12}$/), limitsArb, { maxKeys: 4 }),
      toolLimits: aggregateArb,
      sessionLimits: aggregateArb,
      processLimits: aggregateArb,
      levels: fc.record(
        {
          thresholds: thresholdsArb,
          dwellSamples: fc.integer({ min: 1, max: 10 }),
          hysteresis: fc.double({ min: 0, max: 0.09, noNaN: true }),
        },
        { requiredKeys: [] },
      ),
      sampling: fc.record(
        { activeMs: fc.integer({ min: 1, max: 1000 }), idleMs: fc.integer({ min: 1, max: 10_000 }) },
        { requiredKeys: [] },
      ),
      throttle: fc.record(
        { maxQueue: fc.integer({ min: 0, max: 100 }), maxWaitMs: fc.integer({ min: 1, max: 10_000 }) },
        { requiredKeys: [] },
      ),
      emergency: fc.record(
        { coolDownMs: fc.integer({ min: 1, max: 100_000 }), exitProcess: fc.boolean() },
        { requiredKeys: [] },
      ),
      cleanup: fc.record(
        { graceMs: fc.integer({ min: 0, max: 5000 }), stepTimeoutMs: fc.integer({ min: 1, max: 10_000 }) },
        { requiredKeys: [] },
      ),
      leaks: fc.constantFrom('close' as const, 'report' as const),
      historySize: fc.integer({ min: 1, max: 1000 }),
      adaptive: fc.oneof(fc.boolean(), fc.record({ headroom: fc.double({ min: 1, max: 10, noNaN: true }) })),
    },
    { requiredKeys: [] },
  )
  .map((o) => ({ ...o, probes: false, watchdog: false }) as ResourceGuardOptions);

/** A valid option set with one value replaced by something invalid, at a path we know. */
const badValue = fc.oneof(
  fc.constant(-1),
  fc.constant(Number.NaN),
  fc.constant(Number.POSITIVE_INFINITY),
  fc.constant('10'),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const invalidArb = fc.oneof(
  fc
    .tuple(fc.constantFrom(...LIMIT_NAMES), badValue)
    .map(([key, v]) => ({ options: { limits: { [key]: v } }, path: `limits.${key}` })),
  fc.tuple(fc.constantFrom('toolLimits', 'sessionLimits', 'processLimits'), positive).map(([scope, v]) => ({
    options: { [scope]: { maxExecutionTimeMs: v } },
    path: `${scope}.maxExecutionTimeMs`,
  })),
  fc
    .stringMatching(/^[a-z]{1,10}$/)
    .filter((k) => !['limits', 'tools', 'leaks', 'audit', 'clock', 'probes', 'sources'].includes(k))
    .map((k) => ({
      options: { [`x${k}`]: 1 },
      path: `x${k}`,
    })),
  fc.tuple(fc.double({ min: 0.91, max: 5, noNaN: true })).map(([warn]) => ({
    options: { levels: { thresholds: { warn } } },
    path: 'levels.thresholds.throttle',
  })),
  fc
    .tuple(fc.integer({ min: -5, max: 0 }))
    .map(([d]) => ({ options: { levels: { dwellSamples: d } }, path: 'levels.dwellSamples' })),
  badValue.map((v) => ({ options: { sampling: { activeMs: v } }, path: 'sampling.activeMs' })),
  badValue.filter((v) => v !== null && typeof v !== 'object').map((v) => ({ options: { leaks: v }, path: 'leaks' })),
);

describe('configuration surface, property-based', () => {
  it('constructs every valid configuration', () => {
    fc.assert(
      fc.property(validArb, (options) => {
        const guard = createResourceGuard(options);
        void guard.close();
      }),
      { numRuns: 300 },
    );
  });

  it('rejects every invalid one with a typed error at the offending path, and applies nothing', () => {
    const openBefore = fs.open;
    fc.assert(
      fc.property(invalidArb, ({ options, path }) => {
        let caught: unknown;
        try {
          createResourceGuard(options as ResourceGuardOptions);
        } catch (error) {
          caught = error;
        }
        expect(ResourceGuardError.is(caught)).toBe(true);
        const error = caught as ResourceGuardError;
        expect(error.code).toBe('INVALID_CONFIG');
        expect(error.path).toBe(path);
        expect(error.hint.length).toBeGreaterThan(0);
        // Nothing half-applied: no probe was installed.
        expect(fs.open).toBe(openBefore);
      }),
      { numRuns: 300 },
    );
  });
});
