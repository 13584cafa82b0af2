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
  const marks: BatchMark[] = [];
  const completed = await driveCalls(call, loop, (count) => {
    const cpu = process.cpuUsage();
    marks.push({ time: performance.now(), cpu: cpu.user + cpu.system, count });
  });
  return sampleFromMarks(variant, marks, completed, guardCalls);
}

/**
 * The loop itself: `concurrency` workers call continuously; after the warm-up and after each batch,
 * `boundary` is told how many calls have completed so far. Stops after `loop.batches` batches.
 *
 * @param call - one tool call
 * @param loop - warm-up, batch length, batch count, concurrency
 * @param boundary - called at each batch boundary (the first ends the warm-up)
 * @returns the calls completed in the whole loop
 */
export async function driveCalls(
  call: () => Promise<unknown>,
  loop: LoopSettings,
  boundary: (completed: number) => void,
): Promise<number> {
  let completed = 0;
  let boundaries = 0;
  let stopping = false;
  let next = performance.now() + loop.warmupMs;
  const completedOne = (): void => {
    completed++;
    if (stopping) return;
    const now = performance.now();
    if (now < next) return;
    boundary(completed);
    boundaries++;
    next = now + loop.batchMs;
    if (boundaries > loop.batches) stopping = true;
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
  return completed;
}

/** The clock, process CPU time (µs) and completed-call count at a batch boundary. */
export interface BatchMark {
  readonly time: number;
  readonly cpu: number;
  readonly count: number;
}

/**
 * The sample from batch boundaries: marks[0] ends the warm-up, marks[i] ends timed batch i.
 *
 * @param variant - reported back as is
 * @param marks - the boundaries (at least two)
 * @param completed - calls completed in the whole loop
 * @param guardCalls - reads the calls the guard recorded (guarded variant)
 * @returns the sample
 */
export function sampleFromMarks(
  variant: Variant,
  marks: readonly BatchMark[],
  completed: number,
  guardCalls: () => number | null,
): VariantSample {
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
