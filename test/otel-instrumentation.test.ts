// GuardInstrumentation as OpenTelemetry's registerInstrumentations (the real package) drives it: it finds the
// guards made before it and after it, in this process and in a stdio server it does not own, and its spans reach a
// real OTLP/HTTP receiver.
import { fileURLToPath } from 'node:url';
import { GuardInstrumentation, METRIC_MCP_SERVER_OPERATION_DURATION } from '@mcp-resource-guard/otel-exporter';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  attributesOf,
  OTLP_KIND_SERVER,
  OTLP_STATUS_ERROR,
  type OtlpReceiver,
  startOtlpReceiver,
} from './support/otlp-receiver.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/traced-stdio-server.mjs', import.meta.url));
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver?.close();
});

function traceparent(): { traceId: string; meta: Record<string, string> } {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const traceId = `c${hex(31)}`;
  return { traceId, meta: { traceparent: `00-${traceId}-d${hex(15)}-01` } };
}

describe('GuardInstrumentation through registerInstrumentations', () => {
  it('instruments the guards made before it and after it, metrics and traces, until disabled', async () => {
    const closers: (() => Promise<unknown>)[] = [];
    try {
      const before = resourceMiddleware({ watchdog: false });
      const tracerProvider = new BasicTracerProvider({
        spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }))],
      });
      const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
      const meterProvider = new MeterProvider({
        readers: [new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 })],
      });
      closers.push(
        () => tracerProvider.shutdown(),
        () => meterProvider.shutdown(),
      );
      const instrumentation = new GuardInstrumentation();
      const unregister = registerInstrumentations({
        tracerProvider,
        meterProvider,
        instrumentations: [instrumentation],
      });
      closers.push(async () => unregister());
      const after = resourceMiddleware({ watchdog: false });

      const clientOf = async (guard: typeof before, tool: string) => {
        const server = new McpServer({ name: 'instrumented', version: '1.0.0' });
        withMiddleware(server).use(guard);
        server.registerTool(tool, {}, async () => text(tool));
        const [a, b] = InMemoryTransport.createLinkedPair();
        const client = new Client({ name: 'c', version: '1.0.0' });
        await server.connect(b);
        await client.connect(a);
        closers.push(
          () => guard.close(),
          () => server.close(),
          () => client.close(),
        );
        return client;
      };
      const early = await clientOf(before, 'made_before');
      const late = await clientOf(after, 'made_after');
      // No propagator is registered here: the spans start new traces; they are told apart by their tool.
      await early.callTool({ name: 'made_before' });
      await late.callTool({ name: 'made_after' });
      await tracerProvider.forceFlush();
      const named = (name: string) => receiver.spans.filter((s) => s.name === `tools/call ${name}`);
      await until(() => named('made_before').length === 1 && named('made_after').length === 1, {
        what: 'a span from each guard',
      });

      await meterProvider.forceFlush();
      const tools = exporter
        .getMetrics()
        .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
        .filter((m) => m.descriptor.name === METRIC_MCP_SERVER_OPERATION_DURATION)
        .flatMap((m) => m.dataPoints.map((p) => p.attributes['gen_ai.tool.name']));
      expect(tools.sort()).toEqual(['made_after', 'made_before']);

      // A disabled instrumentation records nothing more.
      instrumentation.disable();
      await late.callTool({ name: 'made_after' });
      await tracerProvider.forceFlush();
      expect(named('made_after')).toHaveLength(1);
      expect(instrumentation.getConfig().enabled).toBe(true);
      expect(instrumentation.instrumentationName).toBe('@mcp-resource-guard/otel-exporter');
    } finally {
      for (const close of closers.splice(0).reverse()) await close();
    }
  });

  it('traces a stdio server it was registered in, found as its guard is made: network.transport pipe', async () => {
    const client = new Client({ name: 'stdio-client', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [FIXTURE],
        env: { ...(process.env as Record<string, string>), OTLP_TRACES_URL: `${receiver.url}/v1/traces` },
        stderr: 'ignore',
      }),
    );
    try {
      const ok = traceparent();
      const stopped = traceparent();
      await client.callTool({ name: 'echo', _meta: ok.meta });
      const result = await client.callTool({ name: 'stuck', _meta: stopped.meta });
      expect(result.isError).toBe(true);
      const traced = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
      await until(() => traced(ok.traceId).length === 1 && traced(stopped.traceId).length === 1, {
        what: "the stdio server's spans",
      });
      const [echo] = traced(ok.traceId);
      expect(echo?.kind).toBe(OTLP_KIND_SERVER);
      expect(echo?.parentSpanId).toBe(ok.meta.traceparent?.split('-')[2]);
      const a = attributesOf(echo?.attributes);
      expect(a).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'echo',
        'network.transport': 'pipe',
        'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      });
      expect(a['network.protocol.name']).toBeUndefined();
      expect(a['mcp.session.id']).toBeUndefined(); // stdio has no session
      const [stuck] = traced(stopped.traceId);
      expect(stuck?.status?.code).toBe(OTLP_STATUS_ERROR);
      expect(attributesOf(stuck?.attributes)['error.type']).toBe('timeout');
      expect(stuck?.events?.map((e) => e.name)).toContain('mcp_resource_guard.stop');
    } finally {
      await client.close();
    }
  });
});
