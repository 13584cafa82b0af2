/**
 * Metrics configured from the environment for a guard attached without code, with OpenTelemetry's own variables:
 * `OTEL_METRICS_EXPORTER` (`prometheus`, `otlp`, `console`; `none` or unset: no metrics),
 * `OTEL_EXPORTER_PROMETHEUS_HOST` / `_PORT` (default 127.0.0.1:9464), `OTEL_METRIC_EXPORT_INTERVAL` /
 * `_TIMEOUT` (for otlp and console), `OTEL_EXPORTER_OTLP_ENDPOINT` and the other OTLP variables, which the
 * exporter reads itself. The OpenTelemetry packages are the user's to install
 * (`@mcp-resource-guard/otel-exporter`, `@opentelemetry/sdk-metrics` and the exporter's package); when one is
 * missing, one line on stderr says which, and the server runs without metrics.
 */

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { GuardLogger } from '@mcp-resource-guard/core';
import type { ResourceMiddleware } from './resource-middleware.js';

const EXPORTERS = {
  prometheus: '@opentelemetry/exporter-prometheus',
  otlp: '@opentelemetry/exporter-metrics-otlp-http',
  console: '@opentelemetry/sdk-metrics',
} as const;

/** `console`, on stderr: stdout is the protocol's. One JSON line per metric and export. */
const stderrExporter = {
  export(batch: { scopeMetrics?: { metrics?: unknown[] }[] }, done: (result: { code: number }) => void): void {
    for (const scope of batch.scopeMetrics ?? []) {
      for (const metric of scope.metrics ?? []) process.stderr.write(`${JSON.stringify(metric)}\n`);
    }
    done({ code: 0 });
  },
  forceFlush: async (): Promise<void> => {},
  shutdown: async (): Promise<void> => {},
};

type ExporterName = keyof typeof EXPORTERS;

/** Loads a package from beside this one, else from the working directory's project. */
async function load(name: string): Promise<Record<string, unknown>> {
  try {
    return (await import(name)) as Record<string, unknown>;
  } catch (first) {
    try {
      const resolved = createRequire(join(process.cwd(), 'noop.js')).resolve(name);
      return (await import(pathToFileURL(resolved).href)) as Record<string, unknown>;
    } catch {
      throw first;
    }
  }
}

type Ctor = new (...args: unknown[]) => unknown;

/**
 * Exports the guard's metrics as the environment asks, if it does.
 *
 * @param guard - the guard
 * @param log - where to say what was set up, or why not
 * @param env - the environment (default `process.env`)
 * @returns what was set up, or undefined
 */
export async function metricsFromEnv(
  guard: ResourceMiddleware,
  log: GuardLogger | undefined,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<string | undefined> {
  const wanted = env.OTEL_METRICS_EXPORTER?.split(',')[0]?.trim().toLowerCase();
  if (wanted === undefined || wanted === '' || wanted === 'none') return undefined;
  const warn = (msg: string, fields: Record<string, unknown> = {}): undefined => {
    if (log !== undefined) log.warn({ event: 'metrics_unavailable', exporter: wanted, ...fields }, msg);
    else process.stderr.write(`mcp-resource-guard: ${msg}\n`);
    return undefined;
  };
  if (!(wanted in EXPORTERS)) {
    return warn(`OTEL_METRICS_EXPORTER=${wanted} is not supported; use prometheus, otlp or console (no metrics)`);
  }
  const exporterPackage = EXPORTERS[wanted as ExporterName];
  const packages = ['@mcp-resource-guard/otel-exporter', '@opentelemetry/sdk-metrics', exporterPackage];
  let modules: Record<string, unknown>[];
  try {
    modules = await Promise.all([...new Set(packages)].map(load));
  } catch {
    const missing = [...new Set(packages)].join(' ');
    return warn(`OTEL_METRICS_EXPORTER=${wanted} asks for metrics, but they need: npm install ${missing} (no metrics)`);
  }
  const [otel, sdk, exporter = sdk] = modules as [
    Record<string, unknown>,
    Record<string, unknown>,
    Record<string, unknown>?,
  ];
  const MeterProvider = sdk.MeterProvider as Ctor;
  let reader: unknown;
  let where: string;
  if (wanted === 'prometheus') {
    const host = env.OTEL_EXPORTER_PROMETHEUS_HOST || '127.0.0.1';
    const port = Number(env.OTEL_EXPORTER_PROMETHEUS_PORT || 9464);
    reader = new (exporter.PrometheusExporter as Ctor)({ host, port });
    where = `Prometheus at http://${host}:${port}/metrics`;
  } else {
    const metricExporter = wanted === 'otlp' ? new (exporter.OTLPMetricExporter as Ctor)() : stderrExporter;
    const interval = Number(env.OTEL_METRIC_EXPORT_INTERVAL);
    const timeout = Number(env.OTEL_METRIC_EXPORT_TIMEOUT);
    reader = new (sdk.PeriodicExportingMetricReader as Ctor)({
      exporter: metricExporter,
      ...(interval > 0 ? { exportIntervalMillis: interval } : {}),
      ...(timeout > 0 ? { exportTimeoutMillis: Math.min(timeout, interval > 0 ? interval : timeout) } : {}),
    });
    where =
      wanted === 'otlp'
        ? `OTLP/HTTP (${env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318'})`
        : 'stderr, as JSON lines';
  }
  const meterProvider = new MeterProvider({ readers: [reader] });
  (otel.instrumentGuard as (g: unknown, o: unknown) => unknown)(guard, { meterProvider });
  log?.info({ event: 'metrics_exported', exporter: wanted }, `guard metrics exported to ${where}`);
  return where;
}
