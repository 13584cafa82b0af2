// What a child process uses, read from /proc on Linux: the right units, and no process of the guard's own.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { until } from '@mcp-resource-guard/test-support';
import { describe, expect, it } from 'vitest';
import { descendantsOf } from '../src/internal.js';
import { readChildUsage } from '../src/probes/child-usage.js';

describe.runIf(process.platform === 'linux')('children read from /proc', () => {
  it("reads a child's resident memory in bytes (as /proc/<pid>/status counts it) and starts no process to do it", async () => {
    // Holds about 40 MB resident, then waits.
    const child = spawn(process.execPath, [
      '-e',
      'globalThis.b = Buffer.alloc(40 * 1024 * 1024, 1); setInterval(() => {}, 1000)',
    ]);
    try {
      const pid = child.pid as number;
      const statusRssBytes = (): number =>
        Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
      await until(() => statusRssBytes() >= 40 * 1024 * 1024, {
        what: 'the child to hold 40 MB',
        timeoutMs: 10_000,
        intervalMs: 20,
      });

      const reading = readChildUsage([pid]);
      expect(descendantsOf(process.pid)).toEqual([pid]); // nothing but the test's own child
      const usage = (await reading).get(pid);
      const truth = statusRssBytes();
      expect(usage?.rssBytes).toBeGreaterThan(truth * 0.9);
      expect(usage?.rssBytes).toBeLessThan(truth * 1.1);
      expect(usage?.cpuMs).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
