/**
 * One tool call's span: the guard's own `SERVER` span (started at the call's admission, parented on the client's
 * propagated context, active for the tool's code, ended once the call's cleanup has finished), or the span another
 * instrumentation made for the request, which the guard only enriches (attributes and events; never its status,
 * nor its end).
 */

import type { CallRecord, ToolCall } from '@mcp-resource-guard/core';
import {
  type Attributes,
  context,
  type Span,
  SpanKind,
  type SpanOptions,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { enclosingServerSpan } from './enclosing-span.js';
import {
  failureAttributes,
  failureOf,
  spanName,
  startAttributes,
  stopAttributes,
  usageAttributes,
} from './span-attributes.js';
import { GUARD_SPAN_EVENTS } from './span-names.js';
import { spanParent } from './trace-context.js';

/** A call's span, from the call's start to its end. */
export class CallSpan {
  readonly span: Span;
  /** True for the guard's own span; false for another instrumentation's, which the guard only enriches. */
  readonly own: boolean;
  readonly call: ToolCall;

  private constructor(span: Span, own: boolean, call: ToolCall) {
    this.span = span;
    this.own = own;
    this.call = call;
  }

  /**
   * The span of a call that starts now, in the request handler's context: the enclosing MCP server span of the
   * request if another instrumentation made one, else a new one, made the active span of the call's work.
   *
   * @param tracer - where to make spans
   * @param call - the call, at its start
   * @returns the call's span
   * @example
   * ```ts
   * guard.on('start', (call) => spans.set(call.callId, CallSpan.start(tracer, call)));
   * ```
   */
  static start(tracer: Tracer, call: ToolCall): CallSpan {
    const active = context.active();
    const existing = enclosingServerSpan(active, call.toolName, call.requestId);
    if (existing !== undefined) return new CallSpan(existing, false, call);
    const parent = spanParent(call.request?.meta, active);
    const options: SpanOptions = { kind: SpanKind.SERVER, attributes: startAttributes(call) };
    if (parent.links !== undefined) options.links = parent.links;
    const span = tracer.startSpan(spanName(call.toolName), options, parent.context);
    const within = trace.setSpan(parent.context, span);
    call.wrapRuns((work) => context.with(within, work));
    return new CallSpan(span, true, call);
  }

  /**
   * Adds an event, while the span records (another instrumentation may have ended its span already).
   *
   * @param name - the event's name
   * @param attributes - its attributes
   */
  addEvent(name: string, attributes: Attributes): void {
    if (this.span.isRecording()) this.span.addEvent(name, attributes);
  }

  /**
   * The call ended: its usage, peaks and outcome; the guard's stop; and on its own span, the failure (`error.type`,
   * status `ERROR`) per the conventions.
   *
   * @param record - the call's record
   */
  finish(record: CallRecord): void {
    const span = this.span;
    if (!span.isRecording()) return;
    span.setAttributes(usageAttributes(record));
    if (this.call.stopCause !== undefined) span.addEvent(GUARD_SPAN_EVENTS.stop, stopAttributes(this.call));
    if (!this.own) return;
    const failure = failureOf(this.call, record);
    if (failure === undefined) return;
    span.setAttributes(failureAttributes(failure));
    span.setStatus(
      failure.message === undefined
        ? { code: SpanStatusCode.ERROR }
        : { code: SpanStatusCode.ERROR, message: failure.message },
    );
  }

  /** Ends the guard's own span (another instrumentation ends its span itself). */
  end(): void {
    if (this.own) this.span.end();
  }
}
