// Background work on purpose: the leak policy is set per tool (by name and pattern, like limits). A tool that
// starts a timer meant to outlive its call (server-everything's toggle tools start 5 s intervals) keeps it under
// `report`; every other tool's leaks are still closed; a stopped call is cleaned up whatever the policy.
import type { CleanupReport } from '@mcp-resource-guard/core';
import type { ResourceMiddlewareOptions } from '@mcp-resource-guard/sdk-middleware';
import { sleep } from '@mcp-resource-guard/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedInMemory } from './support/guarded-in-memory.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const closers: (() => Promise<unknown>)[] = [];
const intervals: NodeJS.Timeout[] = [];
afterEach(async () => {
  for (const interval of intervals.splice(0)) clearInterval(interval);
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** Tools that each start an interval ticking every 10 ms and return; `ticks` counts each tool's ticks. */
async function server(options: ResourceMiddlewareOptions, names: readonly string[]) {
  const ticks = new Map<string, number>();
  const h = await guardedInMemory({ sampling: { activeMs: 10 }, ...options }, (s) => {
    for (const name of names) {
      s.registerTool(name, {}, async () => {
        intervals.push(setInterval(() => ticks.set(name, (ticks.get(name) ?? 0) + 1), 10));
        return text('started');
      });
    }
    s.registerTool('slow-toggle', {}, async () => {
      intervals.push(setInterval(() => ticks.set('slow-toggle', (ticks.get('slow-toggle') ?? 0) + 1), 10));
      await sleep(1000); // past its time limit: stopped
      return text('too late');
    });
  });
  closers.push(() => h.close());
  const reports: CleanupReport[] = [];
  h.guard.on('cleanup', (r) => reports.push(r));
  /** Calls a tool, then returns how many times its interval ticked in the 100 ms after the answer. */
  const ticksAfter = async (name: string) => {
    const answer = await h.client.callTool({ name });
    const before = ticks.get(name) ?? 0;
    await sleep(100);
    return { answer, ticked: (ticks.get(name) ?? 0) - before };
  };
  return { ...h, reports, ticksAfter };
}

describe('the leak policy per tool', () => {
  it("keeps a matching tool's background timer running and reports it; closes every other tool's", async () => {
    const { ticksAfter, reports } = await server(
      { leaks: { tools: { 'toggle-*': 'report', 'toggle-debug': 'close' } } },
      ['toggle-logging', 'toggle-debug', 'fetch'],
    );
    const kept = await ticksAfter('toggle-logging');
    expect(kept.answer).toEqual(text('started'));
    expect(kept.ticked).toBeGreaterThan(3);
    // An exact name wins over the pattern; a tool no entry names has the default, `close`.
    for (const name of ['toggle-debug', 'fetch']) {
      const closed = await ticksAfter(name);
      expect(closed.answer).toEqual(text('started'));
      expect(closed.ticked).toBe(0);
    }
    expect(reports.map((r) => [r.toolName, r.reason, r.mode, r.survived])).toEqual([
      ['toggle-logging', 'leak', 'report', 1],
      ['toggle-debug', 'leak', 'close', 0],
      ['fetch', 'leak', 'close', 0],
    ]);
  });

  it("reports every tool's leaks under `default: 'report'`, and closes those a tool entry says to", async () => {
    const { ticksAfter } = await server({ leaks: { default: 'report', tools: { fetch: 'close' } } }, [
      'toggle-logging',
      'fetch',
    ]);
    expect((await ticksAfter('toggle-logging')).ticked).toBeGreaterThan(3);
    expect((await ticksAfter('fetch')).ticked).toBe(0);
  });

  it('cleans up a call the guard stopped, whatever its policy', async () => {
    const { ticksAfter, reports } = await server(
      { leaks: { tools: { '*toggle': 'report' } }, tools: { 'slow-toggle': { perCall: { maxExecutionTimeMs: 50 } } } },
      [],
    );
    const stopped = await ticksAfter('slow-toggle');
    expect(stopped.answer.isError).toBe(true);
    expect(stopped.ticked).toBe(0);
    expect(reports).toMatchObject([{ toolName: 'slow-toggle', reason: 'timeout', mode: 'close', survived: 0 }]);
  });

  it('lets a self-rescheduling setImmediate loop of a report tool run on after its call', async () => {
    let turns = 0;
    let running = true;
    const h = await guardedInMemory({ leaks: { tools: { loop: 'report' } } }, (s) =>
      s.registerTool('loop', {}, async () => {
        const turn = () => {
          turns++;
          if (running) setImmediate(turn);
        };
        setImmediate(turn);
        return text('started');
      }),
    );
    closers.push(async () => {
      running = false;
      await h.close();
    });
    expect(await h.client.callTool({ name: 'loop' })).toEqual(text('started'));
    const before = turns;
    await sleep(50);
    expect(turns - before).toBeGreaterThan(10);
  });

  it('refuses a policy other than close or report, naming where it is', async () => {
    await expect(
      guardedInMemory({ leaks: { tools: { 'toggle-*': 'keep' as never } } }, () => {}),
    ).rejects.toMatchObject({
      code: 'INVALID_CONFIG',
      path: 'leaks.tools.toggle-*',
      value: 'keep',
    });
  });
});
