/** Explicit bucket boundaries advised for this package's own histograms (the MCP duration has its convention's). */

const MIB = 1024 * 1024;

/**
 * Boundaries of `mcp_resource_guard.call.cpu_time`, in seconds: 1 ms to 60 s.
 *
 * @example
 * ```ts
 * CPU_TIME_BUCKETS[0]; // 0.001
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
 * MEMORY_BUCKETS.at(-1); // 4 GiB
 * ```
 */
export const MEMORY_BUCKETS: readonly number[] = Object.freeze([0, 1, 4, 16, 64, 256, 1024, 4096].map((m) => m * MIB));

/**
 * Boundaries of the per-call handle and connection peaks: 0, then 1 to 1024 by twos.
 *
 * @example
 * ```ts
 * HANDLE_COUNT_BUCKETS.slice(0, 3); // [0, 1, 2]
 * ```
 */
export const HANDLE_COUNT_BUCKETS: readonly number[] = Object.freeze([0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]);

/**
 * Boundaries of `mcp_resource_guard.call.temp_storage`, in bytes: 0, 64 KiB, then 1 MiB to 4 GiB.
 *
 * @example
 * ```ts
 * TEMP_STORAGE_BUCKETS[1]; // 65536
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
 * CLEANUP_DURATION_BUCKETS.includes(0.05); // true
 * ```
 */
export const CLEANUP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);
