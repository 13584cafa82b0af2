// The demo server's tools: ordinary work, and one misbehaving tool per capability the guard shows.
import { spawn } from 'node:child_process';
import { open, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { getCallContext, type IsolatedTool, isolated } from '@mcp-resource-guard/sdk-middleware';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function burn(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // CPU work
  }
}

/** What the demo's tools need from the demo. */
export interface DemoEnvironment {
  /** A file the tools read. */
  readonly dataFile: string;
  /** A TCP port on 127.0.0.1 that accepts connections. */
  readonly peerPort: number;
  /** The isolated tools, one pool each for every session's server. */
  readonly isolated: IsolatedDemoTools;
}

/** Tools whose handlers run in worker threads (`isolated()`): hard limits, even on synchronous code. */
export interface IsolatedDemoTools {
  readonly runawayLoop: IsolatedTool;
  readonly memoryBomb: IsolatedTool;
  /** Ends their workers. */
  close(): Promise<void>;
}

/**
 * The isolated tools' pools: the handler modules beside this file (`isolated/*.ts`, built with it).
 *
 * @returns the tools
 */
export function createIsolatedDemoTools(): IsolatedDemoTools {
  const runawayLoop = isolated(new URL('./isolated/runaway-loop.js', import.meta.url), { maxWorkers: 1 });
  const memoryBomb = isolated(new URL('./isolated/memory-bomb.js', import.meta.url), { maxWorkers: 1 });
  return {
    runawayLoop,
    memoryBomb,
    close: async () => {
      await Promise.all([runawayLoop.close(), memoryBomb.close()]);
    },
  };
}

export function registerDemoTools(server: McpServer, env: DemoEnvironment): void {
  server.registerTool(
    'echo',
    { description: 'Echoes a message', inputSchema: { message: z.string() } },
    ({ message }) => text(message),
  );
  server.registerTool(
    'sum',
    { description: 'Adds numbers', inputSchema: { values: z.array(z.number()) }, outputSchema: { sum: z.number() } },
    ({ values }) => {
      const sum = values.reduce((a, b) => a + b, 0);
      return { ...text(String(sum)), structuredContent: { sum } };
    },
  );
  server.registerTool('read_data', { description: 'Reads the data file' }, async () => {
    const ctx = getCallContext();
    const content = await readFile(env.dataFile, { encoding: 'utf8', signal: ctx.signal });
    return text(`read ${content.length} bytes`);
  });
  server.registerTool('flaky', { description: 'Reports a failure in-band' }, () => ({
    ...text('upstream unavailable'),
    isError: true,
  }));

  server.registerTool(
    'leaky',
    { description: 'Leaves a file, a socket, timers, a child process and a temp dir open' },
    async () => {
      await open(env.dataFile, 'r');
      const socket = connect(env.peerPort, '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      setTimeout(() => {}, 60_000);
      setInterval(() => {}, 1000);
      spawn('sleep', ['60'], { stdio: 'ignore' });
      await writeFile(join(getCallContext().tempDir(), 'scratch.bin'), Buffer.alloc(256 * 1024));
      return text('done (and forgot to close everything)');
    },
  );

  server.registerTool('cpu_hog', { description: 'Burns CPU in slices until stopped' }, async (extra) => {
    for (let i = 0; i < 400 && !extra.signal.aborted; i++) {
      burn(20);
      await new Promise((r) => setImmediate(r));
    }
    return text('finished burning');
  });

  server.registerTool('memory_hog', { description: 'Allocates until stopped' }, async (extra) => {
    const hoard: Buffer[] = [];
    for (let i = 0; i < 100 && !extra.signal.aborted; i++) {
      hoard.push(Buffer.alloc(4 * 1024 * 1024, i));
      burn(2);
      await sleep(15);
    }
    return text(`held ${hoard.length * 4} MiB`);
  });

  server.registerTool('slow', { description: 'Takes 10 s and ignores cancellation' }, async () => {
    // Work the guard cannot see: it does not honour the signal.
    for (let i = 0; i < 100; i++) {
      burn(1);
      await sleepShared(100);
    }
    return text('finally done');
  });

  server.registerTool('burst', { description: 'Holds a file for 600 ms' }, async () => {
    const file = await open(env.dataFile, 'r');
    await sleep(600);
    await file.close();
    return text('held a file');
  });

  server.registerTool(
    'greedy',
    {
      description: 'Opens as many files as asked, all at once',
      inputSchema: { files: z.number().int().min(0).max(50) },
    },
    async ({ files }) => {
      const { openSync } = await import('node:fs');
      for (let i = 0; i < files; i++) openSync(env.dataFile, 'r');
      await sleep(150);
      return text(`opened ${files} files`);
    },
  );

  server.registerTool('wait', { description: 'Waits until cancelled, holding a file' }, async (extra) => {
    await open(env.dataFile, 'r');
    await new Promise((resolve) => extra.signal.addEventListener('abort', resolve));
    return text('cancelled');
  });

  server.registerTool('block_loop', { description: 'Blocks the event loop for 400 ms' }, () => {
    burn(400);
    return text('unblocked');
  });

  server.registerTool(
    'runaway_loop',
    { description: 'while (true) {} in a worker thread, stopped at its time limit' },
    env.isolated.runawayLoop,
  );
  server.registerTool(
    'memory_bomb',
    { description: 'Allocates without end in a worker thread, stopped at its memory limit' },
    env.isolated.memoryBomb,
  );
}

/**
 * Tools whose calls are tasks (MCP tasks, SDK v1's experimental task runtime): each answers with its task at once
 * and works on in the background, ending the task through the task store.
 */
export function registerDemoTaskTools(server: McpServer, env: DemoEnvironment): void {
  const taskTool = (
    name: string,
    description: string,
    work: (taskId: string, signal: AbortSignal) => Promise<CallToolResult>,
  ): void => {
    server.experimental.tasks.registerToolTask(
      name,
      { description, execution: { taskSupport: 'required' } },
      {
        createTask: async (extra) => {
          const task = await extra.taskStore.createTask({ ttl: 60_000, pollInterval: 50 });
          // The work outlives the request; the guard follows it until the task ends.
          void work(task.taskId, extra.signal)
            .then((result) => extra.taskStore.storeTaskResult(task.taskId, 'completed', result))
            .catch(() => {});
          return { task };
        },
        getTask: (extra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: async (extra) => (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
      },
    );
  };
  taskTool('long_report', 'Builds a large report in the background (a task), in memory', async (_taskId, signal) => {
    await open(env.dataFile, 'r');
    const parts: Buffer[] = [];
    for (let i = 0; i < 100 && !signal.aborted; i++) {
      parts.push(Buffer.alloc(4 * 1024 * 1024, i));
      await sleep(15);
    }
    return text(`report of ${parts.length * 4} MiB`);
  });
  taskTool('long_export', 'Exports in the background (a task) until cancelled', async (_taskId, signal) => {
    await open(env.dataFile, 'r');
    setInterval(() => {}, 1000);
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
    return text('export stopped');
  });
}

/** A sleep outside the call's resources (a shared timer), as unseen library work would be. */
function sleepShared(ms: number): Promise<void> {
  return new Promise((resolve) => sharedTimers.push({ at: performance.now() + ms, resolve }));
}

const sharedTimers: { at: number; resolve: () => void }[] = [];
setInterval(() => {
  const now = performance.now();
  for (let i = sharedTimers.length - 1; i >= 0; i--) {
    const timer = sharedTimers[i];
    if (timer !== undefined && timer.at <= now) {
      sharedTimers.splice(i, 1);
      timer.resolve();
    }
  }
}, 20).unref();
