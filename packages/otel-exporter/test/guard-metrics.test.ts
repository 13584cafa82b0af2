import { type CallOutcome, createResourceGuard } from '@mcp-resource-guard/core';
import {
  AggregationTemporality,
  type HistogramMetricData,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { instrumentGuard, MCP_DURATION_BUCKETS, METRIC_MCP_SERVER_OPERATION_DURATION } from '../src/index.js';

function setup() {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  let t = 0;
  const clock = { now: () => t };
  const guard = createResourceGuard({ clock });
  const handle = instrumentGuard(guard, { meterProvider });
  const run = async (toolName: string, ms: number, outcome: CallOutcome) => {
    const call = await guard.admit({ toolName });
    t += ms;
    call.end(outcome);
  };
  const collect = async () => {
    await reader.forceFlush();
    const metrics =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return metrics.find((m) => m.descriptor.name === METRIC_MCP_SERVER_OPERATION_DURATION) as
      | HistogramMetricData
      | undefined;
  };
  return { meterProvider, guard, handle, run, collect };
}

let cleanup: (() => Promise<void>) | undefined;
afterEach(async () => {
  await cleanup?.();
  cleanup = undefined;
});

describe('mcp.server.operation.duration', () => {
  it('records each call in seconds with the convention attributes and buckets', async () => {
    const s = setup();
    cleanup = () => s.meterProvider.shutdown();
    await s.run('search', 40, 'ok');
    await s.run('search', 1500, 'ok');
    await s.run('search', 10, 'tool_error');
    await s.run('fetch', 250, 'timeout');
    const metric = await s.collect();
    expect(metric?.descriptor.unit).toBe('s');
    const points = metric?.dataPoints ?? [];
    const find = (tool: string, error?: string) =>
      points.find((p) => p.attributes['gen_ai.tool.name'] === tool && p.attributes['error.type'] === error);
    const ok = find('search');
    expect(ok?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
    });
    expect(ok?.value.count).toBe(2);
    expect(ok?.value.sum).toBeCloseTo(1.54, 9);
    expect(ok?.value.buckets.boundaries).toEqual(MCP_DURATION_BUCKETS);
    expect(find('search', 'tool_error')?.value.count).toBe(1);
    expect(find('fetch', 'timeout')?.value.sum).toBeCloseTo(0.25, 9);
  });

  it('stops recording when stopped, and a failing provider never throws into the guard', async () => {
    const s = setup();
    cleanup = () => s.meterProvider.shutdown();
    await s.run('a', 5, 'ok');
    s.handle.stop();
    await s.run('a', 5, 'ok');
    expect((await s.collect())?.dataPoints[0]?.value.count).toBe(1);

    const guard = createResourceGuard();
    const broken = {
      getMeter: () => ({
        createHistogram: () => ({
          record: () => {
            throw new Error('exporter down');
          },
        }),
      }),
    };
    instrumentGuard(guard, { meterProvider: broken as never });
    const call = await guard.admit({ toolName: 'x' });
    expect(() => call.end('ok')).not.toThrow();
    expect(guard.snapshot().internalErrors).toBe(0);
  });
});
