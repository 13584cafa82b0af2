import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { isProcStatFd, openFdList, settleHeap, sleep, until } from '@mcp-resource-guard/test-support';
import { describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';
import { TrackedCall } from '../src/internal.js';

describe('CPU and memory', () => {
  function burn(ms: number): void {
    const end = performance.now() + ms;
    while (performance.now() < end) {
      // busy
    }
  }

  /** The main thread's CPU time in ms: /proc/thread-self/schedstat on Linux (ns, at most a tick late), else the process's. */
  function threadCpuMs(): number {
    if (existsSync('/proc/thread-self/schedstat')) {
      return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1e6;
    }
    const { user, system } = process.cpuUsage();
    return (user + system) / 1000;
  }

  // Ground truth: the main thread's CPU time around each burn (the process's would count its other threads
  // too: GC, the compiler, the watchdog). Slices are wall time scaled by the thread's CPU share of each
  // sampling interval; on a loaded machine the share applied to a slice is an interval's average, hence the
  // margins (accuracy is measured in bench/).
  function burnCpu(ms: number): number {
    const before = threadCpuMs();
    burn(ms);
    return threadCpuMs() - before;
  }

  it('measures the CPU time of a call across awaits', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 } });
    const call = await guard.admit({ toolName: 'cpu' });
    const started = performance.now();
    let used = 0;
    await call.run(async () => {
      used += burnCpu(30);
      await new Promise((r) => setTimeout(r, 5));
      used += burnCpu(30);
      await Promise.resolve();
      used += burnCpu(20);
    });
    const elapsed = performance.now() - started;
    const cpu = call.usage().cpuTimeMs;
    call.end('ok');
    expect(cpu).toBeGreaterThanOrEqual(0.5 * used);
    expect(cpu).toBeLessThanOrEqual(elapsed);
    await guard.close();
  });

  it('charges no CPU for time the thread spends blocked, not computing', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 } });
    const call = await guard.admit({ toolName: 'sleeper' });
    const started = performance.now();
    await call.run(async () => {
      burn(10);
      // Blocks the main thread for 300 ms without using CPU, inside the call's slice.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
      // Let the sampler end the interval while the call is in flight.
      await new Promise((r) => setTimeout(r, 40));
    });
    const elapsed = performance.now() - started;
    const cpu = call.usage().cpuTimeMs;
    call.end('ok');
    expect(elapsed).toBeGreaterThanOrEqual(300);
    // Wall time in its slices is over 300 ms; its CPU time is the 10 ms burn and some overhead.
    expect(cpu).toBeLessThan(100);
    await guard.close();
  });

  it('attributes concurrent calls’ CPU to each call in proportion', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 } });
    const shares = [40, 80, 120];
    const calls = await Promise.all(shares.map(() => guard.admit({ toolName: 'c' })));
    const used = shares.map(() => 0);
    const started = performance.now();
    await Promise.all(
      calls.map((call, i) =>
        call.run(async () => {
          for (let k = 0; k < 5; k++) {
            used[i] = (used[i] ?? 0) + burnCpu((shares[i] ?? 0) / 5);
            await new Promise((r) => setImmediate(r));
          }
        }),
      ),
    );
    const elapsed = performance.now() - started;
    const measured = calls.map((c) => c.usage().cpuTimeMs);
    const total = measured.reduce((a, b) => a + b, 0);
    // Each call gets about its own burns, and a share of the total close to its share of the work...
    const usedTotal = used.reduce((a, b) => a + b, 0);
    for (const [i, m] of measured.entries()) {
      expect(m).toBeGreaterThanOrEqual(0.5 * (used[i] ?? 0));
      // Its share of the total within half of its true share either way (bench/ measures the accuracy).
      const trueShare = (used[i] ?? 0) / usedTotal;
      expect(m / total).toBeGreaterThan(0.5 * trueShare);
      expect(m / total).toBeLessThan(1.5 * trueShare);
    }
    // ...and slices are disjoint: no time is counted twice.
    expect(total).toBeLessThanOrEqual(elapsed + 0.1);
    for (const c of calls) c.end('ok');
    await guard.close();
  });

  it('gives an exactly measured call the CPU time set on it, without the main thread’s slices of the call', async () => {
    // A call run in a worker thread of its own: its figure is the thread's clock, set by whoever measures it; the
    // main thread's work for the call (its dispatch, the result on its way back) is not added, before or after.
    const guard = createResourceGuard({ sampling: { activeMs: 10 } });
    const call = await guard.admit({ toolName: 'isolated' });
    if (!(call instanceof TrackedCall)) throw new Error('a tracked call');
    call.meter.exact = true;
    await call.run(async () => {
      burn(30);
      await sleep(5);
      // No thread clock yet: the main thread's share, as for any call.
      expect(call.usage().cpuTimeMs).toBeGreaterThan(0);
      call.measure('cpuTimeMs', 12.5);
      burn(30);
      await sleep(20);
    });
    expect(call.usage().cpuTimeMs).toBe(12.5);
    call.measure('cpuTimeMs', 40);
    expect(call.usage().cpuTimeMs).toBe(40);
    call.end('ok');
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

  it('charges the heap’s growth to the call whose code grew it, not to one burning CPU beside it', async () => {
    await settleHeap();
    const guard = createResourceGuard({ sampling: { activeMs: 10 }, watchdog: false });
    const [burner, allocator] = await Promise.all([
      guard.admit({ toolName: 'burner' }),
      guard.admit({ toolName: 'allocator' }),
    ]);
    const [, kept] = await Promise.all([
      burner.run(async () => {
        // Arithmetic on small integers: CPU without allocating, even before the loop is optimised (a
        // result outside the small-integer range would be a heap number, and `burn()` reads the clock:
        // garbage too, which counts as allocation).
        let x = 1;
        for (let i = 0; i < 8; i++) {
          for (let k = 0; k < 3_000_000; k++) x = (x * 31 + k) & 0xfffff;
          await sleep(12);
        }
        return x;
      }),
      allocator.run(async () => {
        const held: Buffer[] = [];
        for (let i = 0; i < 8; i++) {
          held.push(Buffer.allocUnsafe(2 * 1024 * 1024)); // 16 MB in all, next to no CPU
          await sleep(12);
        }
        await sleep(30);
        return held;
      }),
    ]);
    const [burnt, grown] = [burner.usage().memoryMb, allocator.usage().memoryMb];
    burner.end('ok');
    allocator.end('ok');
    expect(kept).toHaveLength(8);
    expect(grown).toBeGreaterThan(12);
    expect(burnt).toBeLessThan(2);
    await guard.close();
  });

  it('does not take from a call the memory freed before it started (garbage of a call that has ended)', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 10 }, watchdog: false });
    // Earlier tests' garbage, freed while a call runs, would be taken from its figure: not what is tested here.
    await settleHeap();
    // A first call holds 32 MB through a few samples, then ends and drops it.
    const first = await guard.admit({ toolName: 'mem' });
    let dropped: Buffer[] | undefined = await first.run(async () => {
      const held = Array.from({ length: 8 }, () => Buffer.alloc(4 * 1024 * 1024, 1));
      await sleep(40);
      return held;
    });
    expect(first.usage().memoryMb).toBeGreaterThan(16);
    first.end('ok');
    await first.settled;
    dropped = undefined;
    await settleHeap(); // the heap is 32 MB smaller now
    // The next call holds 8 MB: the 32 MB freed before it started are nobody's.
    const next = await guard.admit({ toolName: 'mem' });
    const kept = await next.run(async () => {
      const held = [Buffer.alloc(8 * 1024 * 1024, 1)];
      await sleep(40);
      return held;
    });
    const mb = next.usage().memoryMb;
    next.end('ok');
    expect(dropped).toBeUndefined();
    expect(kept).toHaveLength(1);
    expect(mb).toBeGreaterThan(6);
    expect(mb).toBeLessThan(12);
    await guard.close();
  });
});

describe('child processes', () => {
  const statFdsOfExited = (): string[] =>
    (openFdList() ?? [])
      .filter(isProcStatFd)
      .map((fd) => fd.target)
      .filter((target) => !existsSync(target));

  it('measures children without holding a descriptor on one that exited while it was sampled', async () => {
    const guard = createResourceGuard({ sampling: { activeMs: 1 }, cleanup: { graceMs: 20 } });
    // A child's RSS is read (waiting for as many samples as that takes on a busy machine)...
    const first = await guard.admit({ toolName: 'spawner' });
    await first.run(async () => {
      spawn('sleep', ['30']);
      await until(() => first.usage().memoryMb > 0, {
        what: "the child's memory in the call's usage",
        timeoutMs: 20_000,
        intervalMs: 5,
      });
    });
    first.end('ok');
    await first.settled;
    // ...and children killed by cleanups, some in the middle of a reading, leave no descriptor behind.
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          const call = await guard.admit({ toolName: 'spawner' });
          await call.run(async () => {
            spawn('sleep', ['30']);
            await new Promise((r) => setTimeout(r, Math.random() * 30));
          });
          call.end('ok'); // the child is killed by the cleanup, possibly in the middle of a reading
          await call.settled;
        }),
      );
    }
    await guard.close();
    expect(statFdsOfExited()).toEqual([]);
  }, 60_000);
});
