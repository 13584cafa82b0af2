/**
 * The parent of a tool call's span, per the MCP conventions: the context the client propagated in the request's
 * `params._meta` (W3C `traceparent` / `tracestate`, and `baggage`, through the globally configured propagator),
 * with a link to the ambient context (an HTTP server span, say) when there is one; the ambient context itself when
 * the request carries none.
 */

import {
  type Context,
  isSpanContextValid,
  type Link,
  propagation,
  type TextMapGetter,
  trace,
} from '@opentelemetry/api';

/** Reads a propagator's fields from a request's `_meta` object: string values (or arrays of them) only. */
const metaGetter: TextMapGetter<Readonly<Record<string, unknown>>> = {
  keys(carrier) {
    return Object.keys(carrier);
  },
  get(carrier, key) {
    const value = Object.hasOwn(carrier, key) ? carrier[key] : undefined;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
    return undefined;
  },
};

/** Where a call's span starts from. */
export interface SpanParent {
  /** The parent context: the client's, extracted from `_meta`, or the ambient one. */
  readonly context: Context;
  /** A link to the ambient span, when the parent is the client's and another span was active. */
  readonly links: Link[] | undefined;
}

/**
 * The parent of a call's span.
 *
 * @param meta - the request's `_meta`, if any
 * @param ambient - the context active where the call started (the request handler's)
 * @returns the parent context and the links to record
 * @example
 * ```ts
 * const { context: parent, links } = spanParent(call.request?.meta, context.active());
 * tracer.startSpan('tools/call echo', { kind: SpanKind.SERVER, links }, parent);
 * ```
 */
export function spanParent(meta: Readonly<Record<string, unknown>> | undefined, ambient: Context): SpanParent {
  if (meta === undefined) return { context: ambient, links: undefined };
  const extracted = propagation.extract(ambient, meta, metaGetter);
  const ambientSpan = trace.getSpanContext(ambient);
  const remote = trace.getSpanContext(extracted);
  if (remote === ambientSpan || remote === undefined || ambientSpan === undefined || !isSpanContextValid(ambientSpan)) {
    return { context: extracted, links: undefined };
  }
  return { context: extracted, links: [{ context: ambientSpan }] };
}
