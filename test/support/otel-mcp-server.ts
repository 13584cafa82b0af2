// A real MCP server (SDK v1 McpServer) behind resourceMiddleware(), a real Client over InMemoryTransport, and
// tools that use real resources: CPU, FileHandles, time past a limit. Shared by the OpenTelemetry pipeline tests.
import { type CallRecord, type GuardEvents, runShared } from '@mcp-resource-guard/core';
import {
  type ResourceMiddleware,
  type ResourceMiddlewareOptions,
  resourceMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import { LEAKS, leakScratch, sleep, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** Busy-loops `ms` milliseconds on the main thread; returns the iterations. */
function burn(ms: number): number {
  const end = performance.now() + ms;
  let x = 0;
  while (performance.now() < end) x++;
  return x;
}

export interface OtelMcpServer {
  readonly guard: ResourceMiddleware;
  readonly client: Client;
  /** Every `call` record the guard emitted, in order. */
  readonly records: CallRecord[];
  /** Every event of the other kinds, by name. */
  readonly events: { [K in keyof GuardEvents]: GuardEvents[K][] };
  call(name: string, args?: Record<string, unknown>): Promise<{ isError?: boolean; content?: unknown }>;
  close(): Promise<void>;
}

/**
 * The tools:
 * - `echo`: answers at once.
 * - `burn`: busy-loops `ms` milliseconds (CPU time the guard attributes to the call).
 * - `leaky`: opens a FileHandle and leaves it open (a leak the guard closes).
 * - `fails`: answers with `isError: true`.
 * - `slow`: works 1 s (CPU slices between waits the guard cannot stop), ignoring its signal; with its 300 ms
 *   limit it is warned, throttled, stopped at the cleanup level, and its handler working on past 150 % is an
 *   emergency. Levels are sampled (every 10 ms here): each level's band (225, 270, 300 ms) is three samples
 *   wide or more, so that a late sample on a loaded machine does not skip one.
 */
export async function startOtelMcpServer(options: ResourceMiddlewareOptions = {}): Promise<OtelMcpServer> {
  const scratch = leakScratch('otel-mcp-');
  const server = new McpServer({ name: 'otel-pipeline', version: '1.0.0' });
  const guard = resourceMiddleware({
    watchdog: false,
    sampling: { activeMs: 10, idleMs: 100 },
    tools: { slow: { perCall: { maxExecutionTimeMs: 300 } } },
    emergency: { coolDownMs: 120_000 },
    ...options,
  });
  withMiddleware(server).use(guard);
  server.registerTool('echo', { inputSchema: z.object({ message: z.string() }) }, async ({ message }) => text(message));
  server.registerTool('burn', { inputSchema: z.object({ ms: z.number() }) }, async ({ ms }) => text(String(burn(ms))));
  server.registerTool('leaky', {}, async () => {
    await LEAKS.fileHandle(scratch);
    return text('left a file open');
  });
  server.registerTool('fails', {}, async () => ({ ...text('it failed'), isError: true }));
  server.registerTool('slow', {}, async () => {
    // Ignores its signal and works on past its limit: CPU in slices, between waits the guard cannot stop.
    // 1 s: the emergency comes at 450 ms, and a loaded machine may run the sampler late.
    const end = performance.now() + 1000;
    while (performance.now() < end) {
      burn(3);
      await runShared(() => sleep(5));
    }
    return text('too late');
  });

  const records: CallRecord[] = [];
  guard.on('call', (r) => records.push(r));
  const events = {} as OtelMcpServer['events'];
  for (const name of ['limit', 'throttle', 'cleanup', 'leak', 'emergency', 'recovery', 'internalError'] as const) {
    const list: unknown[] = [];
    (events as Record<string, unknown[]>)[name] = list;
    guard.on(name, (e) => list.push(e));
  }

  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'otel-pipeline-client', version: '1.0.0' });
  await server.connect(serverTransport);
  await client.connect(clientTransport);
  return {
    guard,
    client,
    records,
    events,
    call: (name, args) =>
      client.callTool({ name, ...(args === undefined ? {} : { arguments: args }) }) as Promise<{
        isError?: boolean;
        content?: unknown;
      }>,
    async close() {
      await client.close().catch(() => {});
      await server.close().catch(() => {});
      await guard.close();
      scratch.remove();
    },
  };
}

/**
 * Drives the scenario both pipeline tests check: 5 echo, 3 burn (30 ms), 2 leaky, 1 fails, then slow past its
 * limit up to the emergency, and one more slow call, refused while the tool is deactivated.
 */
export async function driveScenario(s: OtelMcpServer): Promise<void> {
  for (let i = 0; i < 5; i++) await s.call('echo', { message: `hello ${i}` });
  for (let i = 0; i < 3; i++) await s.call('burn', { ms: 30 });
  for (let i = 0; i < 2; i++) await s.call('leaky');
  await s.call('fails');
  const slow = await s.call('slow');
  if (slow.isError !== true) throw new Error('slow was not stopped at its limit');
  await until(() => s.events.emergency.length > 0, { what: 'an emergency for slow', intervalMs: 20 });
  const refused = await s.call('slow');
  if (refused.isError !== true) throw new Error('slow was not refused while deactivated');
  // Leak cleanups run after the calls end.
  await until(() => s.events.cleanup.filter((c) => c.reason === 'leak').length >= 2, {
    what: 'two leak cleanups',
    intervalMs: 20,
  });
}
