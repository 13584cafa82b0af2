// traceGuard against a real trace SDK, on a guard driven directly: spans for calls, and telemetry failures that
// never reach the call.
import { createResourceGuard, type ResourceGuard } from '@mcp-resource-guard/core';
import { diag, SpanKind } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { GUARD_SPAN_ATTRIBUTES, traceGuard } from '../src/index.js';

const guards: ResourceGuard[] = [];
afterEach(async () => {
  diag.disable();
  for (const guard of guards.splice(0)) await guard.close();
});
function guard(): ResourceGuard {
  const g = createResourceGuard({ watchdog: false });
  guards.push(g);
  return g;
}

describe('traceGuard', () => {
  it('records nothing before it is called, and a SERVER span per call after', async () => {
    const g = guard();
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    (await g.admit({ toolName: 'before' })).end('ok');
    const traces = traceGuard(g, { tracerProvider });
    const call = await g.admit({ toolName: 'after', requestId: 'r-1', sessionId: 's-1' });
    call.end('tool_error');
    await call.settled;
    await new Promise((r) => setImmediate(r));
    const spans = exporter.getFinishedSpans();
    expect(spans.map((s) => s.name)).toEqual(['tools/call after']);
    expect(spans[0]?.kind).toBe(SpanKind.SERVER);
    expect(spans[0]?.attributes).toMatchObject({
      'jsonrpc.request.id': 'r-1',
      'mcp.session.id': 's-1',
      'error.type': 'tool_error',
      [GUARD_SPAN_ATTRIBUTES.outcome]: 'tool_error',
    });
    traces.stop();
    expect(traces.stopped).toBe(true);
  });

  it("keeps a call's JSON-RPC error code as error.type and rpc.response.status_code", async () => {
    const g = guard();
    const exporter = new InMemorySpanExporter();
    traceGuard(g, { tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }) });
    const call = await g.admit({ toolName: 'strict' });
    call.end('thrown', Object.assign(new Error('Invalid arguments'), { code: -32602 }));
    await new Promise((r) => setImmediate(r));
    const [span] = exporter.getFinishedSpans();
    expect(span?.attributes).toMatchObject({ 'error.type': '-32602', 'rpc.response.status_code': '-32602' });
    expect(span?.status).toEqual({ code: 2, message: 'Invalid arguments' });
  });

  it('never throws into the call when a span processor throws; the failures are counted', async () => {
    const g = guard();
    const broken: SpanProcessor = {
      onStart() {
        throw new Error('broken onStart');
      },
      onEnd() {
        throw new Error('broken onEnd');
      },
      forceFlush: () => Promise.resolve(),
      shutdown: () => Promise.resolve(),
    };
    diag.setLogger({ error() {}, warn() {}, info() {}, debug() {}, verbose() {} });
    const traces = traceGuard(g, { tracerProvider: new BasicTracerProvider({ spanProcessors: [broken] }) });
    const call = await g.admit({ toolName: 'echo' });
    expect(await call.runUntilStopped(async () => 'answer')).toBe('answer');
    expect(call.end('ok').outcome).toBe('ok');
    await new Promise((r) => setImmediate(r));
    expect(traces.failures).toBeGreaterThan(0);
    expect(g.snapshot().internalErrors).toBe(0);
  });

  it('ends the spans of calls still running when stopped', async () => {
    const g = guard();
    const exporter = new InMemorySpanExporter();
    const traces = traceGuard(g, {
      tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
    });
    const call = await g.admit({ toolName: 'long' });
    traces.stop();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['tools/call long']);
    call.end('ok');
  });
});
