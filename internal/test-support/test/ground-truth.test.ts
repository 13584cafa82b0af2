// Ground truth against what the test itself opens and closes: real descriptors, timers and processes.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, openSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  descendantsOf,
  excess,
  isRunning,
  markedProcessList,
  readGroundTruth,
  settleTo,
  steadyReading,
} from '../src/index.js';

const FILE = fileURLToPath(import.meta.url);

describe('ground truth', () => {
  it('sees a descriptor and a timer above the baseline, and nothing once they are closed', async () => {
    const baseline = await steadyReading();
    const fd = openSync(FILE, 'r');
    const timer = setTimeout(() => {}, 60_000);
    expect(excess(baseline, readGroundTruth()).items).toEqual({ fds: 1, 'handle:Timeout': 1 });
    expect((await settleTo(baseline, { timeoutMs: 200 })).items).toEqual({ fds: 1, 'handle:Timeout': 1 });
    closeSync(fd);
    clearTimeout(timer);
    expect(await settleTo(baseline)).toEqual({ total: 0, items: {} });
  });

  it('waits for an expected excess', async () => {
    const baseline = await steadyReading();
    const fd = openSync(FILE, 'r');
    try {
      expect((await settleTo(baseline, { expected: { fds: 1 } })).items).toEqual({ fds: 1 });
    } finally {
      closeSync(fd);
    }
  });

  it('finds a running child by its marker and among the descendants, and not once it has exited', async () => {
    const marker = `29.0${process.pid}7`;
    const child = spawn('sleep', [marker], { stdio: 'ignore' });
    await once(child, 'spawn');
    const pid = child.pid ?? 0;
    expect(isRunning(pid)).toBe(true);
    expect(markedProcessList(marker).map((p) => [p.pid, p.ppid])).toEqual([[pid, process.pid]]);
    expect(descendantsOf(process.pid)).toContain(pid);
    const exited = once(child, 'exit');
    child.kill();
    await exited;
    expect(isRunning(pid)).toBe(false);
    expect(markedProcessList(marker)).toEqual([]);
  });
});
