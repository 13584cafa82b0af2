import { describe, expect, it } from 'vitest';
import {
  CallRefused,
  createResourceGuard,
  type GuardEvents,
  MemoryAuditSink,
  type ResourceGuard,
  type ResourceGuardOptions,
  ResourceLimitExceeded,
} from '../src/index.js';
import { flush, manualTime } from '../src/testing/index.js';
import { memorySource } from './support/memory-source.js';

function setup(options: ResourceGuardOptions = {}) {
  const time = manualTime();
  const source = memorySource();
  const guard = createResourceGuard({
    clock: time,
    scheduler: time,
    sources: [source],
    sampling: { activeMs: 10, idleMs: 100, deactivatedMs: 500 },
    levels: { dwellSamples: 2 },
    ...options,
    // Refusals answered at once: these tests move time only where they mean to (refusal-pacing tests hold them).
    throttle: { refusalDelayMs: 0, ...options.throttle },
  });
  const events: { [K in keyof GuardEvents]?: GuardEvents[K][] } = {};
  for (const name of ['limit', 'throttle', 'cleanup', 'leak', 'emergency', 'recovery', 'state'] as const) {
    guard.on(name, (e) => {
      const list = events[name] ?? [];
      list.push(e as never);
      events[name] = list as never;
    });
  }
  return { time, source, guard, events };
}

async function settle<T>(p: Promise<T>): Promise<{ value?: T; error?: unknown }> {
  return p.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

describe('graduated response to a per-call limit', () => {
  it('warns at 75 %, reaches throttle at 90 % (that call only: the tool is not throttled), stops the call at 100 %, after the dwell', async () => {
    const { time, source, guard, events } = setup({ tools: { heavy: { perCall: { maxMemoryMb: 100 } } } });
    const call = await guard.admit({ toolName: 'heavy' });
    source.set(call, 80);
    time.advance(10);
    expect(events.limit).toBeUndefined(); // one sample is not enough
    time.advance(10);
    expect(events.limit?.map((e) => e.level)).toEqual(['warn']);
    expect(events.limit?.[0]?.samples).toEqual([80, 80]);

    source.set(call, 95);
    time.advance(20);
    expect(events.limit?.map((e) => e.level)).toEqual(['warn', 'throttle']);
    // A call-scope level acts on its call only: other calls of the tool are admitted as before.
    expect(events.throttle).toBeUndefined();
    expect(guard.snapshot().tools.heavy?.throttled).toBe(false);

    source.set(call, 101);
    time.advance(20);
    expect(call.stopReason).toBeInstanceOf(ResourceLimitExceeded);
    const reason = call.stopReason as ResourceLimitExceeded;
    expect(reason).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      scope: 'call',
      resource: 'memoryMb',
      limit: 100,
      usage: 101,
    });
    expect(call.signal.aborted).toBe(true);
    expect(call.signal.reason).toBe(reason);
    call.end('limit');
    await call.settled;
    expect(events.cleanup?.[0]).toMatchObject({ reason: 'limit', callId: call.callId, survived: 0 });
    expect(events.throttle).toBeUndefined();
    expect(guard.snapshot().tools.heavy?.levelEntries).toMatchObject({
      warn: 1,
      throttle: 1,
      cleanup: 1,
      emergency: 0,
    });
  });

  it('stops a call at its execution-time limit, with the sampling interval as precision', async () => {
    const { time, guard, events } = setup({ limits: { perCall: { maxExecutionTimeMs: 100 } } });
    const call = await guard.admit({ toolName: 'slow' });
    time.advance(90);
    expect(call.stopReason).toBeUndefined();
    time.advance(20);
    expect(ResourceLimitExceeded.is(call.stopReason)).toBe(true);
    expect(call.stopCause).toBe('timeout');
    expect(events.limit?.map((e) => e.level)).toEqual(['warn', 'throttle', 'cleanup']);
    call.end('timeout');
  });

  it('queues new calls of a throttled tool, rejects them past the wait, and never slows another tool', async () => {
    // The tool's aggregate limit throttles its admission (a call-scope level acts on its call only).
    const { time, source, guard, events } = setup({
      limits: { perTool: { maxMemoryMb: 100 } },
      throttle: { maxQueue: 1, maxWaitMs: 50, retryAfterMs: 250 },
    });
    const hog = await guard.admit({ toolName: 'heavy' });
    source.set(hog, 92);
    time.advance(20);
    expect(guard.snapshot().tools.heavy?.throttled).toBe(true);

    const queued = settle(guard.admit({ toolName: 'heavy' }));
    const overflow = await settle(guard.admit({ toolName: 'heavy' }));
    expect(overflow.error).toMatchObject({ code: 'THROTTLED', data: { cause: 'queue_full', retryAfterMs: 250 } });
    const other = await guard.admit({ toolName: 'light' });
    expect(other.toolName).toBe('light');
    other.end('ok');

    time.advance(60);
    const waited = await queued;
    expect(waited.error).toMatchObject({
      code: 'THROTTLED',
      data: { cause: 'wait_timeout', resource: 'memoryMb', level: 'throttle' },
    });
    expect(events.throttle?.filter((e) => e.action === 'rejected')).toHaveLength(2);
    expect(guard.snapshot().tools.heavy?.rejected).toBe(2);
    hog.end('ok');
  });

  it('refuses with one typed refusal, which the error, the throttle event and the audit entry all carry', async () => {
    const audit = new MemoryAuditSink();
    const { time, source, guard, events } = setup({
      limits: { perTool: { maxMemoryMb: 100 } },
      throttle: { maxQueue: 0, retryAfterMs: 250, refusalDelayMs: 0 },
      audit: { sink: audit },
    });
    const hog = await guard.admit({ toolName: 'heavy', sessionId: 's1' });
    source.set(hog, 92);
    time.advance(20);
    const refused = await settle(guard.admit({ toolName: 'heavy', sessionId: 's1' }));
    expect(CallRefused.is(refused.error)).toBe(true);
    const { refusal } = refused.error as CallRefused;
    expect(refusal).toEqual({
      code: 'THROTTLED',
      cause: 'queue_full',
      scope: 'tool',
      toolName: 'heavy',
      sessionId: 's1',
      resource: 'memoryMb',
      level: 'throttle',
      retryAfterMs: 250,
    });
    expect(events.throttle?.find((e) => e.action === 'rejected')).toEqual({
      action: 'rejected',
      scope: 'tool',
      key: 'heavy',
      tool: 'heavy',
      resource: 'memoryMb',
      level: 'throttle',
      retryAfterMs: 250,
      code: 'THROTTLED',
    });
    expect(audit.entries().find((e) => e.action === 'reject')).toMatchObject({
      tool: 'heavy',
      sessionId: 's1',
      scope: 'tool',
      resource: 'memoryMb',
      level: 'throttle',
    });
    hog.end('ok');
  });

  it('admits a queued call as soon as the throttle lifts', async () => {
    const { time, source, guard } = setup({ limits: { perTool: { maxMemoryMb: 100 } }, throttle: { maxWaitMs: 1000 } });
    const hog = await guard.admit({ toolName: 'heavy' });
    source.set(hog, 92);
    time.advance(20);
    expect(guard.snapshot().tools.heavy?.throttled).toBe(true);
    const queued = guard.admit({ toolName: 'heavy' });
    source.set(hog, 50);
    time.advance(20);
    await flush();
    const call = await queued;
    expect(call.toolName).toBe('heavy');
    call.end('ok');
    hog.end('ok');
  });
});

describe('emergency, cool-down and recovery', () => {
  it('deactivates the tool at 150 %, stops all its calls, re-enables it half-open after cool-down', async () => {
    const { time, source, guard, events } = setup({
      tools: { heavy: { perCall: { maxMemoryMb: 100 } } },
      emergency: { coolDownMs: 1000 },
    });
    const a = await guard.admit({ toolName: 'heavy' });
    const b = await guard.admit({ toolName: 'heavy' });
    source.set(a, 160);
    time.advance(20);
    // The offending call was already stopped at the cleanup level; the emergency stops the rest.
    expect(events.emergency?.[0]).toMatchObject({ scope: 'call', tool: 'heavy', coolDownMs: 1000, stoppedCalls: 1 });
    expect(a.stopCause).toBe('limit');
    expect(b.stopCause).toBe('emergency');
    expect(guard.toolState('heavy')).toBe('deactivated');
    a.end('limit');
    b.end('limit');
    await Promise.all([a.settled, b.settled]);

    const refused = await settle(guard.admit({ toolName: 'heavy' }));
    expect(refused.error).toMatchObject({ code: 'TOOL_DEACTIVATED' });
    expect((refused.error as { data: { retryAfterMs: number } }).data.retryAfterMs).toBeGreaterThan(900);

    time.advance(1000);
    // Re-enabled (half-open); its last call failed, so it is in the error state until a good call.
    expect(guard.toolState('heavy')).toBe('error');
    expect(events.state?.map((e) => `${e.from}->${e.to}:${e.reason}`)).toContain('deactivated->error:half_open');
    const probe = await guard.admit({ toolName: 'heavy' });
    // While the probe runs, other calls are refused.
    expect((await settle(guard.admit({ toolName: 'heavy' }))).error).toMatchObject({ code: 'TOOL_DEACTIVATED' });
    probe.end('ok');
    expect(events.recovery).toEqual([
      expect.objectContaining({ tool: 'heavy', success: true, via: 'probe', attempts: 1, successes: 1, rate: 1 }),
    ]);
    expect(guard.snapshot().tools.heavy?.breaker).toBeUndefined();
    const next = await guard.admit({ toolName: 'heavy' });
    next.end('ok');
    expect(events.recovery).toHaveLength(1);
  });

  it('doubles the cool-down after a failed probe', async () => {
    const { time, source, guard } = setup({
      tools: { heavy: { perCall: { maxMemoryMb: 100 } } },
      emergency: { coolDownMs: 100 },
    });
    const a = await guard.admit({ toolName: 'heavy' });
    source.set(a, 200);
    time.advance(20);
    a.end('limit');
    time.advance(100);
    const probe = await guard.admit({ toolName: 'heavy' });
    probe.end('thrown');
    expect(guard.toolState('heavy')).toBe('deactivated');
    expect(guard.snapshot().tools.heavy?.breaker).toMatchObject({ coolDownMs: 200, halfOpen: false });
    expect(guard.snapshot().tools.heavy?.recovery).toEqual({ attempts: 1, successes: 0, rate: 0 });
  });

  it('counts recovery after a cleanup by the next call', async () => {
    const { time, guard, events } = setup({ limits: { perCall: { maxExecutionTimeMs: 50 } } });
    const slow = await guard.admit({ toolName: 't' });
    time.advance(60);
    slow.end('timeout');
    await slow.settled;
    const next = await guard.admit({ toolName: 't' });
    next.end('ok');
    expect(events.recovery).toEqual([expect.objectContaining({ via: 'next_call', success: true })]);
  });
});

describe('scopes', () => {
  it('holds the sum of a session’s calls against limits.perSession and stops its largest call', async () => {
    const { time, source, guard, events } = setup({ limits: { perSession: { maxMemoryMb: 100 } } });
    const small = await guard.admit({ toolName: 'a', sessionId: 's1' });
    const big = await guard.admit({ toolName: 'b', sessionId: 's1' });
    const elsewhere = await guard.admit({ toolName: 'b', sessionId: 's2' });
    source.set(small, 30);
    source.set(big, 75);
    source.set(elsewhere, 50);
    time.advance(20);
    expect(events.limit?.map((e) => `${e.scope}:${e.sessionId}:${e.level}`)).toEqual(['session:s1:cleanup']);
    // The event names the call acted on, and its tool.
    expect(events.limit?.[0]).toMatchObject({ tool: 'b', callId: big.callId });
    expect(big.stopReason).toMatchObject({ scope: 'session', resource: 'memoryMb' });
    expect(small.stopReason).toBeUndefined();
    expect(elsewhere.stopReason).toBeUndefined();
    for (const c of [small, big, elsewhere]) c.end('ok');
  });

  it('throttles a tool on the sum of its calls (limits.perTool) without touching other tools', async () => {
    const { time, source, guard } = setup({ limits: { perTool: { maxMemoryMb: 100 } } });
    const calls = await Promise.all([1, 2, 3].map(() => guard.admit({ toolName: 'a' })));
    for (const c of calls) source.set(c, 31);
    const b = await guard.admit({ toolName: 'b' });
    source.set(b, 60);
    time.advance(20);
    expect(guard.snapshot().tools.a?.throttled).toBe(true);
    expect(guard.snapshot().tools.a?.levels).toEqual({ maxMemoryMb: 'throttle' });
    expect(guard.snapshot().tools.b?.throttled).toBe(false);
    for (const c of [...calls, b]) c.end('ok');
  });
});

describe('lifecycle', () => {
  it('samples at the rate of the tool’s state: active, idle, deactivated, none when unregistered', async () => {
    const { time, guard } = setup();
    guard.registerTool('t');
    const samples = () => guard.snapshot().tools.t?.samples ?? -1;
    time.advance(1000); // idle: every 100 ms
    const idle = samples();
    expect(idle).toBeGreaterThanOrEqual(9);
    expect(idle).toBeLessThanOrEqual(11);

    const call = await guard.admit({ toolName: 't' });
    expect(guard.toolState('t')).toBe('active');
    time.advance(1000); // active: every 10 ms
    const active = samples() - idle;
    expect(active).toBeGreaterThanOrEqual(95);
    call.end('ok');
    expect(guard.toolState('t')).toBe('idle');

    guard.disableTool('t');
    const before = samples();
    time.advance(5000); // deactivated: every 500 ms
    expect(samples() - before).toBeGreaterThanOrEqual(9);
    expect(samples() - before).toBeLessThanOrEqual(11);

    guard.unregisterTool('t');
    expect(guard.toolState('t')).toBeUndefined();
    time.advance(5000);
    expect(time.pending).toBe(0); // nothing left to sample: no timer at all
  });

  it('refuses calls of a deactivated tool, stops its calls in flight, and activates it again', async () => {
    const { guard, events } = setup();
    guard.registerTool('t');
    const running = await guard.admit({ toolName: 't' });
    guard.disableTool('t');
    expect(running.stopCause).toBe('deactivated');
    expect((await settle(guard.admit({ toolName: 't' }))).error).toMatchObject({ code: 'TOOL_DEACTIVATED' });
    running.end('cancelled');
    guard.enableTool('t');
    const again = await guard.admit({ toolName: 't' });
    again.end('ok');
    expect(events.state?.map((e) => `${e.from}->${e.to}`)).toEqual([
      'unregistered->registered',
      'active->deactivated',
      'deactivated->idle',
    ]);
  });

  it('narrows owner limits with the tool’s declared limits, never widens them', () => {
    const { guard } = setup({ limits: { perCall: { maxExecutionTimeMs: 1000, maxFileHandles: 10 } } });
    guard.registerTool('t', { limits: { maxExecutionTimeMs: 5000, maxFileHandles: 2, maxMemoryMb: 64 } });
    expect(guard.snapshot().tools.t?.limits).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 2, maxMemoryMb: 64 });
    expect(() => guard.registerTool('u', { limits: { maxFileHandles: -1 } })).toThrow(
      /tools\.u\.declared\.maxFileHandles/,
    );
  });

  it('enters the error state after a failed call and leaves it after a good one', async () => {
    const { guard } = setup();
    (await guard.admit({ toolName: 't' })).end('thrown');
    expect(guard.toolState('t')).toBe('error');
    (await guard.admit({ toolName: 't' })).end('ok');
    expect(guard.toolState('t')).toBe('idle');
  });
});

describe('adaptive limits', () => {
  it('derives per-call limits from observed p99 × headroom, within the owner’s cap', async () => {
    const { time, guard } = setup({
      limits: { perCall: { maxExecutionTimeMs: 10_000 } },
      adaptive: { headroom: 2, minSamples: 16 },
    });
    for (let i = 0; i < 16; i++) {
      const call = await guard.admit({ toolName: 't' });
      time.advance(100);
      call.end('ok');
    }
    expect(guard.snapshot().tools.t?.limits.maxExecutionTimeMs).toBe(200);
  });

  it('caps a tool’s concurrency after repeated cleanups, and raises it again on good calls', async () => {
    const { time, guard } = setup({
      limits: { perCall: { maxExecutionTimeMs: 50 } },
      adaptive: { cleanupsBeforeCap: 2 },
    });
    const calls = await Promise.all([1, 2, 3, 4].map(() => guard.admit({ toolName: 't' })));
    time.advance(60);
    for (const c of calls) c.end('timeout');
    const cap = guard.snapshot().tools.t?.concurrencyCap;
    expect(cap).toBeGreaterThanOrEqual(1);
    expect(cap).toBeLessThan(4);
    (await guard.admit({ toolName: 't' })).end('ok');
    expect(guard.snapshot().tools.t?.concurrencyCap).toBe((cap ?? 0) + 1);
  });
});

describe('robustness', () => {
  it('counts a failing usage source as an internal error and keeps sampling', async () => {
    const time = manualTime();
    const guard: ResourceGuard = createResourceGuard({
      clock: time,
      scheduler: time,
      limits: { perCall: { maxExecutionTimeMs: 50 } },
      sampling: { activeMs: 10 },
      sources: [
        {
          name: 'broken',
          sample() {
            throw new Error('probe bug');
          },
        },
      ],
    });
    const call = await guard.admit({ toolName: 't' });
    time.advance(60);
    expect(call.stopCause).toBe('timeout');
    expect(guard.snapshot().internalErrors).toBeGreaterThan(0);
    expect(guard.audit().some((e) => e.action === 'internal_error' && e.detail?.includes('probe bug'))).toBe(true);
    call.end('timeout');
  });
});

describe('process scope', () => {
  it('at a process-scope emergency, stops every call and refuses new ones for the cool-down', async () => {
    const { time, guard, events } = setup({
      limits: { process: { maxFileHandles: 4 } }, // the process has more descriptors open than that already
      emergency: { coolDownMs: 500 },
    });
    const a = await guard.admit({ toolName: 'a' });
    const b = await guard.admit({ toolName: 'b' });
    time.advance(20);
    // The cleanup level stops the largest call; the emergency stops the rest.
    expect(events.emergency?.[0]).toMatchObject({ scope: 'process', resource: 'fileHandles', stoppedCalls: 1 });
    expect([a.stopCause, b.stopCause].sort()).toEqual(['emergency', 'limit']);
    a.end('limit');
    b.end('limit');
    const refused = await guard.admit({ toolName: 'c' }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ code: 'THROTTLED', data: { scope: 'process' } });
  });

  it('with exitProcess, exits with the configured code after one synchronous audit line', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { createResourceGuard } from ${JSON.stringify(core)};
      const guard = createResourceGuard({
        limits: { process: { maxFileHandles: 4 } },
        emergency: { exitProcess: true, exitCode: 75 },
        sampling: { activeMs: 10 },
        watchdog: false,
      });
      await guard.admit({ toolName: 'x' });
      setTimeout(() => process.stdout.write('survived'), 2000);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.status).toBe(75);
    expect(result.stdout).toBe('');
    const line = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as {
      action?: string;
      scope?: string;
      detail?: string;
    };
    expect(line).toMatchObject({ action: 'emergency', scope: 'process' });
    expect(line.detail).toMatch(/exiting with code 75/);
  });
});

describe('recovery accounting', () => {
  it('is decided by the first call admitted after the failure, whatever order calls end in', async () => {
    const { time, guard, events } = setup();
    const transport = new AbortController();
    const failed = await guard.admit({ toolName: 't', signal: transport.signal });
    transport.abort(); // the client cancels: the sampler stops the call, and recovery is armed
    time.advance(20);
    expect(failed.stopCause).toBe('cancelled');
    const next = await guard.admit({ toolName: 't' });
    next.end('ok'); // the first call admitted after the failure decides, though the failed call has not ended
    failed.end('cancelled'); // ends late: arms nothing more
    const later = await guard.admit({ toolName: 't' });
    later.end('thrown'); // an unrelated later failure is not a failed recovery
    expect(events.recovery).toEqual([expect.objectContaining({ via: 'next_call', success: true, attempts: 1 })]);
  });

  it('counts a tool as recovered when a call admitted after the failed one succeeded before the failure was seen', async () => {
    const { time, guard, events } = setup();
    const transport = new AbortController();
    const failed = await guard.admit({ toolName: 't', signal: transport.signal });
    transport.abort(); // the client cancels and at once calls again...
    const next = await guard.admit({ toolName: 't' });
    next.end('ok'); // ...and that call succeeds before the sampler has seen the cancel
    time.advance(20);
    expect(failed.stopCause).toBe('cancelled');
    failed.end('cancelled');
    const later = await guard.admit({ toolName: 't' });
    later.end('thrown'); // a later, unrelated failure decides nothing
    expect(events.recovery).toEqual([expect.objectContaining({ via: 'next_call', success: true, attempts: 1 })]);
    expect(guard.snapshot().tools.t?.recovery).toEqual({ attempts: 1, successes: 1, rate: 1 });
  });

  it('is failed by the first call admitted after the failure when that call fails', async () => {
    const { time, guard, events } = setup();
    const transport = new AbortController();
    const failed = await guard.admit({ toolName: 't', signal: transport.signal });
    transport.abort();
    time.advance(20);
    failed.end('cancelled');
    const next = await guard.admit({ toolName: 't' });
    next.end('thrown');
    expect(events.recovery).toEqual([expect.objectContaining({ via: 'next_call', success: false, attempts: 1 })]);
  });
});
