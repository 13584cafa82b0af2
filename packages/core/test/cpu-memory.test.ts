import { describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';

describe('CPU and memory', () => {
  function burn(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy
    }
  }

  it('measures the main-thread time of a call across awaits', async () => {
    const guard = createResourceGuard();
    const call = await guard.admit({ toolName: 'cpu' });
    const started = performance.now();
    await call.run(async () => {
      burn(30);
      await new Promise((r) => setTimeout(r, 5));
      burn(30);
      await Promise.resolve();
      burn(20);
    });
    const elapsed = performance.now() - started;
    const cpu = call.usage().cpuTimeMs;
    call.end('ok');
    // At least the burns, never more than the call’s wall time.
    // Accuracy on a quiet machine is measured in bench/.
    expect(cpu).toBeGreaterThanOrEqual(79.9);
    expect(cpu).toBeLessThanOrEqual(elapsed);
    await guard.close();
  });

  it('attributes concurrent calls’ CPU to each call in proportion', async () => {
    const guard = createResourceGuard();
    const shares = [40, 80, 120];
    const calls = await Promise.all(shares.map(() => guard.admit({ toolName: 'c' })));
    const started = performance.now();
    await Promise.all(
      calls.map((call, i) =>
        call.run(async () => {
          for (let k = 0; k < 5; k++) {
            burn((shares[i] ?? 0) / 5);
            await new Promise((r) => setImmediate(r));
          }
        }),
      ),
    );
    const elapsed = performance.now() - started;
    const measured = calls.map((c) => c.usage().cpuTimeMs);
    // Each call gets at least its own burns...
    for (const [i, m] of measured.entries()) expect(m).toBeGreaterThanOrEqual((shares[i] ?? 0) - 0.1);
    // ...and slices are disjoint: no time is counted twice. (Accuracy under load is measured in bench/.)
    expect(measured.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(elapsed + 0.1);
    for (const c of calls) c.end('ok');
    await guard.close();
  });

  it('apportions heap growth to the call that is running', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 } });
    const call = await guard.admit({ toolName: 'mem' });
    const keep: Buffer[] = [];
    await call.run(async () => {
      for (let i = 0; i < 8; i++) {
        keep.push(Buffer.alloc(4 * 1024 * 1024, 1));
        burn(2);
        await new Promise((r) => setTimeout(r, 12));
      }
    });
    const mb = call.usage().memoryMb;
    call.end('ok');
    expect(keep.length).toBe(8);
    expect(mb).toBeGreaterThan(16);
    await guard.close();
  });
});
