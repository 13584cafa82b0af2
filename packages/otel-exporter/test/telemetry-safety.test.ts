import {
  createResourceGuard,
  type GuardEvents,
  LIMIT_LEVELS,
  type ResourceGuardOptions,
  TOOL_STATES,
} from '@mcp-resource-guard/core';
import { CLEANUP_STEPS } from '@mcp-resource-guard/core/internal';
import { manualTime } from '@mcp-resource-guard/core/testing';
import { type DiagLogger, DiagLogLevel, diag, type MeterProvider } from '@opentelemetry/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ATTR_CLEANUP_MODE,
  ATTR_CLEANUP_REASON,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_HANDLE_KIND,
  ATTR_INTERNAL_ERROR_SOURCE,
  ATTR_LIMIT_LEVEL,
  ATTR_MCP_METHOD_NAME,
  ATTR_RECOVERY_OUTCOME,
  ATTR_RECOVERY_VIA,
  ATTR_RESOURCE,
  ATTR_SCOPE,
  ATTR_THROTTLE_ACTION,
  ATTR_TOOL_STATE,
  instrumentGuard,
  METRIC_CALL_CPU_TIME,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  RESOURCE_ATTRIBUTE_VALUES,
} from '../src/index.js';
import { metricsHarness } from './support/metrics-harness.js';
import { scriptedUsage } from './support/usage-source.js';

const closers: (() => Promise<unknown>)[] = [];
const logged: { level: string; message: string }[] = [];
beforeEach(() => {
  const log =
    (level: string) =>
    (message: string): void => {
      logged.push({ level, message });
    };
  const logger: DiagLogger = {
    error: log('error'),
    warn: log('warn'),
    info: log('info'),
    debug: log('debug'),
    verbose: log('verbose'),
  };
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
});
afterEach(async () => {
  diag.disable();
  logged.length = 0;
  for (const close of closers.splice(0).reverse()) await close();
});

function quietGuard(options: ResourceGuardOptions = {}) {
  const time = manualTime();
  const guard = createResourceGuard({
    clock: time,
    scheduler: time,
    probes: false,
    watchdog: false,
    ...options,
    // Refusals answered at once: the tests move time only where they mean to.
    throttle: { refusalDelayMs: 0, ...options.throttle },
  });
  const internal: unknown[] = [];
  guard.on('internalError', (e) => internal.push(e));
  closers.push(() => guard.close());
  return { time, guard, internal };
}

/** A meter provider whose every method, instrument and callback registration throws. */
function throwingProvider(where: 'getMeter' | 'create' | 'record'): MeterProvider {
  const fail = (): never => {
    throw new Error(`broken ${where}`);
  };
  const instrument = new Proxy({}, { get: () => fail });
  const meter = new Proxy(
    {},
    {
      get: (_target, key) => {
        if (where === 'create') return fail;
        if (key === 'addBatchObservableCallback' || key === 'removeBatchObservableCallback') return fail;
        return () => instrument;
      },
    },
  );
  return { getMeter: where === 'getMeter' ? fail : () => meter } as unknown as MeterProvider;
}

describe('telemetry never throws into the guard or the user', () => {
  for (const where of ['getMeter', 'create', 'record'] as const) {
    it(`a meter provider that throws at ${where}: calls, events and stop() go on, reported to diag only`, async () => {
      const { time, guard, internal } = quietGuard({ limits: { perCall: { maxExecutionTimeMs: 50 } } });
      const handle = instrumentGuard(guard, { meterProvider: throwingProvider(where) });
      for (let i = 0; i < 3; i++) {
        const call = await guard.admit({ toolName: 'x', sessionId: 's' });
        call.track({ close() {} }, { kind: 'file' }); // a leak, a cleanup
        time.advance(60); // a limit: warn, throttle, cleanup
        expect(() => call.end('timeout')).not.toThrow();
        await call.settled;
      }
      expect(() => handle.stop()).not.toThrow();
      expect(handle.failures).toBeGreaterThan(0); // counted, not raised
      expect(guard.snapshot().internalErrors).toBe(0);
      expect(internal).toEqual([]);
      const errors = logged.filter((l) => l.level === 'error');
      expect(errors.length).toBeGreaterThan(0);
      // Each kind of failure is logged once at error level, then at debug level.
      expect(new Set(errors.map((e) => e.message)).size).toBe(errors.length);
      expect(errors.every((e) => e.message.startsWith('@mcp-resource-guard/otel-exporter:'))).toBe(true);
      if (where === 'record') {
        expect(errors.map((e) => e.message)).toEqual(
          expect.arrayContaining([expect.stringContaining('event:call'), expect.stringContaining('event:limit')]),
        );
        expect(logged.some((l) => l.level === 'debug' && l.message.includes('event:call'))).toBe(true);
      }
    });
  }

  it('a source whose snapshot() throws: the collection goes on with every other metric', async () => {
    const m = metricsHarness();
    closers.push(() => m.shutdown());
    const { guard, internal } = quietGuard();
    const source = {
      on: guard.on.bind(guard),
      snapshot: () => {
        throw new Error('snapshot failed');
      },
    };
    instrumentGuard(source, { meterProvider: m.meterProvider });
    (await guard.admit({ toolName: 'x' })).end('ok');
    const names = (await m.collect()).map((metric) => metric.descriptor.name);
    expect(names).toContain(METRIC_MCP_SERVER_OPERATION_DURATION);
    expect(names).toContain(METRIC_CALL_CPU_TIME);
    expect(logged.filter((l) => l.level === 'error').map((l) => l.message)).toEqual([
      expect.stringContaining('observe failed'),
    ]);
    expect(internal).toEqual([]);
  });

  it('a source whose on() throws: instrumentGuard itself does not throw', () => {
    const source = {
      on: () => {
        throw new Error('no events');
      },
      snapshot: () => {
        throw new Error('no snapshot');
      },
    };
    const m = metricsHarness();
    closers.push(() => m.shutdown());
    expect(() => instrumentGuard(source as never, { meterProvider: m.meterProvider }).stop()).not.toThrow();
    expect(logged.some((l) => l.level === 'error' && l.message.includes('subscribe:call'))).toBe(true);
  });
});

describe('bounded cardinality', () => {
  it('never uses a session id, request id or call id as an attribute; every value comes from a closed set', async () => {
    const m = metricsHarness();
    closers.push(() => m.shutdown());
    const usage = scriptedUsage();
    const { time, guard } = quietGuard({
      sources: [usage],
      sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 100 },
      levels: { dwellSamples: 1 },
      limits: { perCall: { maxExecutionTimeMs: 500 }, perSession: { maxMemoryMb: 150 } },
      tools: { heavy: { perCall: { maxMemoryMb: 100, maxExecutionTimeMs: 500 } } },
      emergency: { coolDownMs: 100 },
      throttle: { maxQueue: 0 },
    });
    instrumentGuard(guard, { meterProvider: m.meterProvider });
    const ids = new Set<string>();
    for (const event of ['call', 'leak', 'cleanup', 'limit', 'throttle', 'emergency'] as const) {
      guard.on(event, (e: GuardEvents[typeof event]) => {
        for (const key of ['callId', 'sessionId', 'requestId', 'key'] as const) {
          const value = (e as unknown as Record<string, unknown>)[key];
          if (value !== undefined && value !== 'process' && !['heavy', 'light'].includes(String(value))) {
            ids.add(String(value));
          }
        }
      });
    }

    // Calls of two tools in several sessions: leaks, a session throttle, a call-scope emergency, rejections.
    for (let i = 0; i < 5; i++) {
      const sessionId = `session-${i}-3f9c2a`;
      const light = await guard.admit({ toolName: 'light', sessionId, requestId: `req-${i}` });
      light.track({ close() {} }, { kind: i % 2 === 0 ? 'file' : 'socket' });
      const heavy = await guard.admit({ toolName: 'heavy', sessionId, requestId: 1000 + i });
      usage.set(heavy, { memoryMb: 60 + 30 * i });
      usage.set(light, { memoryMb: 80 });
      time.advance(10);
      await guard.admit({ toolName: 'heavy', sessionId, requestId: 2000 + i }).catch(() => {});
      light.end(i === 3 ? 'cancelled' : 'ok');
      heavy.end(i > 2 ? 'limit' : 'tool_error');
      await Promise.all([light.settled, heavy.settled]);
      time.advance(200);
    }
    expect(ids.size).toBeGreaterThan(10);

    const closed: Record<string, readonly string[]> = {
      [ATTR_GEN_AI_TOOL_NAME]: ['heavy', 'light'],
      [ATTR_MCP_METHOD_NAME]: ['tools/call'],
      [ATTR_GEN_AI_OPERATION_NAME]: ['execute_tool'],
      [ATTR_ERROR_TYPE]: [
        'tool_error',
        '_OTHER',
        'cancelled',
        'timeout',
        'resource_limit',
        'rejected',
        'THROTTLED',
        'TOOL_DEACTIVATED',
      ],
      [ATTR_HANDLE_KIND]: CLEANUP_STEPS.flatMap((s) => s.kinds),
      [ATTR_LIMIT_LEVEL]: LIMIT_LEVELS,
      [ATTR_RESOURCE]: Object.values(RESOURCE_ATTRIBUTE_VALUES),
      [ATTR_SCOPE]: ['call', 'tool', 'session', 'process'],
      [ATTR_CLEANUP_REASON]: [
        'leak',
        'limit',
        'timeout',
        'cancelled',
        'deactivated',
        'unregistered',
        'emergency',
        'session_closed',
        'closed',
      ],
      [ATTR_CLEANUP_MODE]: ['close', 'report'],
      [ATTR_TOOL_STATE]: TOOL_STATES,
      [ATTR_THROTTLE_ACTION]: ['throttled', 'released', 'rejected'],
      [ATTR_RECOVERY_OUTCOME]: ['success', 'failure'],
      [ATTR_RECOVERY_VIA]: ['probe', 'next_call'],
      [ATTR_INTERNAL_ERROR_SOURCE]: ['listener', 'source', 'middleware', 'sampler', 'cleanup', 'watchdog', 'audit'],
    };
    const seenKeys = new Set<string>();
    const collected = await m.collect();
    expect(collected.length).toBeGreaterThan(15);
    for (const metric of collected) {
      for (const point of metric.dataPoints) {
        for (const [key, value] of Object.entries(point.attributes)) {
          seenKeys.add(key);
          const where = `${metric.descriptor.name} ${key}=${String(value)}`;
          expect(ids.has(String(value)), where).toBe(false);
          expect(closed[key], where).toBeDefined();
          expect(closed[key], where).toContain(value);
        }
      }
    }
    // The scenario reached the interesting attributes.
    for (const key of [ATTR_HANDLE_KIND, ATTR_LIMIT_LEVEL, ATTR_SCOPE, ATTR_CLEANUP_REASON, ATTR_THROTTLE_ACTION]) {
      expect(seenKeys).toContain(key);
    }
  });
});
