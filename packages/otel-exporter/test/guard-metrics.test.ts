import { open, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CallOutcome, type CallRecord, type CleanupReport, createResourceGuard } from '@mcp-resource-guard/core';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CPU_TIME_BUCKETS,
  GUARD_METRIC_NAMES,
  instrumentGuard,
  MCP_DURATION_BUCKETS,
  MEMORY_BUCKETS,
  METRIC_CALL_CPU_TIME,
  METRIC_CALL_FILE_HANDLES_PEAK,
  METRIC_CALL_MEMORY_PEAK,
  METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
  METRIC_CALL_TEMP_STORAGE,
  METRIC_CLEANUP_DURATION,
  METRIC_CLEANUPS,
  METRIC_HANDLE_CLOSE_FAILED,
  METRIC_HANDLE_CLOSED,
  METRIC_HANDLE_LEAKED,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from '../src/index.js';
import { type MetricsHarness, metricsHarness } from './support/metrics-harness.js';
import { scriptedGuard } from './support/scripted-guard.js';

const MIB = 1024 * 1024;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

function setup() {
  const { m, time, usage, guard } = scriptedGuard();
  const records: CallRecord[] = [];
  guard.on('call', (r) => records.push(r));
  const handle = instrumentGuard(guard, { meterProvider: m.meterProvider });
  const run = async (toolName: string, ms: number, outcome: CallOutcome) => {
    const call = await guard.admit({ toolName });
    time.advance(ms);
    return call.end(outcome);
  };
  return { m, time, usage, guard, records, handle, run };
}

describe('mcp.server.operation.duration', () => {
  it('records each call in seconds with the convention attributes and buckets', async () => {
    const { m, run } = setup();
    await run('search', 40, 'ok');
    await run('search', 1500, 'ok');
    await run('search', 10, 'tool_error');
    await run('fetch', 250, 'timeout');
    await run('fetch', 5, 'thrown');
    await run('fetch', 5, 'limit');
    const metric = await m.metric(METRIC_MCP_SERVER_OPERATION_DURATION);
    expect(metric?.descriptor.unit).toBe('s');
    const points = metric?.dataPoints ?? [];
    const find = (tool: string, error?: string) =>
      points.find((p) => p.attributes['gen_ai.tool.name'] === tool && p.attributes['error.type'] === error);
    const value = (tool: string, error?: string) => find(tool, error)?.value as Histogram | undefined;
    const ok = find('search');
    expect(ok?.attributes).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search',
    });
    expect(value('search')?.count).toBe(2);
    expect(value('search')?.sum).toBeCloseTo(1.54, 9);
    expect(value('search')?.buckets.boundaries).toEqual(MCP_DURATION_BUCKETS);
    expect(value('search', 'tool_error')?.count).toBe(1);
    expect(value('fetch', 'timeout')?.sum).toBeCloseTo(0.25, 9);
    expect(value('fetch', '_OTHER')?.count).toBe(1);
    expect(value('fetch', 'resource_limit')?.count).toBe(1);
    expect(points).toHaveLength(5);
  });
});

describe('per-call resource histograms', () => {
  it('record CPU time, peak memory, peak handles and connections, and temp storage as the guard reported them', async () => {
    const { m, time, usage, guard, records } = setup();
    const a = await guard.admit({ toolName: 'render' });
    usage.set(a, { cpuTimeMs: 30, memoryMb: 12 });
    time.advance(50);
    usage.set(a, { memoryMb: 3, tempStorageMb: 2 }); // the peak (12) stays
    // Three files and one socket held at once, all closed before the end.
    const held = [1, 2, 3].map(() => ({ close() {} }));
    for (const h of held) a.track(h, { kind: 'file' });
    const socket = a.track({ destroy() {} }, { kind: 'socket' });
    for (const h of held) a.untrack(h);
    a.untrack(socket);
    a.end('ok');

    const b = await guard.admit({ toolName: 'render' });
    usage.set(b, { cpuTimeMs: 1500, memoryMb: 100 });
    b.track({ close() {} }, { kind: 'file' });
    time.advance(2000);
    b.end('tool_error');
    await b.settled;

    expect(records).toHaveLength(2);
    const [ra, rb] = records as [CallRecord, CallRecord];
    expect(ra.usage.cpuTimeMs).toBe(30);
    expect(ra.peak).toMatchObject({ memoryMb: 12, fileHandles: 3, networkConnections: 1 });

    const ok = { 'gen_ai.tool.name': 'render' };
    const cpu = await m.metric(METRIC_CALL_CPU_TIME);
    expect(cpu?.descriptor).toMatchObject({ unit: 's', valueType: 1 });
    expect(cpu?.dataPoints.map((p) => p.attributes)).toEqual([ok, { ...ok, 'error.type': 'tool_error' }]);
    const cpuOk = (await m.histogram(METRIC_CALL_CPU_TIME, ok)) as Histogram;
    expect(cpuOk.buckets.boundaries).toEqual(CPU_TIME_BUCKETS);
    expect(cpuOk.sum).toBeCloseTo(ra.usage.cpuTimeMs / 1000, 12);
    const cpuErr = await m.histogram(METRIC_CALL_CPU_TIME, { ...ok, 'error.type': 'tool_error' });
    expect(cpuErr?.sum).toBeCloseTo(rb.usage.cpuTimeMs / 1000, 12);

    const memory = await m.metric(METRIC_CALL_MEMORY_PEAK);
    expect(memory?.descriptor.unit).toBe('By');
    const memOk = (await m.histogram(METRIC_CALL_MEMORY_PEAK, ok)) as Histogram;
    expect(memOk.sum).toBe(ra.peak.memoryMb * MIB);
    expect(memOk.buckets.boundaries).toEqual(MEMORY_BUCKETS);
    expect((await m.histogram(METRIC_CALL_MEMORY_PEAK, { ...ok, 'error.type': 'tool_error' }))?.sum).toBe(100 * MIB);

    expect((await m.metric(METRIC_CALL_FILE_HANDLES_PEAK))?.descriptor.unit).toBe('{handle}');
    expect((await m.histogram(METRIC_CALL_FILE_HANDLES_PEAK, ok))?.sum).toBe(3);
    expect((await m.histogram(METRIC_CALL_FILE_HANDLES_PEAK, { ...ok, 'error.type': 'tool_error' }))?.sum).toBe(1);
    expect((await m.metric(METRIC_CALL_NETWORK_CONNECTIONS_PEAK))?.descriptor.unit).toBe('{connection}');
    expect((await m.histogram(METRIC_CALL_NETWORK_CONNECTIONS_PEAK, ok))?.sum).toBe(1);

    expect((await m.metric(METRIC_CALL_TEMP_STORAGE))?.descriptor.unit).toBe('By');
    expect((await m.histogram(METRIC_CALL_TEMP_STORAGE, ok))?.sum).toBe(ra.usage.tempStorageMb * MIB);
    expect(ra.usage.tempStorageMb).toBe(2);
  });

  it('gives every instrument its documented name, a unit and a description', async () => {
    const { m, run } = setup();
    await run('t', 1, 'ok');
    const names = (await m.collect()).map((metric) => metric.descriptor);
    for (const d of names) {
      expect(d.unit, d.name).not.toBe('');
      expect(d.description, d.name).not.toBe('');
      expect(d.name === METRIC_MCP_SERVER_OPERATION_DURATION || GUARD_METRIC_NAMES.includes(d.name), d.name).toBe(true);
    }
    // Every name is ours (prefixed) and unique.
    expect(new Set(GUARD_METRIC_NAMES).size).toBe(GUARD_METRIC_NAMES.length);
    for (const name of GUARD_METRIC_NAMES) expect(name).toMatch(/^mcp_resource_guard\.[a-z_.]+$/);
  });
});

describe('leaks and cleanup, from real handles', () => {
  let fileCounter = 0;
  async function tempFile(): Promise<string> {
    const file = join(tmpdir(), `otel-exporter-${process.pid}-${++fileCounter}.txt`);
    await writeFile(file, 'data');
    return file;
  }

  async function realGuard(m: MetricsHarness) {
    const guard = createResourceGuard({ watchdog: false });
    const cleanups: CleanupReport[] = [];
    guard.on('cleanup', (r) => cleanups.push(r));
    const records: CallRecord[] = [];
    guard.on('call', (r) => records.push(r));
    instrumentGuard(guard, { meterProvider: m.meterProvider });
    closers.push(
      () => m.shutdown(),
      () => guard.close(),
    );
    return { guard, cleanups, records };
  }

  it('counts FileHandles a call leaves open as leaked, then closed by the leak cleanup', async () => {
    const m = metricsHarness();
    const { guard, cleanups, records } = await realGuard(m);
    const file = await tempFile();
    const call = await guard.admit({ toolName: 'reader' });
    await call.run(async () => {
      await open(file, 'r');
      await open(file, 'r');
      // Burn a little CPU inside the call, so that the CPU probe has something to attribute.
      let x = 0;
      for (let i = 0; i < 2e6; i++) x += i;
      return x;
    });
    call.end('ok');
    await call.settled;

    const record = records[0] as CallRecord;
    expect(record.leaked).toEqual({ file: 2 });
    expect(cleanups).toHaveLength(1);
    expect(cleanups[0]).toMatchObject({ reason: 'leak', mode: 'close', closed: { file: 2 }, survived: 0 });

    const tool = { 'gen_ai.tool.name': 'reader' };
    expect(await m.sum(METRIC_HANDLE_LEAKED, tool)).toBe(2);
    expect((await m.points(METRIC_HANDLE_LEAKED)).map((p) => p.attributes)).toEqual([
      { ...tool, 'mcp_resource_guard.handle.kind': 'file' },
    ]);
    expect((await m.points(METRIC_HANDLE_CLOSED)).map((p) => [p.attributes, p.value])).toEqual([
      [{ ...tool, 'mcp_resource_guard.cleanup.reason': 'leak', 'mcp_resource_guard.handle.kind': 'file' }, 2],
    ]);
    expect(await m.points(METRIC_HANDLE_CLOSE_FAILED)).toEqual([]);
    expect((await m.points(METRIC_CLEANUPS)).map((p) => [p.attributes, p.value])).toEqual([
      [{ ...tool, 'mcp_resource_guard.cleanup.reason': 'leak', 'mcp_resource_guard.cleanup.mode': 'close' }, 1],
    ]);
    const duration = await m.histogram(METRIC_CLEANUP_DURATION, {
      ...tool,
      'mcp_resource_guard.cleanup.reason': 'leak',
    });
    expect(duration?.count).toBe(1);
    expect(duration?.sum).toBeCloseTo((cleanups[0]?.durationMs ?? Number.NaN) / 1000, 12);

    expect((await m.histogram(METRIC_CALL_FILE_HANDLES_PEAK, tool))?.sum).toBe(2);
    expect(record.usage.cpuTimeMs).toBeGreaterThan(0);
    expect((await m.histogram(METRIC_CALL_CPU_TIME, tool))?.sum).toBeCloseTo(record.usage.cpuTimeMs / 1000, 12);
  });

  it('counts handles a report-mode guard leaves open as leaked, never as failed closes', async () => {
    const m = metricsHarness();
    const guard = createResourceGuard({ watchdog: false, leaks: 'report' });
    instrumentGuard(guard, { meterProvider: m.meterProvider });
    const file = await tempFile();
    let fh: Awaited<ReturnType<typeof open>> | undefined;
    closers.push(
      () => m.shutdown(),
      () => guard.close(),
      async () => fh?.close(),
    );
    const call = await guard.admit({ toolName: 'keeper' });
    await call.run(async () => {
      fh = await open(file, 'r');
    });
    call.end('ok');
    await call.settled;
    expect(await m.sum(METRIC_HANDLE_LEAKED, { 'mcp_resource_guard.handle.kind': 'file' })).toBe(1);
    expect(await m.sum(METRIC_CLEANUPS, { 'mcp_resource_guard.cleanup.mode': 'report' })).toBe(1);
    expect(await m.points(METRIC_HANDLE_CLOSE_FAILED)).toEqual([]);
    expect(await m.points(METRIC_HANDLE_CLOSED)).toEqual([]);
  });
});
