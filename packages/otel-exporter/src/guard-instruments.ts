/** Every instrument this package records, created once per meter with its unit, description and bucket advice. */

import {
  type Counter,
  type Histogram,
  type Meter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  ValueType,
} from '@opentelemetry/api';
import {
  CLEANUP_DURATION_BUCKETS,
  CPU_TIME_BUCKETS,
  HANDLE_COUNT_BUCKETS,
  MEMORY_BUCKETS,
  TEMP_STORAGE_BUCKETS,
} from './bucket-boundaries.js';
import {
  METRIC_CALL_CPU_TIME,
  METRIC_CALL_FILE_HANDLES_PEAK,
  METRIC_CALL_MEMORY_PEAK,
  METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
  METRIC_CALL_TEMP_STORAGE,
  METRIC_CLEANUP_DURATION,
  METRIC_CLEANUPS,
  METRIC_EMERGENCIES,
  METRIC_EVENT_LOOP_BLOCKS,
  METRIC_HANDLE_CLOSE_FAILED,
  METRIC_HANDLE_CLOSED,
  METRIC_HANDLE_LEAKED,
  METRIC_INTERNAL_ERRORS,
  METRIC_LIMIT_ENTRIES,
  METRIC_RECOVERIES,
  METRIC_THROTTLE_EVENTS,
  METRIC_THROTTLED,
  METRIC_TOOL_CALLS_IN_FLIGHT,
  METRIC_TOOL_CALLS_QUEUED,
  METRIC_TOOL_RECOVERY_RATE,
  METRIC_TOOL_STATUS,
} from './metric-names.js';
import { MCP_DURATION_BUCKETS, METRIC_MCP_SERVER_OPERATION_DURATION } from './semantic-conventions.js';

/**
 * The instruments, by role.
 *
 * @example
 * ```ts
 * instruments.callCpuTime.record(0.012, { 'gen_ai.tool.name': 'search' });
 * ```
 */
export interface GuardInstruments {
  readonly operationDuration: Histogram;
  readonly callCpuTime: Histogram;
  readonly callMemoryPeak: Histogram;
  readonly callFileHandlesPeak: Histogram;
  readonly callNetworkConnectionsPeak: Histogram;
  readonly callTempStorage: Histogram;
  readonly handleLeaked: Counter;
  readonly handleClosed: Counter;
  readonly handleCloseFailed: Counter;
  readonly cleanups: Counter;
  readonly cleanupDuration: Histogram;
  readonly limitEntries: Counter;
  readonly throttleEvents: Counter;
  readonly emergencies: Counter;
  readonly recoveries: Counter;
  readonly eventLoopBlocks: Counter;
  readonly internalErrors: Counter;
  readonly toolCallsInFlight: ObservableUpDownCounter;
  readonly toolCallsQueued: ObservableUpDownCounter;
  readonly toolStatus: ObservableGauge;
  readonly throttled: ObservableGauge;
  readonly toolRecoveryRate: ObservableGauge;
}

function histogram(
  meter: Meter,
  name: string,
  unit: string,
  description: string,
  buckets: readonly number[],
): Histogram {
  return meter.createHistogram(name, {
    description,
    unit,
    valueType: ValueType.DOUBLE,
    advice: { explicitBucketBoundaries: [...buckets] },
  });
}

function counter(meter: Meter, name: string, unit: string, description: string): Counter {
  return meter.createCounter(name, { description, unit, valueType: ValueType.INT });
}

/**
 * Creates every instrument on `meter`. Call it once per {@link instrumentGuard}; the SDK returns the
 * same storage for the same name, unit and description.
 *
 * @param meter - the meter of this package
 * @returns the instruments
 * @example
 * ```ts
 * const instruments = createGuardInstruments(meterProvider.getMeter('@mcp-resource-guard/otel-exporter'));
 * ```
 */
export function createGuardInstruments(meter: Meter): GuardInstruments {
  return {
    operationDuration: histogram(
      meter,
      METRIC_MCP_SERVER_OPERATION_DURATION,
      's',
      'Duration of MCP requests handled by the server, measured by the resource guard.',
      MCP_DURATION_BUCKETS,
    ),
    callCpuTime: histogram(
      meter,
      METRIC_CALL_CPU_TIME,
      's',
      'CPU time attributed to each finished tool call.',
      CPU_TIME_BUCKETS,
    ),
    callMemoryPeak: histogram(
      meter,
      METRIC_CALL_MEMORY_PEAK,
      'By',
      'Most memory attributed to each tool call at once.',
      MEMORY_BUCKETS,
    ),
    callFileHandlesPeak: histogram(
      meter,
      METRIC_CALL_FILE_HANDLES_PEAK,
      '{handle}',
      'Most files, streams and watchers each tool call held open at once.',
      HANDLE_COUNT_BUCKETS,
    ),
    callNetworkConnectionsPeak: histogram(
      meter,
      METRIC_CALL_NETWORK_CONNECTIONS_PEAK,
      '{connection}',
      'Most sockets, requests and servers each tool call held open at once.',
      HANDLE_COUNT_BUCKETS,
    ),
    callTempStorage: histogram(
      meter,
      METRIC_CALL_TEMP_STORAGE,
      'By',
      "Size of each tool call's temp directory at its last measurement.",
      TEMP_STORAGE_BUCKETS,
    ),
    handleLeaked: counter(
      meter,
      METRIC_HANDLE_LEAKED,
      '{handle}',
      'Handles tool calls still held when they ended, or opened after they ended.',
    ),
    handleClosed: counter(meter, METRIC_HANDLE_CLOSED, '{handle}', "Handles closed by the guard's cleanup."),
    handleCloseFailed: counter(
      meter,
      METRIC_HANDLE_CLOSE_FAILED,
      '{handle}',
      "Handles still open after the guard's cleanup tried to close them.",
    ),
    cleanups: counter(meter, METRIC_CLEANUPS, '{cleanup}', 'Cleanups of tool calls run by the guard.'),
    cleanupDuration: histogram(
      meter,
      METRIC_CLEANUP_DURATION,
      's',
      'Wall time of each cleanup of a tool call.',
      CLEANUP_DURATION_BUCKETS,
    ),
    limitEntries: counter(
      meter,
      METRIC_LIMIT_ENTRIES,
      '{entry}',
      'Limit levels entered (warn 75 %, throttle 90 %, cleanup 100 %, emergency 150 %).',
    ),
    throttleEvents: counter(
      meter,
      METRIC_THROTTLE_EVENTS,
      '{event}',
      'Admission gates throttled or released, and calls rejected.',
    ),
    emergencies: counter(
      meter,
      METRIC_EMERGENCIES,
      '{emergency}',
      'Emergency levels reached: a tool, session or the process was deactivated.',
    ),
    recoveries: counter(
      meter,
      METRIC_RECOVERIES,
      '{recovery}',
      'Recovery attempts: the first call of a tool after a cleanup or an emergency.',
    ),
    eventLoopBlocks: counter(
      meter,
      METRIC_EVENT_LOOP_BLOCKS,
      '{block}',
      "Times the event loop was blocked longer than the guard's watchdog threshold.",
    ),
    internalErrors: counter(
      meter,
      METRIC_INTERNAL_ERRORS,
      '{error}',
      'Failures the guard caught in itself; the tool call went on.',
    ),
    toolCallsInFlight: meter.createObservableUpDownCounter(METRIC_TOOL_CALLS_IN_FLIGHT, {
      description: 'Tool calls running now.',
      unit: '{call}',
      valueType: ValueType.INT,
    }),
    toolCallsQueued: meter.createObservableUpDownCounter(METRIC_TOOL_CALLS_QUEUED, {
      description: 'Tool calls waiting at a throttled admission gate.',
      unit: '{call}',
      valueType: ValueType.INT,
    }),
    toolStatus: meter.createObservableGauge(METRIC_TOOL_STATUS, {
      description: "Tool lifecycle state: 1 for the tool's current state, 0 for the others.",
      unit: '1',
      valueType: ValueType.INT,
    }),
    throttled: meter.createObservableGauge(METRIC_THROTTLED, {
      description: 'Whether new calls are throttled (1) or not (0), per tool and process-wide.',
      unit: '1',
      valueType: ValueType.INT,
    }),
    toolRecoveryRate: meter.createObservableGauge(METRIC_TOOL_RECOVERY_RATE, {
      description: 'Successful recoveries over recovery attempts, per tool.',
      unit: '1',
      valueType: ValueType.DOUBLE,
    }),
  };
}

/**
 * The observable instruments, for `addBatchObservableCallback` and its removal.
 *
 * @param instruments - the instruments
 * @returns the observables, in a stable order
 * @example
 * ```ts
 * meter.addBatchObservableCallback(observe, observablesOf(instruments));
 * ```
 */
export function observablesOf(instruments: GuardInstruments): (ObservableGauge | ObservableUpDownCounter)[] {
  return [
    instruments.toolCallsInFlight,
    instruments.toolCallsQueued,
    instruments.toolStatus,
    instruments.throttled,
    instruments.toolRecoveryRate,
  ];
}
