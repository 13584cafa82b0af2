/** `instrumentGuard()`: subscribes to a guard's events and snapshots and records them as OpenTelemetry metrics. */

import type { GuardEvents, ResourceGuard } from '@mcp-resource-guard/core';
import { type BatchObservableCallback, type Meter, type MeterProvider, metrics } from '@opentelemetry/api';
import {
  recordBlocked,
  recordCall,
  recordCleanup,
  recordEmergency,
  recordInternalError,
  recordLeak,
  recordLimit,
  recordRecovery,
  recordThrottle,
} from './guard-event-recorders.js';
import { createGuardInstruments, type GuardInstruments, observablesOf } from './guard-instruments.js';
import { observeSnapshot } from './snapshot-observer.js';
import { TelemetryErrors } from './telemetry-errors.js';
import { VERSION } from './version.js';

/**
 * What {@link instrumentGuard} reads: a `ResourceGuard`, or the `resourceMiddleware()` handle (both
 * have `on()` and `snapshot()`).
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardMetricsSource, instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * import { resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * // The guard itself, or the handle resourceMiddleware() returns.
 * const sources: GuardMetricsSource[] = [createResourceGuard(), resourceMiddleware()];
 * for (const source of sources) instrumentGuard(source);
 * ```
 */
export type GuardMetricsSource = Pick<ResourceGuard, 'on' | 'snapshot'>;

/**
 * Options of {@link instrumentGuard}.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardMetricsOptions, instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * // A meter provider of its own instead of the global one.
 * const options: GuardMetricsOptions = { meterProvider: new MeterProvider() };
 * instrumentGuard(createResourceGuard(), options);
 * ```
 */
export interface GuardMetricsOptions {
  /** Where to create instruments. Default: the global meter provider (a no-op until an SDK is registered). */
  readonly meterProvider?: MeterProvider;
}

/**
 * The handle returned by {@link instrumentGuard}.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { type GuardMetrics, instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * const guard = createResourceGuard();
 * const guardMetrics: GuardMetrics = instrumentGuard(guard);
 * process.on('SIGTERM', () => {
 *   guardMetrics.stop();
 *   if (guardMetrics.failures > 0) console.error(`${guardMetrics.failures} telemetry failures (logged to diag)`);
 *   void guard.close();
 * });
 * ```
 */
export interface GuardMetrics {
  /**
   * Stops recording: unsubscribes from the guard's events and removes the observable callback.
   * Idempotent. Instruments already created stay with their meter provider, with what they recorded.
   */
  stop(): void;
  /** True once {@link GuardMetrics.stop} has been called. */
  readonly stopped: boolean;
  /** Failures of the telemetry itself (meter, instrument, exporter) so far: counted and logged to `diag`, never thrown. */
  readonly failures: number;
}

/** The meter's instrumentation scope name. */
const METER_NAME = '@mcp-resource-guard/otel-exporter';

type Recorder<K extends keyof GuardEvents> = (instruments: GuardInstruments, payload: GuardEvents[K]) => void;

function inert(failures: number): GuardMetrics {
  return Object.freeze({ stop(): void {}, stopped: true, failures });
}

/**
 * Records a guard's calls, limits, cleanups and state as OpenTelemetry metrics, through
 * `@opentelemetry/api` only: `mcp.server.operation.duration` (MCP semantic conventions) and the
 * `mcp_resource_guard.*` metrics listed in the README. Without an SDK registered the instruments are
 * no-ops. Telemetry never throws into the guard or the user: a failing meter, instrument or exporter
 * is reported to OpenTelemetry's diagnostic logger (`diag`) and the call goes on; nothing is counted
 * as a guard internal error.
 *
 * Attributes are the tool name (`gen_ai.tool.name`), `error.type` and closed enums under
 * `mcp_resource_guard.*`; never session ids, request ids, call ids or arguments.
 *
 * @param source - the guard, or the middleware returned by `resourceMiddleware()`
 * @param options - the meter provider to use
 * @returns a handle that stops recording
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const guard = resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * const server = withMiddleware(new McpServer({ name: 'x', version: '1.0.0' })).use(guard);
 * // Records through the global meter provider: register an OpenTelemetry SDK (with a Prometheus or
 * // OTLP exporter) at startup, or pass { meterProvider }.
 * const guardMetrics = instrumentGuard(guard);
 * ```
 */
export function instrumentGuard(source: GuardMetricsSource, options: GuardMetricsOptions = {}): GuardMetrics {
  const errors = new TelemetryErrors();
  let meter: Meter;
  let instruments: GuardInstruments;
  try {
    const provider = options.meterProvider ?? metrics.getMeterProvider();
    meter = provider.getMeter(METER_NAME, VERSION);
    instruments = createGuardInstruments(meter);
  } catch (error) {
    errors.report('setup', error);
    return inert(errors.count);
  }

  const unsubscribers: (() => void)[] = [];
  const listen = <K extends keyof GuardEvents>(event: K, record: Recorder<K>): void => {
    const where = `event:${String(event)}`;
    try {
      unsubscribers.push(
        source.on(event, (payload) => {
          try {
            record(instruments, payload);
          } catch (error) {
            errors.report(where, error);
          }
        }),
      );
    } catch (error) {
      errors.report(`subscribe:${String(event)}`, error);
    }
  };
  listen('call', recordCall);
  listen('leak', recordLeak);
  listen('cleanup', recordCleanup);
  listen('limit', recordLimit);
  listen('throttle', recordThrottle);
  listen('emergency', recordEmergency);
  listen('recovery', recordRecovery);
  listen('blocked', recordBlocked);
  listen('internalError', recordInternalError);

  const observables = observablesOf(instruments);
  const observe: BatchObservableCallback = (result) => {
    try {
      observeSnapshot(result, instruments, source.snapshot());
    } catch (error) {
      errors.report('observe', error);
    }
  };
  let observing = false;
  try {
    meter.addBatchObservableCallback(observe, observables);
    observing = true;
  } catch (error) {
    errors.report('observe:add', error);
  }

  let stopped = false;
  return {
    stop(): void {
      if (stopped) return;
      stopped = true;
      for (const off of unsubscribers.splice(0)) {
        try {
          off();
        } catch (error) {
          errors.report('unsubscribe', error);
        }
      }
      if (!observing) return;
      observing = false;
      try {
        meter.removeBatchObservableCallback(observe, observables);
      } catch (error) {
        errors.report('observe:remove', error);
      }
    },
    get failures(): number {
      return errors.count;
    },
    get stopped(): boolean {
      return stopped;
    },
  };
}
