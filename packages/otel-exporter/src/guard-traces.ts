/** `traceGuard()`: one MCP server span per tool call the guard tracks, with what the guard measured and did. */

import type { CallRecord, GuardEvents, ResourceGuard, ToolCall } from '@mcp-resource-guard/core';
import { type Attributes, context, type Tracer, type TracerProvider, trace } from '@opentelemetry/api';
import { CallSpan } from './call-span.js';
import { enclosingServerSpan } from './enclosing-span.js';
import { cleanupAttributes, leakAttributes, limitAttributes, throttleAttributes } from './span-attributes.js';
import { GUARD_SPAN_ATTRIBUTES, GUARD_SPAN_EVENTS } from './span-names.js';
import { TelemetryErrors } from './telemetry-errors.js';
import { VERSION } from './version.js';

/**
 * What {@link traceGuard} reads: a `ResourceGuard`, or the `resourceMiddleware()` handle (both have `on()`).
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardTracesSource, traceGuard } from '@mcp-resource-guard/otel-exporter';
 * import { resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const sources: GuardTracesSource[] = [createResourceGuard(), resourceMiddleware()];
 * for (const source of sources) traceGuard(source);
 * ```
 */
export type GuardTracesSource = Pick<ResourceGuard, 'on'>;

/**
 * Options of {@link traceGuard}.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardTracesOptions, traceGuard } from '@mcp-resource-guard/otel-exporter';
 * import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
 * const exporter = new InMemorySpanExporter();
 * const options: GuardTracesOptions = {
 *   tracerProvider: new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
 * };
 * traceGuard(createResourceGuard(), options);
 * ```
 */
export interface GuardTracesOptions {
  /** Where to make spans. Default: the global tracer provider (a no-op until an SDK is registered). */
  readonly tracerProvider?: TracerProvider;
}

/**
 * The handle returned by {@link traceGuard}.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardTraces, traceGuard } from '@mcp-resource-guard/otel-exporter';
 * const guard = createResourceGuard();
 * const traces: GuardTraces = traceGuard(guard);
 * process.on('SIGTERM', () => {
 *   traces.stop(); // spans of calls still running are ended now
 *   if (traces.failures > 0) console.error(`${traces.failures} telemetry failures (logged to diag)`);
 * });
 * ```
 */
export interface GuardTraces {
  /** Stops tracing: unsubscribes, and ends the guard's spans of calls still running. Idempotent. */
  stop(): void;
  /** True once {@link GuardTraces.stop} has been called. */
  readonly stopped: boolean;
  /** Failures of the telemetry itself (tracer, span, exporter) so far: counted and logged to `diag`, never thrown. */
  readonly failures: number;
}

/** The tracer's instrumentation scope name. */
const TRACER_NAME = '@mcp-resource-guard/otel-exporter';

type Listener<K extends keyof GuardEvents> = (payload: GuardEvents[K]) => void;

/**
 * Records one OpenTelemetry span per tool call the guard tracks, through `@opentelemetry/api` only, per the MCP
 * semantic conventions: a `SERVER` span `tools/call {tool}` with `mcp.method.name`, `gen_ai.tool.name`,
 * `gen_ai.operation.name`, `mcp.session.id`, `jsonrpc.request.id`, `mcp.protocol.version`, `network.transport`
 * and, on failure, `error.type` and status `ERROR`. Its parent is the context the client propagated in the
 * request's `params._meta` (`traceparent`, `tracestate`, `baggage`, through the global propagator), linked to the
 * ambient span (an HTTP server span) if there is one; it is the active span of the tool's code. On it: the call's
 * usage and peaks (`mcp_resource_guard.call.*`), and events for its level changes, throttling, the guard's stop,
 * leaks and cleanup ({@link GUARD_SPAN_EVENTS}). When another instrumentation already made the request's MCP
 * server span (active where the call starts), the guard adds its attributes and events to that span instead of
 * making a second one.
 *
 * Opt-in: nothing is recorded, and nothing is added to a call's path, until this is called. Calls the guard
 * refuses at admission get no span of their own (an enclosing span gets the refusal as an event). Telemetry never
 * throws into the guard or the call: failures are counted and reported to `diag`.
 *
 * @param source - the guard, or the middleware returned by `resourceMiddleware()`
 * @param options - the tracer provider to use
 * @returns a handle that stops tracing
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { instrumentGuard, traceGuard } from '@mcp-resource-guard/otel-exporter';
 * import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const guard = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * withMiddleware(new McpServer({ name: 'x', version: '1.0.0' })).use(guard);
 * // Through the global providers: register an OpenTelemetry SDK (NodeSDK, or a NodeTracerProvider) at startup.
 * instrumentGuard(guard);
 * traceGuard(guard);
 * ```
 */
export function traceGuard(source: GuardTracesSource, options: GuardTracesOptions = {}): GuardTraces {
  const errors = new TelemetryErrors();
  let tracer: Tracer;
  try {
    const provider = options.tracerProvider ?? trace.getTracerProvider();
    tracer = provider.getTracer(TRACER_NAME, VERSION);
  } catch (error) {
    errors.report('traces:setup', error);
    return Object.freeze({ stop(): void {}, stopped: true, failures: errors.count });
  }

  /** The spans of the calls running now, by call id. */
  const spans = new Map<string, CallSpan>();
  const unsubscribers: (() => void)[] = [];
  const listen = <K extends keyof GuardEvents>(event: K, listener: Listener<K>): void => {
    const where = `traces:${String(event)}`;
    try {
      unsubscribers.push(
        source.on(event, (payload) => {
          try {
            listener(payload);
          } catch (error) {
            errors.report(where, error);
          }
        }),
      );
    } catch (error) {
      errors.report(`traces:subscribe:${String(event)}`, error);
    }
  };

  /** The spans of the calls in a scope: a tool's, a session's, or every call (the process). */
  const inScope = (scope: string, key: string | undefined): CallSpan[] => {
    const found: CallSpan[] = [];
    for (const s of spans.values()) {
      const call: ToolCall = s.call;
      if (
        scope === 'process' ||
        (scope === 'tool' && call.toolName === key) ||
        (scope === 'session' && call.sessionId === key)
      ) {
        found.push(s);
      }
    }
    return found;
  };
  const addTo = (targets: Iterable<CallSpan>, name: string, attributes: Attributes): void => {
    for (const s of targets) s.addEvent(name, attributes);
  };
  const ended = (s: CallSpan): void => {
    if (spans.get(s.call.callId) === s) spans.delete(s.call.callId);
    try {
      s.end();
    } catch (error) {
      errors.report('traces:end', error);
    }
  };

  listen('start', (call) => {
    spans.set(call.callId, CallSpan.start(tracer, call));
  });
  listen('call', (record: CallRecord) => {
    const s = spans.get(record.callId);
    if (s === undefined) {
      // A refused call: no span of its own; the enclosing instrumentation's span, if any, is told.
      if (record.outcome !== 'rejected') return;
      const enclosing = enclosingServerSpan(context.active(), record.toolName, record.requestId);
      enclosing?.setAttribute(GUARD_SPAN_ATTRIBUTES.outcome, 'rejected');
      return;
    }
    s.finish(record);
    // The span ends once the call's cleanup has finished (set as the call ends, after this event), so that the
    // cleanup's event is inside it.
    const end = (): void => ended(s);
    void Promise.resolve()
      .then(() => s.call.settled)
      .then(end, end);
  });
  listen('limit', (event) => {
    const own = event.callId === undefined ? undefined : spans.get(event.callId);
    const targets =
      own !== undefined ? [own] : inScope(event.scope, event.scope === 'session' ? event.sessionId : event.tool);
    addTo(targets, GUARD_SPAN_EVENTS.limit, limitAttributes(event));
  });
  listen('throttle', (event) => {
    const attributes = throttleAttributes(event);
    if (event.action === 'rejected') {
      // In the refused request's handler context: its enclosing span, if another instrumentation made one.
      const enclosing =
        event.tool === undefined ? undefined : enclosingServerSpan(context.active(), event.tool, undefined);
      if (enclosing?.isRecording()) enclosing.addEvent(GUARD_SPAN_EVENTS.throttle, attributes);
      return;
    }
    addTo(inScope(event.scope, event.key), GUARD_SPAN_EVENTS.throttle, attributes);
  });
  listen('leak', (event) => {
    spans.get(event.callId)?.addEvent(GUARD_SPAN_EVENTS.leak, leakAttributes(event));
  });
  listen('cleanup', (report) => {
    spans.get(report.callId)?.addEvent(GUARD_SPAN_EVENTS.cleanup, cleanupAttributes(report));
  });

  let stopped = false;
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      for (const off of unsubscribers.splice(0)) {
        try {
          off();
        } catch (error) {
          errors.report('traces:unsubscribe', error);
        }
      }
      for (const s of [...spans.values()]) ended(s);
    },
    get failures(): number {
      return errors.count;
    },
    get stopped(): boolean {
      return stopped;
    },
  };
}
