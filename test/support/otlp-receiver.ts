// A real OTLP/HTTP (JSON) receiver on 127.0.0.1: what an OpenTelemetry Collector would be told, decoded.
import { createServer, type Server } from 'node:http';
import { gunzipSync } from 'node:zlib';

/** An OTLP JSON attribute. */
export interface KeyValue {
  key: string;
  value: {
    stringValue?: string;
    intValue?: number | string;
    boolValue?: boolean;
    doubleValue?: number;
    arrayValue?: { values: KeyValue['value'][] };
  };
}

/** An OTLP JSON span, as much of it as the tests read. */
export interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes: KeyValue[];
  events?: { timeUnixNano: string | number; name: string; attributes?: KeyValue[] }[];
  links?: { traceId: string; spanId: string; attributes?: KeyValue[] }[];
  status?: { code?: number; message?: string };
  /** The instrumentation scope that made the span (added by the receiver). */
  scope: string;
}

/** OTLP's span kinds and status codes. */
export const OTLP_KIND_SERVER = 2;
export const OTLP_KIND_INTERNAL = 1;
export const OTLP_STATUS_ERROR = 2;

/** One OTLP attribute list as a plain object. */
export function attributesOf(kvs: readonly KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of kvs ?? []) {
    out[key] =
      value.stringValue ??
      (value.intValue === undefined ? undefined : Number(value.intValue)) ??
      value.doubleValue ??
      value.boolValue ??
      value.arrayValue;
  }
  return out;
}

export interface OtlpReceiver {
  /** The base URL: `${url}/v1/traces`, `${url}/v1/metrics`. */
  readonly url: string;
  /** Every span received so far, in arrival order. */
  readonly spans: OtlpSpan[];
  /** Every metric export request body received so far. */
  readonly metricBodies: unknown[];
  close(): Promise<void>;
}

/** Starts a receiver of OTLP/HTTP JSON traces and metrics on a free port of 127.0.0.1. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: OtlpSpan[] = [];
  const metricBodies: unknown[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let raw = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
      const body = JSON.parse(raw.toString('utf8')) as {
        resourceSpans?: { scopeSpans: { scope: { name: string }; spans: Omit<OtlpSpan, 'scope'>[] }[] }[];
      };
      if (req.url === '/v1/traces') {
        for (const rs of body.resourceSpans ?? []) {
          for (const ss of rs.scopeSpans) for (const span of ss.spans) spans.push({ ...span, scope: ss.scope.name });
        }
      } else {
        metricBodies.push(body);
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    spans,
    metricBodies,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
