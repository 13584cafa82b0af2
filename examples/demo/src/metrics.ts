// The demo's OpenTelemetry wiring: a Prometheus endpoint with --prometheus, OTLP/HTTP when the standard
// OTEL_EXPORTER_OTLP_ENDPOINT variable is set, nothing otherwise (the terminal report is the default view).
import { instrumentGuard } from '@mcp-resource-guard/otel-exporter';
import type { ResourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, type MetricReader, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';

export interface DemoMetrics {
  /** One line per destination, for the console. */
  readonly destinations: readonly string[];
  shutdown(): Promise<void>;
}

export function setupMetrics(guard: ResourceMiddleware, prometheusPort: number | undefined): DemoMetrics {
  const readers: MetricReader[] = [];
  const destinations: string[] = [];
  if (prometheusPort !== undefined) {
    readers.push(new PrometheusExporter({ host: '127.0.0.1', port: prometheusPort }));
    destinations.push(`Prometheus metrics at http://127.0.0.1:${prometheusPort}/metrics`);
  }
  const otlp = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (otlp !== undefined && otlp !== '') {
    readers.push(new PeriodicExportingMetricReader({ exporter: new OTLPMetricExporter(), exportIntervalMillis: 1000 }));
    destinations.push(`OTLP/HTTP metrics to ${otlp} (from OTEL_EXPORTER_OTLP_ENDPOINT)`);
  }
  if (readers.length === 0) return { destinations, shutdown: async () => {} };
  const meterProvider = new MeterProvider({ readers });
  const handle = instrumentGuard(guard, { meterProvider });
  return {
    destinations,
    async shutdown() {
      handle.stop();
      await meterProvider.shutdown();
    },
  };
}
