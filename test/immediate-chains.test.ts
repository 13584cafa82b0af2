// A setImmediate chain that reschedules itself, started in a tool call, is stopped when the call ends and reported
// as a leak; started shared (runShared) it runs on. Single immediates (libraries resume work with them) and
// immediates awaited as promises are left alone.
import { setImmediate as immediatePromise } from 'node:timers/promises';
import { type LeakEvent, runShared } from '@mcp-resource-guard/core';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedInMemory } from './support/guarded-in-memory.js';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

describe('self-rescheduling setImmediate chains', () => {
  it('are stopped at the end of the call that started them, and reported; shared ones run on', async () => {
    const ticks = { own: 0, closures: 0, shared: 0, awaited: 0 };
    let stopShared = false;
    const h = await guardedInMemory({ sampling: { activeMs: 10 } }, (s) => {
      s.registerTool('own', {}, () => {
        const tick = () => {
          ticks.own++;
          setImmediate(tick);
        };
        setImmediate(tick);
        return text('started');
      });
      // A chain of new closures each time (no callback repeats): a loop all the same.
      s.registerTool('closures', {}, () => {
        const step = (i: number) => {
          ticks.closures = i;
          setImmediate(() => step(i + 1));
        };
        setImmediate(() => step(1));
        return text('started');
      });
      s.registerTool('shared', {}, () => {
        runShared(() => {
          const tick = () => {
            ticks.shared++;
            if (!stopShared) setImmediate(tick);
          };
          setImmediate(tick);
        });
        return text('started');
      });
      // Yielding to the loop through awaited immediates: no chain, nothing left when it returns.
      s.registerTool('awaited', {}, async () => {
        for (let i = 0; i < 50; i++) {
          await immediatePromise();
          ticks.awaited++;
        }
        return text('yielded');
      });
    });
    closers.push(() => h.close());
    closers.push(async () => {
      stopShared = true;
    });
    const leaks: LeakEvent[] = [];
    h.guard.on('leak', (e) => leaks.push(e));

    for (const name of ['own', 'closures', 'shared']) {
      expect(await h.client.callTool({ name })).toEqual(text('started'));
    }
    expect(await h.client.callTool({ name: 'awaited' })).toEqual(text('yielded'));
    await sleep(50);
    const seen = { ...ticks };
    await sleep(50);
    expect(ticks.own).toBe(seen.own);
    expect(ticks.closures).toBe(seen.closures);
    expect(ticks.shared).toBeGreaterThan(seen.shared);
    expect(ticks.awaited).toBe(50);
    // A loop stopped after its call ended is reported as a late leak, after the cleanup grace (200 ms).
    await until(() => leaks.length >= 2, { what: 'two late leaks' });
    expect(leaks.map((e) => [e.tool, e.handles])).toEqual([
      ['own', { immediate: 1 }],
      ['closures', { immediate: 1 }],
    ]);
  });
});
