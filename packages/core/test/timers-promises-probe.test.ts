// node:timers/promises inside calls: setTimeout, setInterval (an async iterator), setImmediate, and
// scheduler.wait / util.promisify(setTimeout), which go through them. Real timers, real cleanup.
import { setInterval as every, setImmediate as immediate, scheduler, setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { LEAKS, settleTo, steadyReading } from '@mcp-resource-guard/test-support';
import { describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';
import { checkLeakPair } from './support/leak-pair.js';
import { watchSettled } from './support/promise-state.js';
import { runLeaky } from './support/run-leaky.js';
import { admitTracked } from './support/tracked.js';

const tick = () => new Promise((r) => setTimeout(r, 20));

describe('timers/promises: attributed, closed at cleanup, back to baseline (two calls at once)', () => {
  it('a pending setTimeout', async () => {
    await checkLeakPair({
      open: async () => {
        await LEAKS.timersPromisesTimeout();
        await tick();
      },
      holds: { timer: 1 },
    });
  });

  it('scheduler.wait and util.promisify(setTimeout)', async () => {
    await checkLeakPair({
      open: async () => {
        void scheduler.wait(60_000);
        await tick();
        void promisify(setTimeout)(60_000);
      },
      holds: { timer: 2 },
    });
  });

  it('a setInterval iterator being iterated', async () => {
    await checkLeakPair({
      open: async () => {
        await LEAKS.timersPromisesInterval();
        await tick();
      },
      holds: { interval: 1 },
    });
  });
});

describe('timers/promises: what closing means', () => {
  it('leaves the promise of a closed timer pending for ever: nothing of the call runs, nothing rejects', async () => {
    const guard = createResourceGuard();
    let leftover: ReturnType<typeof watchSettled> | undefined;
    let continued = false;
    const { report } = await runLeaky(guard, 'sleepy', async () => {
      leftover = watchSettled(sleep(60_000).then(() => 'fired'));
      // A chain with no rejection handler: rejecting it would be an unhandled rejection.
      void sleep(60_000).then(() => {
        continued = true;
      });
    });
    expect(report?.closed).toEqual({ timer: 2 });
    await tick();
    expect(leftover?.state).toBe('pending');
    expect(continued).toBe(false);
    await guard.close();
  });

  it('stops a handler that is still awaiting one when its call ends: the code after the await never runs', async () => {
    const guard = createResourceGuard();
    const baseline = await steadyReading();
    const call = await admitTracked(guard, { toolName: 'poll' });
    let rounds = 0;
    const handler = watchSettled(
      call.run(async () => {
        for (;;) {
          rounds++;
          await sleep(60_000);
        }
      }),
    );
    await tick();
    expect(call.handles.countByKind()).toEqual({ timer: 1 });
    call.end('cancelled');
    expect((await call.settled)?.closed).toEqual({ timer: 1 });
    await tick();
    expect(rounds).toBe(1);
    expect(handler.state).toBe('pending');
    expect((await settleTo(baseline)).items).toEqual({});
    await guard.close();
  });

  it('rejects with AbortError, as the tool’s own signal would, when the tool passed a signal', async () => {
    const guard = createResourceGuard();
    const own = new AbortController();
    let timer: ReturnType<typeof watchSettled> | undefined;
    let ticks: ReturnType<typeof watchSettled> | undefined;
    await runLeaky(guard, 'signalled', async () => {
      timer = watchSettled(sleep(60_000, 'v', { signal: own.signal }));
      ticks = watchSettled(every(60_000, 'v', { signal: own.signal }).next());
      await tick();
    });
    await tick();
    for (const seen of [timer, ticks]) {
      expect(seen).toMatchObject({
        state: 'rejected',
        reason: { name: 'AbortError', cause: { message: expect.stringMatching(/closed by the resource guard/) } },
      });
    }
    expect(own.signal.aborted).toBe(false);
    await guard.close();
  });

  it('still honours the tool’s own signal, and releases a timer that settled', async () => {
    const guard = createResourceGuard();
    const own = new AbortController();
    const { record } = await runLeaky(guard, 'tidy', async () => {
      await sleep(1);
      const pending = sleep(60_000, 'v', { signal: own.signal });
      own.abort(new Error('the tool changed its mind'));
      await expect(pending).rejects.toMatchObject({
        name: 'AbortError',
        cause: { message: 'the tool changed its mind' },
      });
      for await (const _ of every(1)) break;
    });
    expect(record.leaked).toEqual({});
    await guard.close();
  });

  it('counts immediates and unref’d timers while the call runs, and leaves them to the process', async () => {
    const guard = createResourceGuard();
    let unrefd: ReturnType<typeof watchSettled> | undefined;
    let yielded: ReturnType<typeof watchSettled> | undefined;
    const { handles, record } = await runLeaky(guard, 'light', async () => {
      unrefd = watchSettled(sleep(30, 'late', { ref: false }));
      yielded = watchSettled(immediate());
      await scheduler.yield();
    });
    expect(handles).toEqual({ timer: 1 });
    expect(record.leaked).toEqual({});
    expect(yielded?.state).toBe('fulfilled');
    await new Promise((r) => setTimeout(r, 60));
    expect(unrefd?.state).toBe('fulfilled');
    await guard.close();
  });

  it('leaves timers outside calls alone', async () => {
    const guard = createResourceGuard();
    expect(await sleep(1, 'outside')).toBe('outside');
    expect(await immediate('outside')).toBe('outside');
    await guard.close();
  });
});
