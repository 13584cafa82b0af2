/** The timed loop inside a child: keep `concurrency` calls in flight, warm up, then read throughput in batches. */

import type { LoopSettings, Variant, VariantSample } from './scenario.js';
import { median } from './stats.js';

/**
 * Drives `call` continuously from `concurrency` workers (each starts its next call when the previous
 * one returns) and reads the clock and the completion count at batch boundaries, so every batch sees
 * the same steady state: no ramp-up or drain inside a timed batch. The first `warmupMs` are not timed.
 *
 * Boundaries are checked as calls complete, not with timers: over InMemoryTransport a call is all
 * microtasks, so a timer would not fire until the loop stopped.
 *
 * @param variant - reported back as is
 * @param call - one tool call; it must throw if the call did not succeed
 * @param loop - warm-up, batch length, batch count, concurrency
 * @param guardCalls - reads the calls the guard recorded (guarded variant), after the loop
 * @returns the sample: median wall-clock and CPU µs per call over batches, and each batch's figures
 */
export async function measureCalls(
  variant: Variant,
  call: () => Promise<unknown>,
  loop: LoopSettings,
  guardCalls: () => number | null,
): Promise<VariantSample> {
  // marks[0]: end of warm-up; marks[i]: end of timed batch i.
  const marks: { time: number; cpu: number; count: number }[] = [];
  let completed = 0;
  let stopping = false;
  let boundary = performance.now() + loop.warmupMs;

  const completedOne = (): void => {
    completed++;
    if (stopping) return;
    const now = performance.now();
    if (now < boundary) return;
    const cpu = process.cpuUsage();
    marks.push({ time: now, cpu: cpu.user + cpu.system, count: completed });
    boundary = now + loop.batchMs;
    if (marks.length > loop.batches) stopping = true;
  };
  const worker = async (): Promise<void> => {
    while (!stopping) {
      await call();
      completedOne();
    }
  };
  try {
    await Promise.all(Array.from({ length: loop.concurrency }, worker));
  } finally {
    stopping = true;
  }
  const batches = marks.slice(1).map((mark, i) => {
    const previous = marks[i]!;
    const calls = mark.count - previous.count;
    return { wall: ((mark.time - previous.time) * 1000) / calls, cpu: (mark.cpu - previous.cpu) / calls };
  });
  const cpu = process.cpuUsage();
  const batchMicrosPerCall = batches.map((b) => b.wall);
  const batchCpuMicrosPerCall = batches.map((b) => b.cpu);
  return {
    variant,
    microsPerCall: median(batchMicrosPerCall),
    batchMicrosPerCall,
    cpuMicrosPerCall: median(batchCpuMicrosPerCall),
    batchCpuMicrosPerCall,
    calls: marks[marks.length - 1]!.count - marks[0]!.count,
    totalCalls: completed,
    guardCalls: guardCalls(),
    processCpuMicros: cpu.user + cpu.system,
  };
}
