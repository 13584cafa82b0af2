// Memory per call through the real SDK: two tools called at once from an SDK client, one holding memory with
// next to no CPU, the other burning CPU and allocating nothing. Each call's memory figure (its peak, in the
// guard's `call` event) is the memory its own code made the heap grow by, not a share of the CPU.
import type { CallRecord } from '@mcp-resource-guard/core';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { settleHeap, sleep } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedInMemory } from './support/guarded-in-memory.js';

const MB = 1024 * 1024;
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

describe('memory per call through the SDK', () => {
  it('charges a call the memory its own code holds, not a share of a CPU-bound neighbour’s', async () => {
    const guard = resourceMiddleware({ sampling: { activeMs: 10 }, watchdog: false });
    const ended: CallRecord[] = [];
    guard.on('call', (e) => ended.push(e));
    const server = withMiddleware(new McpServer({ name: 'memory', version: '1.0.0' }));
    server.use(guard);
    server.registerTool('hold', {}, async () => {
      const held: Buffer[] = [];
      for (let i = 0; i < 8; i++) {
        held.push(Buffer.allocUnsafe(2 * MB)); // 16 MB in all, next to no CPU
        await sleep(15);
      }
      await sleep(40); // a few more samples while it is held
      return text(`held ${held.length * 2} MB`);
    });
    server.registerTool('burn', {}, async () => {
      // Arithmetic on small integers: CPU without allocating, even before the loop is optimised.
      let x = 1;
      for (let i = 0; i < 8; i++) {
        for (let k = 0; k < 3_000_000; k++) x = (x * 31 + k) & 0xfffff;
        await sleep(15);
      }
      return text(`burnt ${x & 1}`);
    });
    const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
    const client = new Client({ name: 'c', version: '1.0.0' });
    await server.connect(serverSide);
    await client.connect(clientSide);
    closers.push(
      () => guard.close(),
      () => server.close(),
      () => client.close(),
    );
    await client.callTool({ name: 'burn' }); // warm-up: both tools' code paths and the SDK's
    await settleHeap();
    ended.length = 0;

    const [held, burnt] = await Promise.all([client.callTool({ name: 'hold' }), client.callTool({ name: 'burn' })]);
    expect(held).toEqual(text('held 16 MB'));
    expect(burnt.isError).not.toBe(true);

    const peak = (tool: string) => ended.find((e) => e.toolName === tool)?.peak.memoryMb;
    expect(peak('hold')).toBeGreaterThan(12);
    expect(peak('burn')).toBeLessThan(2);
  });
});

describe('memory of a call that follows another', () => {
  it('is not reduced by the garbage of an ended call collected while it runs: a call past its limit is stopped', async () => {
    let sink = 0;
    const h = await guardedInMemory(
      { sampling: { activeMs: 10 }, tools: { hold: { perCall: { maxMemoryMb: 150 } } } },
      (s) => {
        // 10 MB of the JS heap (an array of doubles).
        const tenMb = () => new Array<number>((10 * MB) / 8).fill(1.5);
        s.registerTool('garbage', {}, async () => {
          // 80 MB that the call drops when it ends: garbage for the next GC, whoever's code runs then.
          const arrays: number[][] = [];
          for (let i = 0; i < 8; i++) {
            arrays.push(tenMb());
            await sleep(5);
          }
          for (const a of arrays) sink += a[0] ?? 0;
          return text('dropped 80 MB');
        });
        s.registerTool('hold', {}, async ({ signal }) => {
          const held: number[][] = [];
          for (let i = 0; i < 20 && !signal.aborted; i++) {
            held.push(tenMb()); // 200 MB in all
            await sleep(10);
          }
          for (let i = 0; i < 10 && !signal.aborted; i++) await sleep(10); // held through several samples
          return text(`held ${held.length * 10} MB`);
        });
      },
    );
    closers.push(() => h.close());
    const { client } = h;
    await settleHeap();
    expect(await client.callTool({ name: 'garbage' })).toEqual(text('dropped 80 MB'));
    const held = await client.callTool({ name: 'hold' });
    expect(held.isError).toBe(true);
    expect(held._meta?.['mcp-resource-guard/error']).toMatchObject({ resource: 'memoryMb', limitName: 'maxMemoryMb' });
    expect(sink).toBe(12);
  });
});
