/**
 * The clients of the floodIsolation scenario, in a process of their own (forked by the scenario's task, which
 * is the server), so that the server's figures are not disturbed by client work. Two roles:
 *
 * - `normal`: `sessions` SDK clients over Streamable HTTP, each calling `lookup` one call at a time with a short
 *   pause between calls; after a warm-up it records every call's latency, and reports when its time is up.
 * - `flood`: one SDK client (one session) keeping `concurrency` calls of `search` in flight, retrying at once
 *   after a refusal, until told to stop; it reports how its calls ended.
 */

import { setMaxListeners } from 'node:events';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { connectHttp } from './mcp-fixtures.js';

/** What the parent sends. */
export type FloodClientCommand =
  | {
      readonly type: 'start';
      readonly role: 'normal';
      readonly url: string;
      readonly sessions: number;
      readonly warmupMs: number;
      readonly durationMs: number;
      readonly pauseMs: number;
    }
  | { readonly type: 'start'; readonly role: 'flood'; readonly url: string; readonly concurrency: number }
  | { readonly type: 'stop' };

/** What the clients report. */
export type FloodClientMessage =
  | { readonly type: 'flooding'; readonly sessionId: string }
  | {
      readonly type: 'normal-done';
      readonly latenciesMs: readonly number[];
      readonly errors: number;
      readonly examples: readonly string[];
      readonly sessionIds: readonly string[];
    }
  | { readonly type: 'flood-done'; readonly outcomes: Readonly<Record<string, number>> }
  | { readonly type: 'error'; readonly message: string };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: FloodClientMessage): void => {
  process.send?.(message);
};

/** How a call ended: `ok`, the guard's error code, or `sdk_error` (e.g. the tool disabled in a cool-down). */
function outcomeOf(result: { isError?: unknown; _meta?: Record<string, unknown> | undefined }): string {
  if (result.isError !== true) return 'ok';
  const code = (result._meta?.['mcp-resource-guard/error'] as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' ? code : 'sdk_error';
}

async function normal(command: Extract<FloodClientCommand, { role: 'normal' }>): Promise<void> {
  const connections = await Promise.all(
    Array.from({ length: command.sessions }, () => connectHttp(new URL(command.url))),
  );
  const latenciesMs: number[] = [];
  const examples: string[] = [];
  let errors = 0;
  const recordFrom = performance.now() + command.warmupMs;
  const end = recordFrom + command.durationMs;
  const loop = async (client: Client): Promise<void> => {
    while (performance.now() < end) {
      const started = performance.now();
      let problem: string | undefined;
      try {
        const result = await client.callTool({ name: 'lookup' });
        if (outcomeOf(result) !== 'ok') problem = JSON.stringify(result).slice(0, 200);
      } catch (error) {
        problem = String(error).slice(0, 200);
      }
      if (started >= recordFrom) {
        latenciesMs.push(performance.now() - started);
        if (problem !== undefined) {
          errors++;
          if (examples.length < 5) examples.push(problem);
        }
      }
      await sleep(command.pauseMs);
    }
  };
  await Promise.all(connections.map((c) => loop(c.client)));
  const sessionIds = connections.map((c) => c.sessionId ?? '');
  for (const c of connections) await c.close();
  send({ type: 'normal-done', latenciesMs, errors, examples, sessionIds });
}

async function flood(command: Extract<FloodClientCommand, { role: 'flood' }>): Promise<void> {
  // The SDK client gives every request's fetch the transport's one AbortSignal, and undici removes its listener
  // only when the request is garbage-collected: a flood of one session passes Node's warning threshold.
  setMaxListeners(0);
  const connection = await connectHttp(new URL(command.url));
  const outcomes: Record<string, number> = {};
  let stopping = false;
  process.on('message', (message: FloodClientCommand) => {
    if (message.type === 'stop') stopping = true;
  });
  let announced = false;
  const loop = async (): Promise<void> => {
    while (!stopping) {
      let outcome: string;
      try {
        outcome = outcomeOf(await connection.client.callTool({ name: 'search' }));
      } catch {
        outcome = 'client_error';
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (!announced) {
        announced = true;
        send({ type: 'flooding', sessionId: connection.sessionId ?? '' });
      }
      if (outcome !== 'ok') await sleep(5);
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, loop));
  await connection.close();
  send({ type: 'flood-done', outcomes });
}

process.once('message', (command: FloodClientCommand) => {
  if (command.type !== 'start') return;
  (command.role === 'normal' ? normal(command) : flood(command)).then(
    () => process.disconnect?.(),
    (error: unknown) => {
      send({ type: 'error', message: String(error) });
      process.disconnect?.();
    },
  );
});
