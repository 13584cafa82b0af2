// Limits held against real figures, with the real clock and every probe on: the process's resident memory
// and a call's temp storage on disk (the other enforcement tests script their usage).
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CALL_STOPPED, createResourceGuard, getCallContext, type LimitEvent } from '../src/index.js';

const MB = 1024 * 1024;

describe('limits on real figures', () => {
  it("process maxMemoryMb is held against the process's resident memory: the call that drives it past the limit is stopped", async () => {
    const rssMb = process.memoryUsage.rss() / MB;
    // 64 MB of headroom over what the process holds now; the call then touches 96 MB more: (rss + 96) / (rss + 64)
    // is past the cleanup level (1) and, for any rss, short of the emergency level (1.5).
    const guard = createResourceGuard({
      limits: { process: { maxMemoryMb: rssMb + 64 } },
      sampling: { activeMs: 20 },
      watchdog: false,
    });
    const limits: LimitEvent[] = [];
    guard.on('limit', (event) => limits.push(event));
    const held: Buffer[] = [];
    try {
      const call = await guard.admit({ toolName: 'load_dataset' });
      const result = await call.runUntilStopped(async () => {
        held.push(Buffer.alloc(96 * MB, 1)); // written, so resident
        await new Promise<void>((resolve) => getCallContext().signal.addEventListener('abort', () => resolve()));
        return 'done';
      });
      expect(result).toBe(CALL_STOPPED);
      expect(call.stopCause).toBe('limit');
      call.end('limit');
      await call.settled;
      const entered = limits.find((e) => e.scope === 'process' && e.level === 'cleanup');
      expect(entered).toMatchObject({ resource: 'memoryMb', tool: 'load_dataset', callId: call.callId });
      expect(entered?.usage).toBeGreaterThanOrEqual(rssMb + 64);
      expect(entered?.samples.length).toBeGreaterThanOrEqual(3); // memory's default dwell
    } finally {
      held.length = 0;
      await guard.close();
    }
  });

  it("maxTempStorageMb is held against the bytes in the call's temp dir: the call is stopped and the dir removed", async () => {
    const guard = createResourceGuard({
      limits: { perCall: { maxTempStorageMb: 1 } },
      sampling: { activeMs: 20 },
      watchdog: false,
    });
    const limits: LimitEvent[] = [];
    guard.on('limit', (event) => limits.push(event));
    try {
      const call = await guard.admit({ toolName: 'render' });
      let dir = '';
      const result = await call.runUntilStopped(async () => {
        const context = getCallContext();
        dir = context.tempDir();
        // 1.2 MB in all: past the cleanup level (1 MB), short of the emergency level (1.5 MB).
        for (let i = 0; i < 3; i++) await writeFile(join(dir, `part-${i}.bin`), Buffer.alloc(0.4 * MB, i));
        await new Promise<void>((resolve) => context.signal.addEventListener('abort', () => resolve()));
        return 'done';
      });
      expect(result).toBe(CALL_STOPPED);
      expect(call.stopCause).toBe('limit');
      expect(call.usage().tempStorageMb).toBeCloseTo(1.2, 5);
      call.end('limit');
      const report = await call.settled;
      expect(report?.closed).toMatchObject({ temp_dir: 1 });
      const entered = limits.find((e) => e.scope === 'call' && e.level === 'cleanup');
      expect(entered).toMatchObject({ resource: 'tempStorageMb', tool: 'render', callId: call.callId });
      expect(existsSync(dir)).toBe(false);
    } finally {
      await guard.close();
    }
  });
});
