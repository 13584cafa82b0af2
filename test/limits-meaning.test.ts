// Limits that mean what they say, through the real SDK: a count limit of N allows N, a call is stopped at its
// deadline however slowly the guard samples, and the guard's own lateness never turns a stop into an emergency.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CleanupReport, LimitEvent } from '@mcp-resource-guard/core';
import type { ResourceMiddlewareOptions } from '@mcp-resource-guard/sdk-middleware';
import { sleep, until } from '@mcp-resource-guard/test-support';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { guardedInMemory } from './support/guarded-in-memory.js';

const SELF = fileURLToPath(import.meta.url);
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** A guarded SDK v1 server on InMemoryTransport with the tools `register` adds, and its client. */
async function guarded(options: ResourceMiddlewareOptions, register: (server: McpServer) => void) {
  const h = await guardedInMemory(options, register);
  closers.push(() => h.close());
  const limits: LimitEvent[] = [];
  h.guard.on('limit', (e) => limits.push(e));
  return { guard: h.guard, client: h.client, limits };
}

async function localServer(): Promise<{ port: number }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((r) => server.close(r));
  });
  return { port: (server.address() as { port: number }).port };
}

describe('count limits allow their count', () => {
  // `one` allows 1, `four` allows 4: holding the count is within the limit; one more is past it (cleanup level,
  // the call stopped), short of the emergency level (past 150 %).
  const tools = (kind: 'files' | 'connections') =>
    kind === 'files'
      ? { one: { perCall: { maxFileHandles: 1 } }, four: { perCall: { maxFileHandles: 4 } } }
      : { one: { perCall: { maxNetworkConnections: 1 } }, four: { perCall: { maxNetworkConnections: 4 } } };

  it.each(['files', 'connections'] as const)(
    'a call may hold exactly its limit of %s, and is stopped at one more',
    async (kind) => {
      const { port } = await localServer();
      const { client, limits } = await guarded({ sampling: { activeMs: 5 }, tools: tools(kind) }, (s) => {
        for (const name of ['one', 'four']) {
          s.registerTool(name, { inputSchema: { count: z.number() } }, async ({ count }) => {
            const held: { close(): unknown }[] = [];
            for (let i = 0; i < count; i++) {
              if (kind === 'files') held.push(await open(SELF, 'r'));
              else {
                const socket = connect(port, '127.0.0.1');
                await new Promise((r) => socket.once('connect', r));
                held.push({ close: () => socket.destroy() });
              }
            }
            await sleep(60); // a dozen samples
            for (const h of held) await h.close();
            return text(`held ${count}`);
          });
        }
      });
      expect(await client.callTool({ name: 'one', arguments: { count: 1 } })).toEqual(text('held 1'));
      expect(await client.callTool({ name: 'four', arguments: { count: 4 } })).toEqual(text('held 4'));
      expect(limits.filter((e) => e.level === 'cleanup' || e.level === 'emergency')).toEqual([]);
      const five = await client.callTool({ name: 'four', arguments: { count: 5 } });
      expect(five.isError).toBe(true);
      // The model reads plain words; the operator's details (level, scope, the option to raise) are in _meta.
      const what = kind === 'files' ? 'files' : 'network connections';
      expect((five.content as { text: string }[])[0]?.text).toBe(
        `the tool had too many ${what} open at once: 5, when 4 are allowed; try fewer ${kind === 'files' ? 'files ' : ''}at a time`,
      );
      const limitName = kind === 'files' ? 'maxFileHandles' : 'maxNetworkConnections';
      expect(five._meta?.['mcp-resource-guard/error']).toMatchObject({
        code: 'LIMIT_EXCEEDED',
        level: 'cleanup',
        scope: 'call',
        limitName,
        hint: expect.stringContaining(`raise ${limitName}`),
      });
      const resource = kind === 'files' ? 'fileHandles' : 'networkConnections';
      expect(limits.filter((e) => e.level === 'cleanup' || e.level === 'emergency')).toMatchObject([
        { level: 'cleanup', resource, usage: 5, limit: 4 },
      ]);
    },
  );
});

describe('execution time', () => {
  const sleeper = (s: McpServer) =>
    // Ignores its signal, as many real handlers do; sleeping, it uses no CPU after the stop.
    s.registerTool('sleep', { inputSchema: { ms: z.number() } }, async ({ ms }) => {
      await sleep(ms);
      return text('woke');
    });

  it('stops a call at its deadline, not at the next sampling tick', async () => {
    // Sampled once a second, with a 100 ms limit: a handler of 900 ms ends before the first tick.
    const { client, limits } = await guarded(
      { sampling: { activeMs: 1000 }, limits: { perCall: { maxExecutionTimeMs: 100 } } },
      sleeper,
    );
    const answer = await client.callTool({ name: 'sleep', arguments: { ms: 900 } });
    expect(answer.isError).toBe(true);
    expect(limits.map((e) => e.level)).toContain('cleanup');
  });

  it('aborts the signal of the handler’s extra at the stop, also in a copy the handler spread', async () => {
    let spreadAborted: unknown;
    const { client } = await guarded({ limits: { perCall: { maxExecutionTimeMs: 100 } } }, (s) =>
      s.registerTool('spreads', {}, async (extra) => {
        // Handlers pass `{ ...extra }` on; the SDK itself does for task tools.
        const options = { ...extra, label: 'copy' };
        await new Promise((resolve) => options.signal.addEventListener('abort', resolve, { once: true }));
        spreadAborted = options.signal.reason;
        return text('stopped');
      }),
    );
    const answer = await client.callTool({ name: 'spreads' });
    expect(answer.isError).toBe(true);
    await until(() => spreadAborted !== undefined, { what: 'the spread signal to abort' });
    expect(spreadAborted).toMatchObject({ code: 'LIMIT_EXCEEDED' });
  });

  it('never escalates to an emergency because the guard sampled late: the tool stays enabled', async () => {
    // A 40 ms limit sampled every 100 ms: the first tick on the sampling schedule would see 250 %.
    const { client, limits, guard } = await guarded(
      { sampling: { activeMs: 100 }, limits: { perCall: { maxExecutionTimeMs: 40 } } },
      sleeper,
    );
    const answer = await client.callTool({ name: 'sleep', arguments: { ms: 400 } });
    expect(answer.isError).toBe(true);
    const stop = limits.find((e) => e.level === 'cleanup');
    expect(stop?.usage).toBeLessThanOrEqual(40);
    expect(limits.filter((e) => e.level === 'emergency')).toEqual([]);
    await sleep(450); // the stopped handler sleeps on, using no CPU: no emergency after the stop either
    expect(limits.filter((e) => e.level === 'emergency')).toEqual([]);
    expect(guard.snapshot().tools.sleep?.state).not.toBe('deactivated');
    expect(await client.callTool({ name: 'sleep', arguments: { ms: 1 } })).toEqual(text('woke'));
  });

  it('answers a stopped call at once: its cleanup goes on after the answer when a close is slow', async () => {
    // A FIFO whose writer never writes: the stream's read blocks in the thread pool, and its close waits for it.
    const dir = await mkdtemp(join(tmpdir(), 'guard-fifo-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const writer = spawn('sh', ['-c', 'exec sleep 30 > "$0"', fifo], { stdio: 'ignore' });
    closers.push(async () => writer.kill('SIGKILL'));
    const cleanups: CleanupReport[] = [];
    const { client, guard } = await guarded(
      { sampling: { activeMs: 10 }, limits: { perCall: { maxExecutionTimeMs: 100 } } },
      (s) =>
        s.registerTool('tail', {}, async () => {
          const stream = createReadStream(fifo);
          stream.on('data', () => {});
          await new Promise(() => {}); // waits for data that never comes
          return text('never');
        }),
    );
    guard.on('cleanup', (r) => cleanups.push(r));
    const answer = await client.callTool({ name: 'tail' });
    expect(answer.isError).toBe(true);
    // The answer came while the stream's close was still blocked: no cleanup report yet.
    expect(cleanups).toEqual([]);
    const exited = once(writer, 'exit');
    writer.kill('SIGKILL'); // the writer goes: the read returns (end of file) and the close completes
    await exited;
    await until(() => cleanups.length > 0, { what: 'the cleanup of tail' });
    expect(cleanups).toMatchObject([{ toolName: 'tail', reason: 'timeout', survived: 0 }]);
  });

  /** Blocks the event loop, as a synchronous parse or a long GC does: no timer of the guard's can run meanwhile. */
  const blockFor = (ms: number) => {
    const end = performance.now() + ms;
    while (performance.now() < end);
  };

  // The guard's deadline timer cannot fire while the loop is blocked; when it comes back, Node runs every due timer
  // of one duration before the next duration's, and the microtasks between them, so the handler's own timer may
  // settle it first. A handler that settles after its deadline is answered as stopped at its time limit all the same.
  it.each([
    ['returns synchronously', 'sync'],
    ['settles from a microtask right after blocking', 'async'],
    ["settles from its own timer, run before the guard's", 'timer'],
  ] as const)('a handler that %s past its deadline is answered as stopped at its time limit', async (_, how) => {
    // Sampled once a second: the guard wakes at the time levels of the 100 ms limit (75, 90, 100 ms).
    const { client, limits, guard } = await guarded(
      { sampling: { activeMs: 1000 }, tools: { late: { perCall: { maxExecutionTimeMs: 100 } } } },
      (s) =>
        s.registerTool('late', {}, async () => {
          if (how === 'sync') {
            blockFor(250);
            return text('too late');
          }
          if (how === 'async') {
            await Promise.resolve();
            blockFor(250);
            return text('too late');
          }
          // An 80 ms timer started now heads Node's list of 80 ms timers, due before the guard's wake at 90 ms; a
          // second one, started after the guard's warn tick (75 ms), is due at 158 ms. When the loop comes back
          // at 250 ms both run, and the handler settles, before the guard's timer.
          setTimeout(() => {}, 80);
          await sleep(78);
          const timer = new Promise((r) => setTimeout(r, 80));
          blockFor(170);
          await timer;
          return text('too late');
        }),
    );
    const cleanups: string[] = [];
    guard.on('cleanup', (report) => cleanups.push(report.reason));
    const answer = await client.callTool({ name: 'late', arguments: {} });
    expect(answer.isError).toBe(true);
    expect(answer._meta?.['mcp-resource-guard/error']).toMatchObject({ limitName: 'maxExecutionTimeMs' });
    const stop = limits.find((e) => e.level === 'cleanup');
    expect(stop?.limitName).toBe('maxExecutionTimeMs');
    // The guard's own lateness never escalates: held at exactly the deadline.
    expect(stop?.usage).toBeLessThanOrEqual(100);
    expect(limits.filter((e) => e.level === 'emergency')).toEqual([]);
    // A stopped call's cleanup follows its answer.
    await until(() => cleanups.length > 0, { what: 'the cleanup of the stopped call' });
    expect(cleanups).toEqual(['timeout']);
    expect(guard.snapshot().tools.late?.state).not.toBe('deactivated');
  });
});
