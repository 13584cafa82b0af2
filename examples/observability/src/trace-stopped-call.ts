/**
 * The span of a tool call the guard stopped: a real MCP client calls a tool that opens a file and never answers,
 * with its trace context in `params._meta`; the guard stops it at its 200 ms limit and closes the file; the span
 * the guard recorded is printed, with the call's resource figures and what the guard did, as events.
 *
 * Run: node examples/observability/dist/trace-stopped-call.js (after `pnpm build`).
 */
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { traceGuard } from '@mcp-resource-guard/otel-exporter';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';

// An OpenTelemetry SDK: the context manager and W3C propagator (register()), spans kept in memory to print.
const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
provider.register();

const guard = resourceMiddleware({
  watchdog: false,
  sampling: { activeMs: 10 },
  tools: { fetch_report: { perCall: { maxExecutionTimeMs: 200 } } },
});
traceGuard(guard); // the global tracer provider registered above

const server = new McpServer({ name: 'reports', version: '1.0.0' });
withMiddleware(server).use(guard);
server.registerTool('fetch_report', { description: 'Opens a file and never answers' }, async () => {
  await open(fileURLToPath(import.meta.url), 'r');
  return new Promise<never>(() => {});
});

const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
const client = new Client({ name: 'agent', version: '1.0.0' });
await server.connect(serverTransport);
await client.connect(clientTransport);

// The client's span, as an instrumented MCP client propagates it.
const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const result = await client.callTool({ name: 'fetch_report', _meta: { traceparent } });
console.log('the client got:', JSON.stringify(result.content));

await guard.close();
await provider.forceFlush();
const ms = ([seconds, nanos]: readonly [number, number]) => seconds * 1000 + nanos / 1e6;
const show = (span: ReadableSpan) => ({
  name: span.name,
  kind: span.kind, // 1: SERVER
  traceId: span.spanContext().traceId,
  parentSpanId: span.parentSpanContext?.spanId,
  status: span.status,
  durationMs: Math.round(ms(span.duration)),
  attributes: span.attributes,
  events: span.events.map((e) => ({
    name: e.name,
    atMs: Math.round(ms(e.time) - ms(span.startTime)),
    attributes: e.attributes,
  })),
});
const spans = exporter.getFinishedSpans();
for (const span of spans) console.log(JSON.stringify(show(span), null, 2));
await client.close();
await server.close();
await provider.shutdown();

// The example checks what it shows: one server span of the stopped call, child of the client's, with its figures
// and the stop and cleanup as events.
const [span] = spans;
const shown =
  spans.length === 1 &&
  span !== undefined &&
  span.name === 'tools/call fetch_report' &&
  span.parentSpanContext?.spanId === traceparent.split('-')[2] &&
  span.attributes['error.type'] === 'timeout' &&
  typeof span.attributes['mcp_resource_guard.call.execution_time'] === 'number' &&
  ['mcp_resource_guard.stop', 'mcp_resource_guard.cleanup'].every((name) => span.events.some((e) => e.name === name));
if (!shown) {
  console.error('observability example: the span of the stopped call is not as described');
  process.exitCode = 1;
}
