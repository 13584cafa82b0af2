import { describe, expect, it } from 'vitest';
import {
  type Clock,
  createResourceGuard,
  ErrorCode,
  getCallContext,
  ResourceGuardError,
  tryGetCallContext,
} from '../src/index.js';
import { manualTime } from '../src/testing/index.js';
import { admitTracked } from './support/tracked.js';

function manualClock(start = 1000): Clock & { advance(ms: number): void } {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

describe('ResourceGuard calls', () => {
  it('records execution time and outcome per tool', async () => {
    const clock = manualClock();
    const guard = createResourceGuard({ clock });
    const a = await admitTracked(guard, { toolName: 'echo' });
    clock.advance(40);
    const b = await admitTracked(guard, { toolName: 'echo' });
    expect(guard.snapshot().tools.echo?.inFlight).toBe(2);
    clock.advance(10);
    const ra = a.end('ok');
    clock.advance(5);
    b.end('tool_error');
    expect(ra.usage.executionTimeMs).toBe(50);
    const stats = guard.snapshot().tools.echo;
    expect(stats).toMatchObject({
      calls: 2,
      inFlight: 0,
      errors: 1,
      executionTimeMs: { last: 15, peak: 50, total: 65, mean: 32.5 },
    });
    expect(stats?.outcomes.ok).toBe(1);
    expect(stats?.outcomes.tool_error).toBe(1);
  });

  it('ends a call once: later ends return the first record and count nothing', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 't' });
    const first = call.end('ok');
    expect(call.end('thrown')).toBe(first);
    expect(guard.snapshot().tools.t?.calls).toBe(1);
    expect(guard.snapshot().tools.t?.outcomes.thrown).toBe(0);
  });

  it("decides a stopped call's outcome itself when end() is given none: timeout, limit, cancelled, else ok", async () => {
    const time = manualTime();
    const guard = createResourceGuard({
      clock: time,
      scheduler: time,
      tools: { slow: { perCall: { maxExecutionTimeMs: 100 } }, files: { perCall: { maxFileHandles: 0 } } },
    });
    const slow = await admitTracked(guard, { toolName: 'slow' });
    time.advance(200); // stopped at its deadline
    expect(slow.end().outcome).toBe('timeout');
    const files = await admitTracked(guard, { toolName: 'files' });
    files.addHandle('file', { close: () => {}, isClosed: () => false });
    guard.sampleNow(); // one file against a limit of none
    expect(files.end().outcome).toBe('limit');
    const cancelled = new AbortController();
    const dropped = await admitTracked(guard, { toolName: 'echo', signal: cancelled.signal });
    cancelled.abort();
    guard.sampleNow(); // the sampler sees the transport's aborted signal
    expect(dropped.end().outcome).toBe('cancelled');
    expect((await admitTracked(guard, { toolName: 'echo' })).end().outcome).toBe('ok');
    await guard.close();
  });

  it('emits a call event with the record', async () => {
    const guard = createResourceGuard();
    const seen: string[] = [];
    guard.on('call', (r) => seen.push(`${r.toolName}:${r.outcome}`));
    (await admitTracked(guard, { toolName: 'x' })).end('cancelled');
    expect(seen).toEqual(['x:cancelled']);
  });

  it('isolates a throwing listener and counts it as an internal error', async () => {
    const guard = createResourceGuard();
    const errors: string[] = [];
    guard.on('call', () => {
      throw new Error('listener bug');
    });
    guard.on('internalError', (e) => errors.push(e.source));
    const call = await admitTracked(guard, { toolName: 'x' });
    expect(() => call.end('ok')).not.toThrow();
    expect(errors).toEqual(['listener:call']);
    expect(guard.snapshot().internalErrors).toBe(1);
  });
});

describe('call context', () => {
  it('is visible across awaits inside run() and absent outside', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 'ctx', sessionId: 's1' });
    expect(tryGetCallContext()).toBeUndefined();
    expect(() => getCallContext()).toThrow(ResourceGuardError);
    const seen = await call.run(async () => {
      await new Promise((r) => setTimeout(r, 1));
      const ctx = getCallContext();
      return [ctx.toolName, ctx.sessionId, ctx.callId];
    });
    expect(seen).toEqual(['ctx', 's1', call.callId]);
    call.end('ok');
  });

  it('keeps concurrent calls apart', async () => {
    const guard = createResourceGuard();
    const names = await Promise.all(
      ['a', 'b', 'c'].map(async (toolName, i) => {
        const call = await admitTracked(guard, { toolName });
        return call.run(async () => {
          await new Promise((r) => setTimeout(r, 5 - i));
          return getCallContext().toolName;
        });
      }),
    );
    expect(names).toEqual(['a', 'b', 'c']);
  });

  it('gives a signal that follows the transport signal', async () => {
    const guard = createResourceGuard();
    const upstream = new AbortController();
    const call = await admitTracked(guard, { toolName: 's', signal: upstream.signal });
    const signal = call.signal;
    expect(signal.aborted).toBe(false);
    upstream.abort('client cancel');
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('client cancel');
  });

  it('aborts the signal with the stop reason, even when read after stop', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 's' });
    call.stop('first');
    call.stop('second');
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe('first');
  });

  it('detaches from the transport signal when the call ends', async () => {
    const guard = createResourceGuard();
    const upstream = new AbortController();
    const call = await admitTracked(guard, { toolName: 's', signal: upstream.signal });
    const signal = call.signal;
    call.end('ok');
    upstream.abort();
    expect(signal.aborted).toBe(false);
  });
});

describe('close', () => {
  it('stops calls in flight and refuses new ones with a typed error', async () => {
    const guard = createResourceGuard();
    const call = await admitTracked(guard, { toolName: 'slow' });
    const signal = call.signal;
    await guard.close();
    expect(signal.aborted).toBe(true);
    expect(ResourceGuardError.is(signal.reason) && signal.reason.code).toBe(ErrorCode.GuardClosed);
    const caught = await admitTracked(guard, { toolName: 'slow' }).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(ResourceGuardError);
    expect((caught as ResourceGuardError).code).toBe('GUARD_CLOSED');
    await guard.close();
  });
});
