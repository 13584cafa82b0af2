// Tool-call spans over OTLP/HTTP to a real receiver: a real MCP SDK client and server over Streamable HTTP, a real
// NodeTracerProvider (context manager and W3C propagator registered), the client's trace context in params._meta.
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { type HttpHost, startHttpHost } from '@mcp-resource-guard/example-http-server';
import {
  GUARD_SPAN_ATTRIBUTES,
  GUARD_SPAN_EVENT_ATTRIBUTES,
  GUARD_SPAN_EVENTS,
  instrumentGuard,
  traceGuard,
} from '@mcp-resource-guard/otel-exporter';
import {
  type ResourceMiddleware,
  resourceMiddleware,
  type ToolCallMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import { until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { LATEST_PROTOCOL_VERSION } from '@modelcontextprotocol/sdk/types.js';
import { context, propagation, SpanKind, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import {
  attributesOf,
  OTLP_KIND_INTERNAL,
  OTLP_KIND_SERVER,
  OTLP_STATUS_ERROR,
  type OtlpReceiver,
  type OtlpSpan,
  startOtlpReceiver,
} from './support/otlp-receiver.js';

const SELF = fileURLToPath(import.meta.url);
const SCOPE = '@mcp-resource-guard/otel-exporter';
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

let receiver: OtlpReceiver;
let provider: NodeTracerProvider;

/** A client-side trace context: a fresh trace and span id, as an MCP client's instrumentation would inject. */
function clientContext(): { traceId: string; spanId: string; meta: Record<string, string> } {
  const hex = (n: number) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const traceId = `a${hex(31)}`;
  const spanId = `b${hex(15)}`;
  return { traceId, spanId, meta: { traceparent: `00-${traceId}-${spanId}-01`, tracestate: 'vendor=guarded' } };
}

/** The received spans of a trace, once `count` of them (or more) are in. */
async function spansOf(traceId: string, count: number): Promise<OtlpSpan[]> {
  await provider.forceFlush();
  await until(() => receiver.spans.filter((s) => s.traceId === traceId).length >= count, {
    what: `${count} spans of trace ${traceId}`,
  });
  return receiver.spans.filter((s) => s.traceId === traceId);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  provider = new NodeTracerProvider({
    spanProcessors: [new SimpleSpanProcessor(new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }))],
  });
  provider.register();
});

afterAll(async () => {
  await provider?.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
  await receiver?.close();
});

describe('a span per tool call, over Streamable HTTP', () => {
  let host: HttpHost;
  let guard: ResourceMiddleware;
  let client: Client;
  let transport: StreamableHTTPClientTransport;
  let meterProvider: MeterProvider;
  let metricExporter: InMemoryMetricExporter;

  beforeAll(async () => {
    guard = resourceMiddleware({
      watchdog: false,
      sampling: { activeMs: 10, idleMs: 100 },
      tools: { stuck: { perCall: { maxExecutionTimeMs: 150 } } },
    });
    traceGuard(guard);
    metricExporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    meterProvider = new MeterProvider({
      readers: [new PeriodicExportingMetricReader({ exporter: metricExporter, exportIntervalMillis: 3_600_000 })],
    });
    instrumentGuard(guard, { meterProvider });
    const tracer = trace.getTracer('the-tool');
    host = await startHttpHost(() => {
      const server = new McpServer({ name: 'traced', version: '1.0.0' });
      withMiddleware(server).use(guard);
      server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, async ({ message }) =>
        text(message),
      );
      server.registerTool('fails', {}, async () => ({ ...text('it failed'), isError: true }));
      server.registerTool('leaky', {}, async () => {
        await open(SELF, 'r');
        return text('left a file open');
      });
      // Holds a file and never answers: stopped at its 150 ms limit, and the file closed by the cleanup.
      server.registerTool('stuck', {}, async () => {
        await open(SELF, 'r');
        return new Promise<never>(() => {});
      });
      // The tool's own span: a child of the call's span when the call's span is active in the tool's code.
      server.registerTool('nested', {}, async () =>
        tracer.startActiveSpan('lookup', (span) => {
          span.end();
          return text('looked up');
        }),
      );
      return server;
    });
    client = new Client({ name: 'traced-client', version: '1.0.0' });
    transport = new StreamableHTTPClientTransport(host.url);
    await client.connect(transport);
  });

  afterAll(async () => {
    await client?.close();
    await host?.close();
    await guard?.close();
    await meterProvider?.shutdown();
  });

  it('is a SERVER span named after the tool, parented on the traceparent the client sent in _meta', async () => {
    const { traceId, spanId, meta } = clientContext();
    await client.callTool({ name: 'echo', arguments: { message: 'hi' }, _meta: meta });
    const [span, ...others] = await spansOf(traceId, 1);
    expect(others).toEqual([]);
    expect(span?.name).toBe('tools/call echo');
    expect(span?.kind).toBe(OTLP_KIND_SERVER);
    expect(span?.scope).toBe(SCOPE);
    expect(span?.parentSpanId).toBe(spanId);
    expect(span?.status?.code ?? 0).toBe(0);
    const a = attributesOf(span?.attributes);
    expect(a).toMatchObject({
      'mcp.method.name': 'tools/call',
      'gen_ai.tool.name': 'echo',
      'gen_ai.operation.name': 'execute_tool',
      'mcp.session.id': transport.sessionId,
      'mcp.protocol.version': LATEST_PROTOCOL_VERSION,
      'network.transport': 'tcp',
      'network.protocol.name': 'http',
      [GUARD_SPAN_ATTRIBUTES.outcome]: 'ok',
      [GUARD_SPAN_ATTRIBUTES.leakedHandles]: 0,
    });
    expect(a['jsonrpc.request.id']).toMatch(/^\d+$/);
    expect(a['error.type']).toBeUndefined();
    expect(a[GUARD_SPAN_ATTRIBUTES.callId]).toMatch(/^\d+$/);
    for (const key of [GUARD_SPAN_ATTRIBUTES.executionTime, GUARD_SPAN_ATTRIBUTES.cpuTime]) {
      expect(typeof a[key], key).toBe('number');
    }
    expect(a[GUARD_SPAN_ATTRIBUTES.executionTime]).toBeGreaterThan(0);
  });

  it("is the active span of the tool's code: the tool's own spans are its children", async () => {
    const { traceId, meta } = clientContext();
    await client.callTool({ name: 'nested', _meta: meta });
    const spans = await spansOf(traceId, 2);
    const call = spans.find((s) => s.name === 'tools/call nested');
    const lookup = spans.find((s) => s.name === 'lookup');
    expect(lookup?.kind).toBe(OTLP_KIND_INTERNAL);
    expect(lookup?.parentSpanId).toBe(call?.spanId);
  });

  it("marks an isError result with the conventions' error.type tool_error and status ERROR", async () => {
    const { traceId, meta } = clientContext();
    await client.callTool({ name: 'fails', _meta: meta });
    const [span] = await spansOf(traceId, 1);
    expect(span?.status?.code).toBe(OTLP_STATUS_ERROR);
    expect(attributesOf(span?.attributes)).toMatchObject({
      'error.type': 'tool_error',
      [GUARD_SPAN_ATTRIBUTES.outcome]: 'tool_error',
    });
  });

  it('records the leak and the cleanup of a call that left a file open, by kind', async () => {
    const { traceId, meta } = clientContext();
    await client.callTool({ name: 'leaky', _meta: meta });
    const [span] = await spansOf(traceId, 1);
    const events = new Map((span?.events ?? []).map((e) => [e.name, attributesOf(e.attributes)]));
    expect(attributesOf(span?.attributes)[GUARD_SPAN_ATTRIBUTES.leakedHandles]).toBe(1);
    expect(events.get(GUARD_SPAN_EVENTS.leak)).toMatchObject({
      [`${GUARD_SPAN_EVENT_ATTRIBUTES.handlesPrefix}file`]: 1,
    });
    expect(events.get(GUARD_SPAN_EVENTS.cleanup)).toMatchObject({
      'mcp_resource_guard.cleanup.reason': 'leak',
      'mcp_resource_guard.cleanup.mode': 'close',
      [`${GUARD_SPAN_EVENT_ATTRIBUTES.closedPrefix}file`]: 1,
      [GUARD_SPAN_EVENT_ATTRIBUTES.survived]: 0,
    });
  });

  it('shows a call stopped at its time limit: its level changes, the stop, the cleanup, and its figures', async () => {
    const { traceId, spanId, meta } = clientContext();
    const result = await client.callTool({ name: 'stuck', _meta: meta });
    expect(result.isError).toBe(true);
    const [span] = await spansOf(traceId, 1);
    expect(span?.name).toBe('tools/call stuck');
    expect(span?.parentSpanId).toBe(spanId);
    expect(span?.status?.code).toBe(OTLP_STATUS_ERROR);
    expect(span?.status?.message).toMatch(/maxExecutionTimeMs|execution/i);
    const a = attributesOf(span?.attributes);
    expect(a).toMatchObject({ 'error.type': 'timeout', [GUARD_SPAN_ATTRIBUTES.outcome]: 'timeout' });
    expect(a[GUARD_SPAN_ATTRIBUTES.fileHandlesPeak]).toBe(1);
    expect(a[GUARD_SPAN_ATTRIBUTES.executionTime]).toBeGreaterThanOrEqual(0.15);

    const events = span?.events ?? [];
    const levels = events
      .filter((e) => e.name === GUARD_SPAN_EVENTS.limit)
      .map((e) => attributesOf(e.attributes)['mcp_resource_guard.limit.level']);
    expect(levels).toEqual(expect.arrayContaining(['warn', 'cleanup']));
    const limit = attributesOf(events.find((e) => e.name === GUARD_SPAN_EVENTS.limit)?.attributes);
    expect(limit).toMatchObject({
      'mcp_resource_guard.resource': 'execution_time',
      'mcp_resource_guard.scope': 'call',
      [GUARD_SPAN_EVENT_ATTRIBUTES.limit]: 150,
    });
    const stop = attributesOf(events.find((e) => e.name === GUARD_SPAN_EVENTS.stop)?.attributes);
    expect(stop).toMatchObject({
      [GUARD_SPAN_EVENT_ATTRIBUTES.stopCause]: 'timeout',
      'mcp_resource_guard.resource': 'execution_time',
      'mcp_resource_guard.limit.level': 'cleanup',
      [GUARD_SPAN_EVENT_ATTRIBUTES.limit]: 150,
    });
    const cleanup = attributesOf(events.find((e) => e.name === GUARD_SPAN_EVENTS.cleanup)?.attributes);
    expect(cleanup).toMatchObject({
      'mcp_resource_guard.cleanup.reason': 'timeout',
      [`${GUARD_SPAN_EVENT_ATTRIBUTES.closedPrefix}file`]: 1,
    });
    // Events come in the order the guard did things, and inside the span.
    const names = events.map((e) => e.name);
    expect(names.indexOf(GUARD_SPAN_EVENTS.stop)).toBeLessThan(names.indexOf(GUARD_SPAN_EVENTS.cleanup));
    for (const e of events) expect(BigInt(e.timeUnixNano)).toBeLessThanOrEqual(BigInt(span?.endTimeUnixNano ?? 0));
  });

  it('never puts a trace id, span id, session id or request id in a metric attribute', async () => {
    const { traceId, meta } = clientContext();
    await client.callTool({ name: 'echo', arguments: { message: 'metrics' }, _meta: meta });
    const [span] = await spansOf(traceId, 1);
    await meterProvider.forceFlush();
    const ids = new Set<unknown>([traceId, span?.spanId, span?.parentSpanId, transport.sessionId]);
    const points = metricExporter
      .getMetrics()
      .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
      .flatMap((m): { attributes: Record<string, unknown> }[] => m.dataPoints);
    expect(points.length).toBeGreaterThan(0);
    for (const point of points) {
      for (const [key, value] of Object.entries(point.attributes)) {
        expect(ids.has(value), `${key}=${String(value)}`).toBe(false);
        expect(key).not.toMatch(/trace|span|session\.id|request\.id|call\.id/);
      }
    }
  });
});

describe('with another instrumentation around the handler', () => {
  const closers: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  /** A real server and client over the SDK's in-memory transport, `outer` middleware first, then the guard. */
  async function serve(outer: ToolCallMiddleware) {
    const guard = resourceMiddleware({ watchdog: false, sampling: { activeMs: 10, idleMs: 100 } });
    traceGuard(guard);
    const server = new McpServer({ name: 'wrapped', version: '1.0.0' });
    withMiddleware(server).use(outer, guard);
    server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, async ({ message }) =>
      text(message),
    );
    const [a, b] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'wrapped-client', version: '1.0.0' });
    await server.connect(b);
    await client.connect(a);
    closers.push(
      () => guard.close(),
      () => server.close(),
      () => client.close(),
    );
    return client;
  }

  it('enriches the MCP server span another instrumentation made for the request instead of making a second', async () => {
    const tracer = trace.getTracer('another-mcp-instrumentation');
    // What an MCP instrumentation does: a SERVER span per request, active around the handler, parented on _meta.
    const client = await serve((ctx, next) => {
      const parent = propagation.extract(context.active(), ctx.meta ?? {});
      const attributes = {
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': ctx.toolName,
        'jsonrpc.request.id': String(ctx.requestId),
      };
      return tracer.startActiveSpan(
        `tools/call ${ctx.toolName}`,
        { kind: SpanKind.SERVER, attributes },
        parent,
        (span) => next().finally(() => span.end()),
      );
    });
    const { traceId, spanId, meta } = clientContext();
    await client.callTool({ name: 'echo', arguments: { message: 'once' }, _meta: meta });
    // Flushed: a span of the guard's own would have ended before the answer left, and be in by now.
    const spans = await spansOf(traceId, 1);
    const all = receiver.spans.filter((s) => s.traceId === traceId);
    expect(all.map((s) => [s.name, s.scope])).toEqual([['tools/call echo', 'another-mcp-instrumentation']]);
    const [span] = spans;
    expect(span?.parentSpanId).toBe(spanId);
    const a = attributesOf(span?.attributes);
    expect(a[GUARD_SPAN_ATTRIBUTES.outcome]).toBe('ok');
    expect(typeof a[GUARD_SPAN_ATTRIBUTES.cpuTime]).toBe('number');
    expect(a[GUARD_SPAN_ATTRIBUTES.callId]).toBeUndefined(); // the guard sets only its usage on another's span
  });

  it('makes its own span under the client context when the active SERVER span is not an MCP one, and links it', async () => {
    const tracer = trace.getTracer('an-http-instrumentation');
    let httpSpanId = '';
    const client = await serve((_ctx, next) =>
      tracer.startActiveSpan(
        'POST',
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': 'POST' } },
        (span) => {
          httpSpanId = span.spanContext().spanId;
          return next().finally(() => span.end());
        },
      ),
    );
    const { traceId, spanId, meta } = clientContext();
    await client.callTool({ name: 'echo', arguments: { message: 'linked' }, _meta: meta });
    const [span] = await spansOf(traceId, 1);
    expect(span?.name).toBe('tools/call echo');
    expect(span?.scope).toBe(SCOPE);
    expect(span?.parentSpanId).toBe(spanId);
    expect(span?.links?.map((l) => l.spanId)).toEqual([httpSpanId]);
  });
});
