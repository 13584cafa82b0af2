// What an observer of calls (a tracer) gets from core: the 'start' event in the admitting code's async context,
// the request behind the call, wrapRuns around its work, what a thrown call threw, and every live guard.
import { AsyncLocalStorage } from 'node:async_hooks';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type CallRequest,
  createResourceGuard,
  GUARD_CREATED_CHANNEL,
  getCallContext,
  liveGuards,
  type ResourceGuard,
  type ToolCall,
} from '../src/index.js';

const guards: ResourceGuard[] = [];
afterEach(async () => {
  for (const guard of guards.splice(0)) await guard.close();
});
function guard(): ResourceGuard {
  const g = createResourceGuard({ watchdog: false });
  guards.push(g);
  return g;
}

describe("the 'start' event", () => {
  it("is delivered synchronously in the admitting code's async context, with the call and its request", async () => {
    const g = guard();
    const handler = new AsyncLocalStorage<string>();
    const seen: { call: ToolCall; store: string | undefined }[] = [];
    g.on('start', (call) => seen.push({ call, store: handler.getStore() }));
    const request: CallRequest = { meta: { traceparent: 'x' }, protocolVersion: '2025-06-18', transport: 'stdio' };
    const call = await handler.run('handler of request 7', () =>
      g.admit({ toolName: 'search', requestId: 7, request }),
    );
    expect(seen).toHaveLength(1);
    expect(seen[0]?.call).toBe(call);
    expect(seen[0]?.store).toBe('handler of request 7');
    expect(call.request).toBe(request);
    call.end('ok');
  });

  it('comes after a wait in a throttled queue, still in the context of the call that waited', async () => {
    const g = createResourceGuard({ watchdog: false, tools: { one: { perTool: { maxConcurrentCalls: 1 } } } });
    guards.push(g);
    const handler = new AsyncLocalStorage<number>();
    const stores: (number | undefined)[] = [];
    g.on('start', () => stores.push(handler.getStore()));
    const first = await handler.run(1, () => g.admit({ toolName: 'one' }));
    const second = handler.run(2, () => g.admit({ toolName: 'one' }));
    expect(stores).toEqual([1]);
    first.end('ok');
    (await second).end('ok');
    expect(stores).toEqual([1, 2]);
  });
});

describe('wrapRuns', () => {
  it("runs the call's work inside the wrappers, the last added outermost, and in the call's context", async () => {
    const g = guard();
    const order: string[] = [];
    g.on('start', (call) => {
      call.wrapRuns((work) => {
        order.push('inner');
        return work();
      });
      call.wrapRuns((work) => {
        order.push('outer');
        return work();
      });
    });
    const call = await g.admit({ toolName: 'wrapped' });
    const tool = await call.runUntilStopped(async () => getCallContext().toolName);
    expect(tool).toBe('wrapped');
    expect(order).toEqual(['outer', 'inner']);
    expect(call.run(() => getCallContext().callId)).toBe(call.callId);
    call.end('ok');
  });
});

it("keeps what a thrown call's work threw, for observers", async () => {
  const g = guard();
  const call = await g.admit({ toolName: 'breaks' });
  const error = Object.assign(new Error('invalid params'), { code: -32602 });
  await expect(call.runUntilStopped(() => Promise.reject(error))).rejects.toBe(error);
  expect(call.end('thrown', error).outcome).toBe('thrown');
  expect(call.error).toBe(error);
});

describe('every live guard', () => {
  it('is published on the diagnostics channel as it is made, and listed until it is closed', async () => {
    const published: unknown[] = [];
    const onMessage = (message: unknown) => published.push((message as { guard: unknown }).guard);
    subscribe(GUARD_CREATED_CHANNEL, onMessage);
    let g: ResourceGuard;
    try {
      g = guard();
    } finally {
      unsubscribe(GUARD_CREATED_CHANNEL, onMessage);
    }
    expect(published).toEqual([g]);
    expect(liveGuards()).toContain(g);
    await g.close();
    expect(liveGuards()).not.toContain(g);
  });
});
