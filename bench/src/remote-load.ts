/**
 * Server-side measurement with the client in another process: the load generator
 * (remote-load-process.ts) drives the calls; this process, the server, reads its own clock and CPU time
 * at each batch boundary the generator reports. So the figures are the server's alone, as in a real
 * deployment, where the guard's hooks never see the client's work.
 */

import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { type BatchMark, sampleFromMarks } from './measure.js';
import type { RemoteLoadCommand, RemoteLoadMessage } from './remote-load-process.js';
import type { LoopSettings, Variant, VariantSample } from './scenario.js';

const LOAD_SCRIPT = fileURLToPath(new URL('./remote-load-process.js', import.meta.url));

/**
 * Drives `tool` at `url` from a forked client process and measures this (the server's) process.
 *
 * @param variant - reported back as is
 * @param url - the server's MCP endpoint
 * @param tool - the tool to call (its arguments: `{ id }`)
 * @param loop - warm-up, batch length, batch count, concurrency
 * @param guardCalls - reads the calls the guard recorded (guarded variant), after the loop
 * @returns the sample: median wall-clock and server CPU µs per call over the batches
 */
export function measureRemoteCalls(
  variant: Variant,
  url: URL,
  tool: string,
  loop: LoopSettings,
  guardCalls: () => number | null,
): Promise<VariantSample> {
  // The client must not inherit the server's options (a profiler, say).
  const child: ChildProcess = fork(LOAD_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const marks: BatchMark[] = [];
  return new Promise((resolve, reject) => {
    let total: number | undefined;
    child.once('error', reject);
    child.on('message', (message: RemoteLoadMessage) => {
      if (message.type === 'mark') {
        const cpu = process.cpuUsage();
        marks.push({ time: performance.now(), cpu: cpu.user + cpu.system, count: message.count });
      } else if (message.type === 'done') {
        total = message.total;
      } else {
        reject(new Error(`the load generator failed: ${message.message}`));
      }
    });
    child.once('exit', (code) => {
      if (total === undefined || marks.length < 2) {
        reject(new Error(`the load generator exited (${String(code)}) before it finished`));
        return;
      }
      resolve(sampleFromMarks(variant, marks, total, guardCalls));
    });
    child.send({ type: 'start', url: url.href, tool, loop } satisfies RemoteLoadCommand);
  });
}
