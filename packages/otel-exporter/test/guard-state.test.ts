import { TOOL_STATES } from '@mcp-resource-guard/core';
import { describe, expect, it } from 'vitest';
import {
  instrumentGuard,
  METRIC_THROTTLED,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_CALLS_QUEUED,
  METRIC_TOOL_RECOVERY_RATE,
  METRIC_TOOL_STATUS,
} from '../src/index.js';
import { scriptedGuard } from './support/scripted-guard.js';

function setup() {
  const { m, time, usage, guard } = scriptedGuard({
    sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 100 },
    levels: { dwellSamples: 1 },
    limits: { perTool: { maxMemoryMb: 100 } },
    emergency: { coolDownMs: 1000 },
    throttle: { maxQueue: 4, maxWaitMs: 10_000 },
  });
  let snapshots = 0;
  const source = {
    on: guard.on.bind(guard),
    snapshot: () => {
      snapshots++;
      return guard.snapshot();
    },
  };
  const handle = instrumentGuard(source, { meterProvider: m.meterProvider });
  return { m, time, usage, guard, handle, snapshots: () => snapshots };
}

describe('state observed from guard.snapshot() at collection', () => {
  it('reports calls in flight and queued per tool, the lifecycle state as a state set, and throttling', async () => {
    const { m, time, usage, guard, snapshots } = setup();
    guard.registerTool('idle-tool');
    const a1 = await guard.admit({ toolName: 'a' });
    const a2 = await guard.admit({ toolName: 'a' });
    const h = await guard.admit({ toolName: 'heavy' });
    usage.set(h, { memoryMb: 95 });
    time.advance(10); // heavy is throttled: a new call waits
    const waiting = guard.admit({ toolName: 'heavy' });

    const before = snapshots();
    const inFlight = await m.points(METRIC_TOOL_CALLS_IN_FLIGHT);
    expect(snapshots()).toBe(before + 1); // one snapshot per collection, for every observable
    expect(Object.fromEntries(inFlight.map((p) => [p.attributes['gen_ai.tool.name'], p.value]))).toEqual({
      'idle-tool': 0,
      a: 2,
      heavy: 1,
    });
    expect((await m.metric(METRIC_TOOL_CALLS_IN_FLIGHT))?.descriptor.unit).toBe('{call}');
    expect(await m.sum(METRIC_TOOL_CALLS_QUEUED, { 'gen_ai.tool.name': 'heavy' })).toBe(1);
    expect(await m.sum(METRIC_TOOL_CALLS_QUEUED, { 'gen_ai.tool.name': 'a' })).toBe(0);

    const status = await m.points(METRIC_TOOL_STATUS, { 'gen_ai.tool.name': 'a' });
    expect(status).toHaveLength(TOOL_STATES.length);
    expect(Object.fromEntries(status.map((p) => [p.attributes['mcp_resource_guard.tool.state'], p.value]))).toEqual({
      registered: 0,
      active: 1,
      idle: 0,
      error: 0,
      deactivated: 0,
      unregistered: 0,
    });
    expect(await m.sum(METRIC_TOOL_STATUS, { 'gen_ai.tool.name': 'idle-tool' })).toBe(1);
    expect(
      await m.sum(METRIC_TOOL_STATUS, {
        'gen_ai.tool.name': 'idle-tool',
        'mcp_resource_guard.tool.state': 'registered',
      }),
    ).toBe(1);

    expect(await m.sum(METRIC_THROTTLED, { 'gen_ai.tool.name': 'heavy', 'mcp_resource_guard.scope': 'tool' })).toBe(1);
    expect(await m.sum(METRIC_THROTTLED, { 'gen_ai.tool.name': 'a' })).toBe(0);
    expect((await m.points(METRIC_THROTTLED, { 'mcp_resource_guard.scope': 'process' })).map((p) => p.value)).toEqual([
      0,
    ]);
    expect(await m.points(METRIC_TOOL_RECOVERY_RATE)).toEqual([]);

    // The throttle lifts when the heavy call ends; the waiting call then runs and ends.
    a1.end('ok');
    a2.end('thrown');
    h.end('ok');
    time.advance(100); // the tool's next sample (idle now) sees its aggregate fall
    (await waiting).end('ok');
    expect(await m.sum(METRIC_THROTTLED, { 'gen_ai.tool.name': 'heavy' })).toBe(0);
    expect(await m.sum(METRIC_TOOL_CALLS_IN_FLIGHT)).toBe(0);
    expect(await m.sum(METRIC_TOOL_STATUS, { 'gen_ai.tool.name': 'a', 'mcp_resource_guard.tool.state': 'error' })).toBe(
      1,
    );
  });

  it('reports a deactivated tool and its recovery rate after an emergency', async () => {
    const { m, time, usage, guard } = setup();
    const a = await guard.admit({ toolName: 'heavy' });
    usage.set(a, { memoryMb: 200 });
    time.advance(10);
    a.end('limit');
    await a.settled;
    expect(
      await m.sum(METRIC_TOOL_STATUS, { 'gen_ai.tool.name': 'heavy', 'mcp_resource_guard.tool.state': 'deactivated' }),
    ).toBe(1);
    time.advance(1000);
    const probe = await guard.admit({ toolName: 'heavy' });
    probe.end('thrown'); // failed probe: deactivated again
    time.advance(2000);
    const second = await guard.admit({ toolName: 'heavy' });
    second.end('ok');
    const rate = guard.snapshot().tools.heavy?.recovery.rate;
    expect(rate).toBe(0.5);
    expect((await m.points(METRIC_TOOL_RECOVERY_RATE)).map((p) => [p.attributes, p.value])).toEqual([
      [{ 'gen_ai.tool.name': 'heavy' }, rate],
    ]);
    expect((await m.metric(METRIC_TOOL_RECOVERY_RATE))?.descriptor.unit).toBe('1');
  });

  it('stops observing when stopped', async () => {
    const { m, guard, handle, snapshots } = setup();
    (await guard.admit({ toolName: 'a' })).end('ok');
    await m.collect();
    expect(snapshots()).toBe(1);
    handle.stop();
    handle.stop(); // idempotent
    expect(handle.stopped).toBe(true);
    await m.collect();
    expect(snapshots()).toBe(1);
  });
});
