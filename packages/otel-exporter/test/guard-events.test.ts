import {
  createResourceGuard,
  type GuardEvents,
  LIMIT_LEVELS,
  type ResourceGuardOptions,
} from '@mcp-resource-guard/core';
import { levelRank } from '@mcp-resource-guard/core/internal';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import {
  instrumentGuard,
  METRIC_CLEANUPS,
  METRIC_EMERGENCIES,
  METRIC_EVENT_LOOP_BLOCKS,
  METRIC_INTERNAL_ERRORS,
  METRIC_LIMIT_ENTRIES,
  METRIC_RECOVERIES,
  METRIC_THROTTLE_EVENTS,
  RESOURCE_ATTRIBUTE_VALUES,
} from '../src/index.js';
import { metricsHarness } from './support/metrics-harness.js';
import { scriptedGuard } from './support/scripted-guard.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

type Captured = { [K in keyof GuardEvents]: GuardEvents[K][] };

function setup(options: ResourceGuardOptions = {}) {
  const { m, time, usage, guard } = scriptedGuard({
    sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 100 },
    levels: { dwellSamples: 1 },
    ...options,
  });
  const events = {} as Captured;
  for (const name of [
    'limit',
    'throttle',
    'cleanup',
    'leak',
    'emergency',
    'recovery',
    'blocked',
    'internalError',
  ] as const) {
    const list: unknown[] = [];
    (events as Record<string, unknown[]>)[name] = list;
    guard.on(name, (e) => list.push(e));
  }
  instrumentGuard(guard, { meterProvider: m.meterProvider });
  return { m, time, usage, guard, events };
}

const settle = <T>(p: Promise<T>) =>
  p.then(
    (value) => ({ value, error: undefined }),
    (error: unknown) => ({ value: undefined, error }),
  );

describe('limits, throttles, emergencies and recoveries', () => {
  it('counts each level entered, every throttle event, the emergency and the recovery, as the guard reported them', async () => {
    // The tool's aggregate limit: its throttle closes the tool's gate, its emergency deactivates the tool.
    const { m, time, usage, guard, events } = setup({
      limits: { perTool: { maxMemoryMb: 100 } },
      emergency: { coolDownMs: 1000 },
    });
    const a = await guard.admit({ toolName: 'heavy', sessionId: 's-1' });
    const b = await guard.admit({ toolName: 'heavy', sessionId: 's-2' });
    usage.set(a, { memoryMb: 80 });
    time.advance(10); // warn
    usage.set(a, { memoryMb: 95 });
    time.advance(10); // throttle: the tool's gate closes
    usage.set(a, { memoryMb: 160 });
    time.advance(10); // emergency: a stopped at the limit, b stopped by the emergency
    a.end('limit');
    b.end('limit');
    await Promise.all([a.settled, b.settled]);
    const refused = await settle(guard.admit({ toolName: 'heavy' }));
    expect(refused.error).toMatchObject({ code: 'TOOL_DEACTIVATED' });
    time.advance(1000);
    const probe = await guard.admit({ toolName: 'heavy' });
    probe.end('ok');

    // What the guard reported.
    expect(events.limit.map((e) => `${e.previous ?? 'ok'}->${e.level ?? 'ok'}`)).toEqual([
      'ok->warn',
      'warn->throttle',
      'throttle->emergency',
      'emergency->ok', // the tool's aggregate, sampled once its calls ended
    ]);
    expect(events.emergency).toHaveLength(1);
    expect(events.recovery).toEqual([expect.objectContaining({ success: true, via: 'probe' })]);

    // Limit entries: one per upward crossing, by level, resource and scope, matching the tool's counters.
    const heavy = { 'gen_ai.tool.name': 'heavy' };
    const entries = await m.points(METRIC_LIMIT_ENTRIES);
    expect(entries.map((p) => [p.attributes, p.value])).toEqual(
      ['warn', 'throttle', 'emergency'].map((level) => [
        {
          ...heavy,
          'mcp_resource_guard.limit.level': level,
          'mcp_resource_guard.resource': 'memory',
          'mcp_resource_guard.scope': 'tool',
        },
        1,
      ]),
    );
    const levelEntries = guard.snapshot().tools.heavy?.levelEntries;
    for (const level of LIMIT_LEVELS) {
      expect(await m.sum(METRIC_LIMIT_ENTRIES, { 'mcp_resource_guard.limit.level': level }), level).toBe(
        levelEntries?.[level],
      );
    }
    const upward = events.limit.filter((e) => e.level !== undefined && levelRank(e.level) > levelRank(e.previous));
    expect(await m.sum(METRIC_LIMIT_ENTRIES)).toBe(upward.length);

    // Throttle events, by action, as emitted; the rejection carries its code as error.type.
    for (const action of ['throttled', 'released', 'rejected'] as const) {
      const emitted = events.throttle.filter((e) => e.action === action).length;
      expect(await m.sum(METRIC_THROTTLE_EVENTS, { 'mcp_resource_guard.throttle.action': action }), action).toBe(
        emitted,
      );
    }
    // Released when the tool's aggregate is sampled after its calls ended, after the refusal in the cool-down.
    expect(events.throttle.map((e) => e.action)).toEqual(['throttled', 'rejected', 'released']);
    expect((await m.points(METRIC_THROTTLE_EVENTS)).map((p) => p.attributes)).toEqual([
      {
        ...heavy,
        'mcp_resource_guard.throttle.action': 'throttled',
        'mcp_resource_guard.scope': 'tool',
        'mcp_resource_guard.resource': 'memory',
        'mcp_resource_guard.limit.level': 'throttle',
      },
      {
        ...heavy,
        'mcp_resource_guard.throttle.action': 'rejected',
        'mcp_resource_guard.scope': 'tool',
        'error.type': 'TOOL_DEACTIVATED',
      },
      {
        ...heavy,
        'mcp_resource_guard.throttle.action': 'released',
        'mcp_resource_guard.scope': 'tool',
        'mcp_resource_guard.resource': 'memory',
      },
    ]);

    expect((await m.points(METRIC_EMERGENCIES)).map((p) => [p.attributes, p.value])).toEqual([
      [{ ...heavy, 'mcp_resource_guard.scope': 'tool', 'mcp_resource_guard.resource': 'memory' }, 1],
    ]);
    expect((await m.points(METRIC_RECOVERIES)).map((p) => [p.attributes, p.value])).toEqual([
      [{ ...heavy, 'mcp_resource_guard.recovery.outcome': 'success', 'mcp_resource_guard.recovery.via': 'probe' }, 1],
    ]);

    // Cleanups by reason: a at the limit, b by the emergency.
    expect(events.cleanup.map((r) => r.reason).sort()).toEqual(['emergency', 'limit']);
    expect(await m.sum(METRIC_CLEANUPS, { 'mcp_resource_guard.cleanup.reason': 'limit' })).toBe(1);
    expect(await m.sum(METRIC_CLEANUPS, { 'mcp_resource_guard.cleanup.reason': 'emergency' })).toBe(1);
  });

  it('counts session-scope limits and throttles without the session id', async () => {
    const { m, time, usage, guard, events } = setup({ limits: { perSession: { maxMemoryMb: 100 } } });
    const small = await guard.admit({ toolName: 'a', sessionId: 'session-secret-1' });
    const big = await guard.admit({ toolName: 'b', sessionId: 'session-secret-1' });
    usage.set(small, { memoryMb: 30 });
    usage.set(big, { memoryMb: 65 });
    time.advance(10);
    small.end('ok');
    big.end('ok');
    expect(events.limit[0]).toMatchObject({ scope: 'session', level: 'throttle', sessionId: 'session-secret-1' });
    expect(events.throttle[0]).toMatchObject({ scope: 'session', key: 'session-secret-1' });
    expect((await m.points(METRIC_LIMIT_ENTRIES)).map((p) => p.attributes)).toEqual([
      {
        'mcp_resource_guard.limit.level': 'throttle',
        'mcp_resource_guard.resource': RESOURCE_ATTRIBUTE_VALUES.memoryMb,
        'mcp_resource_guard.scope': 'session',
      },
    ]);
    const throttled = await m.points(METRIC_THROTTLE_EVENTS, { 'mcp_resource_guard.throttle.action': 'throttled' });
    expect(throttled.map((p) => p.attributes)).toEqual([
      {
        'mcp_resource_guard.throttle.action': 'throttled',
        'mcp_resource_guard.scope': 'session',
        'mcp_resource_guard.resource': 'memory',
        'mcp_resource_guard.limit.level': 'throttle',
      },
    ]);
  });

  it('counts a failed recovery after a cleanup', async () => {
    const { m, time, guard, events } = setup({ limits: { perCall: { maxExecutionTimeMs: 50 } } });
    const slow = await guard.admit({ toolName: 't' });
    time.advance(60);
    slow.end('timeout');
    await slow.settled;
    const next = await guard.admit({ toolName: 't' });
    next.end('thrown');
    expect(events.recovery).toEqual([expect.objectContaining({ success: false, via: 'next_call' })]);
    expect(
      await m.sum(METRIC_RECOVERIES, {
        'mcp_resource_guard.recovery.outcome': 'failure',
        'mcp_resource_guard.recovery.via': 'next_call',
      }),
    ).toBe(1);
    expect(
      await m.sum(METRIC_LIMIT_ENTRIES, {
        'mcp_resource_guard.resource': 'execution_time',
        'mcp_resource_guard.limit.level': 'cleanup',
      }),
    ).toBe(1);
    expect(
      await m.sum(METRIC_CLEANUPS, { 'gen_ai.tool.name': 't', 'mcp_resource_guard.cleanup.reason': 'timeout' }),
    ).toBe(1);
  });
});

describe('internal errors and blocked event loops', () => {
  it("counts the guard's internal errors by source, as its snapshot counts them", async () => {
    const { m, time, guard } = setup({
      sources: [
        {
          name: 'broken-probe',
          sample() {
            throw new Error('probe failed');
          },
        },
      ],
    });
    guard.on('call', () => {
      throw new Error('a user listener failed');
    });
    const call = await guard.admit({ toolName: 'x' });
    time.advance(10);
    call.end('ok');
    const errors = guard.snapshot().internalErrors;
    expect(errors).toBe(2);
    expect(await m.sum(METRIC_INTERNAL_ERRORS)).toBe(errors);
    expect((await m.points(METRIC_INTERNAL_ERRORS)).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'mcp_resource_guard.internal_error.source': 'source' }, 1],
      [{ 'mcp_resource_guard.internal_error.source': 'listener' }, 1],
    ]);
  });

  it('counts a blocked event loop with the tool whose code blocked it', async () => {
    const m = metricsHarness();
    const guard = createResourceGuard({ watchdog: { thresholdMs: 100 }, probes: { cpu: true } });
    instrumentGuard(guard, { meterProvider: m.meterProvider });
    closers.push(
      () => m.shutdown(),
      () => guard.close(),
    );
    const seen: GuardEvents['blocked'][] = [];
    guard.on('blocked', (e) => seen.push(e));
    await sleep(300); // let the watchdog thread start
    const call = await guard.admit({ toolName: 'spin' });
    call.run(() => {
      const end = Date.now() + 400;
      while (Date.now() < end) {
        // the event loop is blocked
      }
    });
    await until(() => seen.length > 0, { what: 'a blocked event', timeoutMs: 2000, intervalMs: 20 });
    call.end('ok');
    expect(seen).toEqual([expect.objectContaining({ tool: 'spin' })]);
    expect((await m.points(METRIC_EVENT_LOOP_BLOCKS)).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'gen_ai.tool.name': 'spin' }, 1],
    ]);
  });
});
