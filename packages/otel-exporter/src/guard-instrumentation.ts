/** `GuardInstrumentation`: the guard's metrics and traces as an OpenTelemetry instrumentation. */

import type { MeterProvider, TracerProvider } from '@opentelemetry/api';
import { discoverGuards } from './guard-discovery.js';
import { type GuardMetrics, type GuardMetricsSource, instrumentGuard } from './guard-metrics.js';
import { type GuardTraces, traceGuard } from './guard-traces.js';
import { TelemetryErrors } from './telemetry-errors.js';
import { VERSION } from './version.js';

/**
 * Configuration of a {@link GuardInstrumentation}.
 *
 * @example
 * ```ts
 * import { type GuardInstrumentationConfig, GuardInstrumentation } from '@mcp-resource-guard/otel-exporter';
 * import { resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const guard = resourceMiddleware();
 * // Only this guard, metrics only.
 * const config: GuardInstrumentationConfig = { guards: [guard], discover: false, traces: false };
 * new GuardInstrumentation(config);
 * ```
 */
export interface GuardInstrumentationConfig {
  /** Whether the instrumentation is enabled as it is made (OpenTelemetry's convention). Default true. */
  readonly enabled?: boolean;
  /** Guards, or `resourceMiddleware()` handles, to instrument besides those it finds. */
  readonly guards?: readonly GuardMetricsSource[];
  /**
   * Find every guard of the process: those alive when it is enabled and those made later, by any copy of the
   * package (`resourceMiddleware()`, the `--import` attach, `createResourceGuard()`). Default true.
   */
  readonly discover?: boolean;
  /** Record the guard's metrics ({@link instrumentGuard}). Default true. */
  readonly metrics?: boolean;
  /** Record a span per tool call ({@link traceGuard}). Default true. */
  readonly traces?: boolean;
}

interface Attached {
  metrics: GuardMetrics | undefined;
  traces: GuardTraces | undefined;
}

/** The instrumentation's name: this package's. */
const INSTRUMENTATION_NAME = '@mcp-resource-guard/otel-exporter';

/** The guard behind a `resourceMiddleware()` handle, or the guard itself: what is instrumented once. */
function guardOf(source: GuardMetricsSource): GuardMetricsSource {
  const inner = (source as { guard?: unknown }).guard;
  const g = inner as Partial<GuardMetricsSource> | undefined;
  return typeof g === 'object' && g !== null && typeof g.on === 'function' && typeof g.snapshot === 'function'
    ? (g as GuardMetricsSource)
    : source;
}

function isClosed(guard: GuardMetricsSource): boolean {
  try {
    return guard.snapshot().closed;
  } catch {
    return false;
  }
}

/**
 * The guard's metrics ({@link instrumentGuard}) and spans ({@link traceGuard}) as an OpenTelemetry
 * instrumentation: pass it with your others to `NodeSDK({ instrumentations })` or `registerInstrumentations()`,
 * which give it their tracer and meter providers. It implements OpenTelemetry's `Instrumentation` interface
 * without depending on `@opentelemetry/instrumentation` (it patches no module: the guards announce themselves).
 *
 * It instruments the guards in its configuration and, unless `discover: false`, every guard of the process:
 * those alive when it is enabled and those made later, whichever copy of the packages made them. Enabled as it is
 * made (with the global providers until it is given others); `disable()` stops recording and ends the spans of
 * calls still running; a new provider re-wires every guard to it.
 *
 * @example
 * ```ts
 * import { GuardInstrumentation } from '@mcp-resource-guard/otel-exporter';
 * import { registerInstrumentations } from '@opentelemetry/instrumentation';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { BasicTracerProvider } from '@opentelemetry/sdk-trace-base';
 * registerInstrumentations({
 *   tracerProvider: new BasicTracerProvider(),
 *   meterProvider: new MeterProvider(),
 *   instrumentations: [new GuardInstrumentation()],
 * });
 * ```
 */
export class GuardInstrumentation {
  /** The instrumentation's name (`@mcp-resource-guard/otel-exporter`), also its meter's and tracer's scope. */
  readonly instrumentationName: string = INSTRUMENTATION_NAME;
  /** This package's version. */
  readonly instrumentationVersion: string = VERSION;
  #config: GuardInstrumentationConfig;
  #tracerProvider: TracerProvider | undefined;
  #meterProvider: MeterProvider | undefined;
  #enabled = false;
  readonly #attached = new Map<GuardMetricsSource, Attached>();
  #stopDiscovery: (() => void) | undefined;
  readonly #errors = new TelemetryErrors();

  /**
   * @param config - which guards, and what to record; enabled unless `enabled: false`
   */
  constructor(config: GuardInstrumentationConfig = {}) {
    this.#config = { ...config, enabled: config.enabled ?? true };
    if (this.#config.enabled === true) this.enable();
  }

  /**
   * Starts recording: instruments the configured guards and, unless `discover: false`, every guard of the process.
   * Idempotent.
   */
  enable(): void {
    if (this.#enabled) return;
    this.#enabled = true;
    for (const source of this.#config.guards ?? []) this.#attach(source);
    if (this.#config.discover !== false) {
      try {
        this.#stopDiscovery = discoverGuards((guard) => this.#attach(guard));
      } catch (error) {
        this.#errors.report('instrumentation:discover', error);
      }
    }
  }

  /** Stops recording: no more spans or metrics; spans of calls still running are ended. Idempotent. */
  disable(): void {
    if (!this.#enabled) return;
    this.#enabled = false;
    this.#stopDiscovery?.();
    this.#stopDiscovery = undefined;
    for (const attached of this.#attached.values()) {
      attached.metrics?.stop();
      attached.traces?.stop();
    }
    this.#attached.clear();
  }

  /**
   * Records spans with this provider from now on.
   *
   * @param tracerProvider - the provider (`registerInstrumentations` and `NodeSDK` give theirs)
   */
  setTracerProvider(tracerProvider: TracerProvider): void {
    this.#tracerProvider = tracerProvider;
    this.#rewire('traces');
  }

  /**
   * Records metrics with this provider from now on.
   *
   * @param meterProvider - the provider (`registerInstrumentations` and `NodeSDK` give theirs)
   */
  setMeterProvider(meterProvider: MeterProvider): void {
    this.#meterProvider = meterProvider;
    this.#rewire('metrics');
  }

  /**
   * The configuration, with `enabled` filled in.
   *
   * @returns the configuration
   */
  getConfig(): GuardInstrumentationConfig {
    return this.#config;
  }

  /**
   * Replaces the configuration; an enabled instrumentation is re-wired to it.
   *
   * @param config - the new configuration
   */
  setConfig(config: GuardInstrumentationConfig): void {
    const wasEnabled = this.#enabled;
    this.disable();
    this.#config = { ...config, enabled: config.enabled ?? true };
    if (wasEnabled) this.enable();
  }

  /** Failures of the telemetry itself so far, across every guard: counted and logged to `diag`, never thrown. */
  get failures(): number {
    let count = this.#errors.count;
    for (const attached of this.#attached.values()) {
      count += (attached.metrics?.failures ?? 0) + (attached.traces?.failures ?? 0);
    }
    return count;
  }

  #attach(source: GuardMetricsSource): void {
    const guard = guardOf(source);
    if (!this.#enabled || this.#attached.has(guard) || isClosed(guard)) return;
    this.#attached.set(guard, {
      metrics: this.#config.metrics === false ? undefined : this.#metricsOf(guard),
      traces: this.#config.traces === false ? undefined : this.#tracesOf(guard),
    });
  }

  #metricsOf(guard: GuardMetricsSource): GuardMetrics {
    const meterProvider = this.#meterProvider;
    return instrumentGuard(guard, meterProvider === undefined ? {} : { meterProvider });
  }

  #tracesOf(guard: GuardMetricsSource): GuardTraces {
    const tracerProvider = this.#tracerProvider;
    return traceGuard(guard, tracerProvider === undefined ? {} : { tracerProvider });
  }

  /** Moves every guard's metrics or traces to the provider just set; forgets the guards closed since. */
  #rewire(kind: 'metrics' | 'traces'): void {
    if (!this.#enabled) return;
    for (const [guard, attached] of [...this.#attached]) {
      if (isClosed(guard)) {
        attached.metrics?.stop();
        attached.traces?.stop();
        this.#attached.delete(guard);
        continue;
      }
      if (kind === 'metrics' && attached.metrics !== undefined) {
        attached.metrics.stop();
        attached.metrics = this.#metricsOf(guard);
      } else if (kind === 'traces' && attached.traces !== undefined) {
        attached.traces.stop();
        attached.traces = this.#tracesOf(guard);
      }
    }
  }
}
