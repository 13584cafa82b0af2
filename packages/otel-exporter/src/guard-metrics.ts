/** Subscribes to a guard's events and records them as OpenTelemetry metrics. */

import type { CallOutcome, CallRecord, ResourceGuard } from '@mcp-resource-guard/core';
import { type Attributes, diag, type MeterProvider, metrics, ValueType } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_MCP_METHOD_NAME,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  MCP_DURATION_BUCKETS,
  MCP_METHOD_TOOLS_CALL,
  METRIC_MCP_SERVER_OPERATION_DURATION,
} from './semantic-conventions.js';

/** Anything that emits the guard's events: a `ResourceGuard` or the `resourceMiddleware()` handle. */
export type GuardEventSource = Pick<ResourceGuard, 'on'>;

/**
 * Options of {@link instrumentGuard}.
 *
 * @example
 * ```ts
 * const options: GuardMetricsOptions = { meterProvider: myMeterProvider };
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
 * const metricsHandle = instrumentGuard(guard);
 * metricsHandle.stop();
 * ```
 */
export interface GuardMetrics {
  /** Stops recording; instruments already created stay with their meter provider. */
  stop(): void;
}

const METER_NAME = '@mcp-resource-guard/otel-exporter';
const METER_VERSION = '0.1.0';

/**
 * `error.type` for an outcome: the convention's `tool_error` for in-band errors, our own
 * low-cardinality values otherwise; undefined on success.
 *
 * @param outcome - how the call ended
 * @returns the attribute value, or undefined for `ok`
 * @example
 * ```ts
 * errorTypeOf('timeout'); // 'timeout'
 * ```
 */
export function errorTypeOf(outcome: CallOutcome): string | undefined {
  switch (outcome) {
    case 'ok':
      return undefined;
    case 'thrown':
      return '_OTHER';
    case 'limit':
      return 'resource_limit';
    default:
      return outcome;
  }
}

/**
 * Records a guard's calls as OpenTelemetry metrics, through `@opentelemetry/api` only. Without an SDK
 * registered the instruments are no-ops. Telemetry never throws into the guard: failures are logged
 * to OpenTelemetry's diagnostic logger.
 *
 * @param source - the guard, or the middleware returned by `resourceMiddleware()`
 * @param options - the meter provider to use
 * @returns a handle that stops recording
 * @example
 * ```ts
 * import { instrumentGuard } from '@mcp-resource-guard/otel-exporter';
 * const guard = resourceMiddleware();
 * server.use(guard);
 * instrumentGuard(guard);
 * ```
 */
export function instrumentGuard(source: GuardEventSource, options: GuardMetricsOptions = {}): GuardMetrics {
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  const meter = provider.getMeter(METER_NAME, METER_VERSION);
  const duration = meter.createHistogram(METRIC_MCP_SERVER_OPERATION_DURATION, {
    description: 'Duration of MCP requests handled by the server, measured by the resource guard.',
    unit: 's',
    valueType: ValueType.DOUBLE,
    advice: { explicitBucketBoundaries: [...MCP_DURATION_BUCKETS] },
  });

  const offCall = source.on('call', (record: CallRecord) => {
    try {
      const attributes: Attributes = {
        [ATTR_MCP_METHOD_NAME]: MCP_METHOD_TOOLS_CALL,
        [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
        [ATTR_GEN_AI_TOOL_NAME]: record.toolName,
      };
      const errorType = errorTypeOf(record.outcome);
      if (errorType !== undefined) attributes[ATTR_ERROR_TYPE] = errorType;
      duration.record(record.usage.executionTimeMs / 1000, attributes);
    } catch (error) {
      diag.error('mcp-resource-guard: failed to record call metrics', error);
    }
  });

  return {
    stop(): void {
      offCall();
    },
  };
}
