/** Explicit bucket boundaries advised for this package's own histograms (the MCP duration has its convention's). */

const MIB = 1024 * 1024;

/**
 * Boundaries of `mcp_resource_guard.call.cpu_time`, in seconds: 1 ms to 60 s.
 *
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { CPU_TIME_BUCKETS, instrumentGuard, METRIC_CALL_CPU_TIME } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * CPU_TIME_BUCKETS[0]; // 0.001 (1 ms)
 * // Fewer series: every other advised boundary.
 * const boundaries = CPU_TIME_BUCKETS.filter((_, i) => i % 2 === 0);
 * const meterProvider = new MeterProvider({
 *   views: [
 *     {
 *       instrumentName: METRIC_CALL_CPU_TIME,
 *       aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
 *     },
 *   ],
 * });
 * instrumentGuard(createResourceGuard(), { meterProvider });
 * ```
 */
export const CPU_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60,
]);

/**
 * Boundaries of `mcp_resource_guard.call.memory.peak`, in bytes: 0, then 1 MiB to 4 GiB by fours.
 *
 * @example
 * ```ts
 * import { MEMORY_BUCKETS, METRIC_CALL_MEMORY_PEAK } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * MEMORY_BUCKETS.map((bytes) => bytes / 1024 / 1024); // [0, 1, 4, 16, 64, 256, 1024, 4096] MiB
 * // Tools that use more: add a 16 GiB boundary.
 * const boundaries = [...MEMORY_BUCKETS, 16 * 1024 ** 3];
 * const meterProvider = new MeterProvider({
 *   views: [
 *     {
 *       instrumentName: METRIC_CALL_MEMORY_PEAK,
 *       aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
 *     },
 *   ],
 * });
 * ```
 */
export const MEMORY_BUCKETS: readonly number[] = Object.freeze([0, 1, 4, 16, 64, 256, 1024, 4096].map((m) => m * MIB));

/**
 * Boundaries of the per-call handle and connection peaks: 0, then 1 to 1024 by twos.
 *
 * @example
 * ```ts
 * import { HANDLE_COUNT_BUCKETS, METRIC_CALL_FILE_HANDLES_PEAK } from '@mcp-resource-guard/otel-exporter';
 * import { AggregationType, MeterProvider } from '@opentelemetry/sdk-metrics';
 * HANDLE_COUNT_BUCKETS.slice(0, 4); // [0, 1, 2, 4]
 * // Tools that never hold more than 64 files: drop the upper boundaries.
 * const boundaries = HANDLE_COUNT_BUCKETS.filter((b) => b <= 64);
 * const meterProvider = new MeterProvider({
 *   views: [
 *     {
 *       instrumentName: METRIC_CALL_FILE_HANDLES_PEAK,
 *       aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM, options: { boundaries } },
 *     },
 *   ],
 * });
 * ```
 */
export const HANDLE_COUNT_BUCKETS: readonly number[] = Object.freeze([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

/**
 * Boundaries of `mcp_resource_guard.call.temp_storage`, in bytes: 0, 64 KiB, then 1 MiB to 4 GiB.
 *
 * @example
 * ```ts
 * import { TEMP_STORAGE_BUCKETS } from '@mcp-resource-guard/otel-exporter';
 * TEMP_STORAGE_BUCKETS[1]; // 65536 (64 KiB)
 * // The bucket a 5 MiB temp directory is counted in ends at 16 MiB:
 * TEMP_STORAGE_BUCKETS.find((bound) => 5 * 1024 * 1024 <= bound); // 16777216
 * ```
 */
export const TEMP_STORAGE_BUCKETS: readonly number[] = Object.freeze([
  0,
  64 * 1024,
  ...[1, 16, 64, 256, 1024, 4096].map((m) => m * MIB),
]);

/**
 * Boundaries of `mcp_resource_guard.cleanup.duration`, in seconds: 1 ms to 10 s, with the
 * specification's 50 ms target as a boundary.
 *
 * @example
 * ```ts
 * import { CLEANUP_DURATION_BUCKETS, METRIC_CLEANUP_DURATION } from '@mcp-resource-guard/otel-exporter';
 * CLEANUP_DURATION_BUCKETS.includes(0.05); // true, so the 50 ms target has its own bucket:
 * const m = METRIC_CLEANUP_DURATION.replaceAll('.', '_');
 * const withinTarget = `sum(rate(${m}_bucket{le="0.05"}[1h])) / sum(rate(${m}_count[1h]))`;
 * ```
 */
export const CLEANUP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
