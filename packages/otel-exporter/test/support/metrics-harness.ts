// An SDK MeterProvider with an in-memory exporter, and helpers to read what it collected.
import type { Attributes } from '@opentelemetry/api';
import {
  AggregationTemporality,
  type DataPoint,
  type Histogram,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';

export interface MetricsHarness {
  readonly meterProvider: MeterProvider;
  /** Collects now and returns every metric of the last collection. */
  collect(): Promise<MetricData[]>;
  /** The metric of that name in the last collection, if any. */
  metric(name: string): Promise<MetricData | undefined>;
  /** Data points of a metric whose attributes include `match`. */
  points(name: string, match?: Attributes): Promise<DataPoint<number | Histogram>[]>;
  /** Sum of the values of matching counter or gauge points. */
  sum(name: string, match?: Attributes): Promise<number>;
  /** The histogram value of the point whose attributes are exactly `attributes`. */
  histogram(name: string, attributes: Attributes): Promise<Histogram | undefined>;
  shutdown(): Promise<void>;
}

export function matches(attributes: Attributes, match: Attributes): boolean {
  return Object.entries(match).every(([k, v]) => attributes[k] === v);
}

export function metricsHarness(): MetricsHarness {
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  let last: MetricData[] = [];
  const collect = async (): Promise<MetricData[]> => {
    exporter.reset();
    await reader.forceFlush();
    last =
      exporter
        .getMetrics()
        .at(-1)
        ?.scopeMetrics.flatMap((s) => s.metrics) ?? [];
    return last;
  };
  const metric = async (name: string) => (await collect()).find((m) => m.descriptor.name === name);
  const points = async (name: string, match: Attributes = {}) =>
    ((await metric(name))?.dataPoints ?? []).filter((p) => matches(p.attributes, match)) as DataPoint<
      number | Histogram
    >[];
  return {
    meterProvider,
    collect,
    metric,
    points,
    async sum(name, match) {
      let total = 0;
      for (const p of await points(name, match)) total += p.value as number;
      return total;
    },
    async histogram(name, attributes) {
      const found = await points(name, attributes);
      const exact = found.filter((p) => Object.keys(p.attributes).length === Object.keys(attributes).length);
      return exact[0]?.value as Histogram | undefined;
    },
    shutdown: () => meterProvider.shutdown(),
  };
}
