// OTLP/HTTP (JSON) export of the guard's metrics to a real HTTP receiver, from real tool calls through an MCP server.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';
import {
  GUARD_METRIC_NAMES,
  instrumentGuard,
  METRIC_CALL_CPU_TIME,
  METRIC_HANDLE_LEAKED,
  METRIC_LIMIT_ENTRIES,
  METRIC_MCP_SERVER_OPERATION_DURATION,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_STATUS,
} from '@mcp-resource-guard/otel-exporter';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveScenario, type OtelMcpServer, startOtelMcpServer } from './support/otel-mcp-server.js';

// The OTLP JSON encoding, as much of it as the assertions read.
interface KeyValue {
  key: string;
  value: { stringValue?: string; intValue?: number | string; boolValue?: boolean; doubleValue?: number };
}
interface NumberPoint {
  attributes: KeyValue[];
  asInt?: number | string;
  asDouble?: number;
}
interface HistogramPoint {
  attributes: KeyValue[];
  count: number | string;
  sum?: number;
  bucketCounts: (number | string)[];
  explicitBounds: number[];
}
interface OtlpMetric {
  name: string;
  unit?: string;
  description?: string;
  sum?: { dataPoints: NumberPoint[]; aggregationTemporality: number; isMonotonic: boolean };
  gauge?: { dataPoints: NumberPoint[] };
  histogram?: { dataPoints: HistogramPoint[]; aggregationTemporality: number };
}
interface ExportRequest {
  resourceMetrics: {
    resource: { attributes: KeyValue[] };
    scopeMetrics: { scope: { name: string; version?: string }; metrics: OtlpMetric[] }[];
  }[];
}

const received: { path: string; headers: IncomingHttpHeaders; body: ExportRequest }[] = [];
let receiver: Server;
let receiverUrl = '';
let mcp: OtelMcpServer;
let meterProvider: MeterProvider;
let reader: PeriodicExportingMetricReader;

const attrs = (kvs: KeyValue[]) =>
  Object.fromEntries(kvs.map((kv) => [kv.key, kv.value.stringValue ?? kv.value.intValue ?? kv.value.boolValue]));
const num = (p: NumberPoint) => Number(p.asInt ?? p.asDouble);

beforeAll(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      received.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(raw.toString('utf8')) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as { port: number }).port}/v1/metrics`;

  reader = new PeriodicExportingMetricReader({
    exporter: new OTLPMetricExporter({ url: receiverUrl }),
    exportIntervalMillis: 3_600_000,
  });
  meterProvider = new MeterProvider({ readers: [reader] });
  mcp = await startOtelMcpServer();
  instrumentGuard(mcp.guard, { meterProvider });
  await driveScenario(mcp);
  await reader.forceFlush();
});

afterAll(async () => {
  await mcp?.close();
  await meterProvider?.shutdown();
  await new Promise((r) => receiver?.close(r));
});

describe('OTLP/HTTP export to a real receiver', () => {
  it("POSTs an OTLP JSON export request with our instrumentation scope, at the package's version", () => {
    const packageJson = new URL('../packages/otel-exporter/package.json', import.meta.url);
    const { version } = JSON.parse(readFileSync(packageJson, 'utf8')) as { version: string };
    expect(received.length).toBeGreaterThanOrEqual(1);
    const request = received.at(-1);
    expect(request?.path).toBe('/v1/metrics');
    expect(request?.headers['content-type']).toBe('application/json');
    const scopes = request?.body.resourceMetrics.flatMap((r) => r.scopeMetrics) ?? [];
    expect(scopes.map((s) => s.scope)).toEqual([{ name: '@mcp-resource-guard/otel-exporter', version }]);
  });

  it('carries the MCP duration, per-call, event and state metrics with the values the guard reported', () => {
    const metrics = new Map(
      (received.at(-1)?.body.resourceMetrics ?? [])
        .flatMap((r) => r.scopeMetrics)
        .flatMap((s) => s.metrics)
        .map((m) => [m.name, m]),
    );
    // Every metric the scenario can produce is there; the ones it cannot (no recovery yet, no failed close,
    // no internal error, no blocked loop with the watchdog off) are absent rather than zero.
    const absent = new Set([
      'mcp_resource_guard.handle.close_failed',
      'mcp_resource_guard.recoveries',
      'mcp_resource_guard.event_loop.blocks',
      'mcp_resource_guard.internal_errors',
      'mcp_resource_guard.tool.recovery_rate',
    ]);
    for (const name of [METRIC_MCP_SERVER_OPERATION_DURATION, ...GUARD_METRIC_NAMES]) {
      expect(metrics.has(name), name).toBe(!absent.has(name));
    }

    const duration = metrics.get(METRIC_MCP_SERVER_OPERATION_DURATION);
    expect(duration?.unit).toBe('s');
    expect(duration?.histogram?.aggregationTemporality).toBe(2); // cumulative
    const echo = duration?.histogram?.dataPoints.find((p) => attrs(p.attributes)['gen_ai.tool.name'] === 'echo');
    expect(attrs(echo?.attributes ?? [])).toEqual({
      'mcp.method.name': 'tools/call',
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'echo',
    });
    expect(Number(echo?.count)).toBe(5);
    const echoRecords = mcp.records.filter((r) => r.toolName === 'echo');
    expect(echo?.sum).toBeCloseTo(
      echoRecords.reduce((t, r) => t + r.usage.executionTimeMs / 1000, 0),
      9,
    );
    expect(echo?.explicitBounds).toEqual([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300]);

    const cpu = metrics.get(METRIC_CALL_CPU_TIME);
    expect(cpu?.unit).toBe('s');
    const burn = cpu?.histogram?.dataPoints.find((p) => attrs(p.attributes)['gen_ai.tool.name'] === 'burn');
    const burnCpu = mcp.records.filter((r) => r.toolName === 'burn').reduce((t, r) => t + r.usage.cpuTimeMs / 1000, 0);
    expect(burnCpu).toBeGreaterThan(0.05);
    expect(burn?.sum).toBeCloseTo(burnCpu, 9);

    const leaked = metrics.get(METRIC_HANDLE_LEAKED);
    expect(leaked?.sum?.isMonotonic).toBe(true);
    expect(leaked?.sum?.dataPoints.map((p) => [attrs(p.attributes), num(p)])).toEqual([
      [{ 'gen_ai.tool.name': 'leaky', 'mcp_resource_guard.handle.kind': 'file' }, 2],
    ]);

    const entries = metrics.get(METRIC_LIMIT_ENTRIES)?.sum?.dataPoints ?? [];
    const reported = mcp.guard.snapshot().tools.slow?.levelEntries;
    for (const level of ['warn', 'throttle', 'cleanup', 'emergency'] as const) {
      const total = entries
        .filter((p) => attrs(p.attributes)['mcp_resource_guard.limit.level'] === level)
        .reduce((t, p) => t + num(p), 0);
      expect(total, level).toBe(reported?.[level]);
    }
    expect(reported?.emergency).toBe(1);

    const inFlight = metrics.get(METRIC_TOOL_CALLS_IN_FLIGHT);
    expect(inFlight?.sum?.isMonotonic).toBe(false);
    expect(inFlight?.sum?.dataPoints.map(num).every((v) => v === 0)).toBe(true);
    const status = metrics.get(METRIC_TOOL_STATUS)?.gauge?.dataPoints ?? [];
    const slowState = status.find((p) => attrs(p.attributes)['gen_ai.tool.name'] === 'slow' && num(p) === 1);
    expect(attrs(slowState?.attributes ?? [])['mcp_resource_guard.tool.state']).toBe('deactivated');
  });
});
