// A call refused at once is answered after `throttle.refusalDelayMs`: a client that retries in a loop without
// heeding its retry-after hint is slowed to one refusal per delay for each call it keeps in flight.
import { describe, expect, it } from 'vitest';
import {
  createResourceGuard,
  type GuardEvents,
  type ResourceGuardOptions,
  type ThrottleOptions,
} from '../src/index.js';
import { flush, manualTime } from '../src/testing/index.js';
import { memorySource } from './support/memory-source.js';
import { watchSettled } from './support/promise-state.js';

/** A guard on manual time whose tool `heavy` is throttled by a call holding 92 % of the tool's memory limit. */
async function throttledGuard(throttle: ThrottleOptions, options: ResourceGuardOptions = {}) {
  const time = manualTime();
  const source = memorySource();
  const guard = createResourceGuard({
    clock: time,
    scheduler: time,
    sources: [source],
    probes: false,
    watchdog: false,
    sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 500 },
    levels: { dwellSamples: 1 },
    limits: { perTool: { maxMemoryMb: 100 } },
    throttle,
    ...options,
  });
  const rejected: GuardEvents['throttle'][] = [];
  guard.on('throttle', (e) => {
    if (e.action === 'rejected') rejected.push(e);
  });
  const hog = await guard.admit({ toolName: 'heavy', sessionId: 's1' });
  source.set(hog, 92);
  time.advance(10);
  expect(guard.snapshot().tools.heavy?.throttled).toBe(true);
  return { time, source, guard, hog, rejected };
}

describe('refusals made at once are answered after the refusal delay', () => {
  it('holds a queue-full refusal for refusalDelayMs; the rejection is counted and reported at once', async () => {
    const { time, guard, hog, rejected } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 100 });
    const refused = watchSettled(guard.admit({ toolName: 'heavy', sessionId: 's2' }));
    await flush();
    expect(rejected).toHaveLength(1);
    expect(guard.snapshot().tools.heavy?.rejected).toBe(1);
    time.advance(99);
    await flush();
    expect(refused.state).toBe('pending');
    time.advance(1);
    await flush();
    expect(refused.state).toBe('rejected');
    expect(refused.reason).toMatchObject({ code: 'THROTTLED', data: { cause: 'queue_full' } });
    hog.end('ok');
    await guard.close();
  });

  it('answers at once with refusalDelayMs 0', async () => {
    const { guard, hog } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 0 });
    const refused = watchSettled(guard.admit({ toolName: 'heavy' }));
    await flush();
    expect(refused.state).toBe('rejected');
    hog.end('ok');
    await guard.close();
  });

  it('adds nothing to a refusal after a wait in the queue: it has waited maxWaitMs already', async () => {
    const { time, guard, hog } = await throttledGuard({ maxQueue: 1, maxWaitMs: 50, refusalDelayMs: 100 });
    const queued = watchSettled(guard.admit({ toolName: 'heavy' }));
    time.advance(50);
    await flush();
    expect(queued.state).toBe('rejected');
    expect(queued.reason).toMatchObject({ code: 'THROTTLED', data: { cause: 'wait_timeout' } });
    hog.end('ok');
    await guard.close();
  });

  it('answers a held refusal at once when its client gives up (the transport signal aborts)', async () => {
    const { guard, hog } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 1000 });
    const request = new AbortController();
    const refused = watchSettled(guard.admit({ toolName: 'heavy', signal: request.signal }));
    await flush();
    expect(refused.state).toBe('pending');
    request.abort();
    await flush();
    expect(refused.state).toBe('rejected');
    expect(refused.reason).toMatchObject({ code: 'THROTTLED' });
    hog.end('ok');
    await guard.close();
  });

  it('answers every held refusal at once when the guard closes', async () => {
    const { guard, hog } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 60_000 });
    const refused = [1, 2, 3].map(() => watchSettled(guard.admit({ toolName: 'heavy' })));
    await flush();
    expect(refused.map((r) => r.state)).toEqual(['pending', 'pending', 'pending']);
    hog.end('ok');
    await guard.close();
    await flush();
    expect(refused.map((r) => r.state)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('holds at most maxHeldRefusals; the ones past it are answered at once', async () => {
    const { time, guard, hog } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 100, maxHeldRefusals: 2 });
    const refused = [1, 2, 3, 4].map(() => watchSettled(guard.admit({ toolName: 'heavy' })));
    await flush();
    expect(refused.map((r) => r.state)).toEqual(['pending', 'pending', 'rejected', 'rejected']);
    time.advance(100);
    await flush();
    // Released, the two places are free again.
    const next = [1, 2, 3].map(() => watchSettled(guard.admit({ toolName: 'heavy' })));
    await flush();
    expect(next.map((r) => r.state)).toEqual(['pending', 'pending', 'rejected']);
    hog.end('ok');
    await guard.close();
  });

  it('holds the refusal of a tool in its emergency cool-down, and of a session blocked after an emergency', async () => {
    const { time, source, guard, hog } = await throttledGuard(
      { maxQueue: 0, refusalDelayMs: 100 },
      { limits: { perTool: { maxMemoryMb: 100 }, perSession: { maxMemoryMb: 50 } }, emergency: { coolDownMs: 10_000 } },
    );
    source.set(hog, 160); // 160 % of the tool's limit: an emergency of the tool
    time.advance(10);
    hog.end('limit');
    await hog.settled;
    const tool = watchSettled(guard.admit({ toolName: 'heavy' }));
    await flush();
    expect(tool.state).toBe('pending');
    time.advance(100);
    await flush();
    expect(tool.reason).toMatchObject({ code: 'TOOL_DEACTIVATED', data: { cause: 'emergency' } });

    const light = await guard.admit({ toolName: 'light', sessionId: 's9' });
    source.set(light, 80); // 160 % of the session's limit (80 % of the tool's): an emergency of the session
    time.advance(10);
    light.end('limit');
    await light.settled;
    const session = watchSettled(guard.admit({ toolName: 'light', sessionId: 's9' }));
    await flush();
    expect(session.state).toBe('pending');
    time.advance(100);
    await flush();
    expect(session.reason).toMatchObject({ code: 'THROTTLED', data: { scope: 'session' } });
    await guard.close();
  });

  it("never holds the answer for a tool its owner disabled: that is not the guard's refusal", async () => {
    const { guard, hog } = await throttledGuard({ maxQueue: 0, refusalDelayMs: 100 });
    guard.disableTool('heavy');
    const refused = watchSettled(guard.admit({ toolName: 'heavy' }));
    await flush();
    expect(refused.state).toBe('rejected');
    expect(refused.reason).toMatchObject({ code: 'TOOL_DEACTIVATED', data: { cause: 'owner' } });
    hog.end('ok');
    await guard.close();
  });
});
