import { describe, expect, it } from 'vitest';
import { ZERO_USAGE } from '../src/internal.js';
import { UsageHistory } from '../src/usage-history.js';

describe('usage history', () => {
  it('gives percentiles over the window, oldest calls dropped', () => {
    const history = new UsageHistory(100);
    for (let i = 1; i <= 150; i++) history.add({ ...ZERO_USAGE, memoryMb: i });
    const s = history.snapshot();
    expect(s.samples).toBe(100);
    expect(s.memoryMb).toEqual({ p50: 100, p99: 149, peak: 150 });
  });

  it('computes a snapshot once until the next call is added (collections of idle tools sort nothing)', () => {
    const history = new UsageHistory(8);
    history.add({ ...ZERO_USAGE, executionTimeMs: 5 });
    const first = history.snapshot();
    expect(history.snapshot()).toBe(first);
    expect(Object.isFrozen(first) && Object.isFrozen(first.executionTimeMs)).toBe(true);
    history.add({ ...ZERO_USAGE, executionTimeMs: 9 });
    const second = history.snapshot();
    expect(second).not.toBe(first);
    expect(second.executionTimeMs.peak).toBe(9);
    expect(first.executionTimeMs.peak).toBe(5);
  });
});
