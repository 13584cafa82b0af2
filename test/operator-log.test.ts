// What the operator reads without writing code: every leak the guard closes (or leaves running by policy) and every
// call it stops is one structured line on stderr, in pino's JSON format, never on stdout (a stdio server's stdout is
// the protocol). The level is set by the option or by MCP_RESOURCE_GUARD_LOG_LEVEL; `logger: false` is silent; a
// pino logger is used as it is.
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { guardedInMemory } from './support/guarded-in-memory.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/lifetime-server.mjs', import.meta.url));

/** The JSON lines of a stream's text (anything else, such as the fixture's `exit 0`, left out). */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Calls the fixture's leaky tool (it leaves a file and an interval open) over stdio; returns the server's stderr. */
async function leakyCallStderr(env: Record<string, string>, options: object = {}): Promise<string> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [FIXTURE, 'v1', 'guarded', JSON.stringify(options)],
    stderr: 'pipe',
    env: { ...getDefaultEnvironment(), ...env },
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'c', version: '1' });
  // Every byte the server writes on stdout is parsed as JSON-RPC by this client: a log line there would fail it.
  await client.connect(transport);
  expect(await client.callTool({ name: 'leaky' })).toMatchObject({ content: [{ type: 'text', text: 'leaked' }] });
  await client.close();
  return stderr;
}

const closers: (() => Promise<unknown>)[] = [];
const saved = process.env.MCP_RESOURCE_GUARD_LOG_LEVEL;
afterEach(async () => {
  process.env.MCP_RESOURCE_GUARD_LOG_LEVEL = saved;
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

describe('the operator log of a stdio server guarded with the defaults', () => {
  it('writes one pino JSON line on stderr for the leaks it closed', async () => {
    const lines = jsonLines(await leakyCallStderr({}));
    expect(lines).toEqual([
      expect.objectContaining({
        level: 40,
        name: 'mcp-resource-guard',
        pid: expect.any(Number),
        hostname: expect.any(String),
        time: expect.any(Number),
        event: 'leak_closed',
        tool: 'leaky',
        callId: expect.any(String),
        closed: { file: 1, interval: 1 },
        survived: 0,
        msg: 'closed 2 handles the call left open',
      }),
    ]);
  });

  it('follows MCP_RESOURCE_GUARD_LOG_LEVEL, and writes nothing with logger: false', async () => {
    expect(jsonLines(await leakyCallStderr({ MCP_RESOURCE_GUARD_LOG_LEVEL: 'error' }))).toEqual([]);
    expect(jsonLines(await leakyCallStderr({ MCP_RESOURCE_GUARD_LOG_LEVEL: 'debug' }, { logger: false }))).toEqual([]);
    // The option's level wins over the environment's.
    const lines = jsonLines(
      await leakyCallStderr({ MCP_RESOURCE_GUARD_LOG_LEVEL: 'error' }, { logger: { level: 'warn' } }),
    );
    expect(lines.map((l) => l.event)).toEqual(['leak_closed']);
  });

  it('refuses an unknown level in the environment at construction, naming the variable', () => {
    process.env.MCP_RESOURCE_GUARD_LOG_LEVEL = 'loud';
    expect(() => resourceMiddleware()).toThrow(
      expect.objectContaining({
        code: 'INVALID_CONFIG',
        path: 'environment MCP_RESOURCE_GUARD_LOG_LEVEL',
        value: 'loud',
      }),
    );
  });
});

describe('a pino logger given as the logger option', () => {
  it('gets a call stopped at its limit and its cleanup, with the details as fields', async () => {
    const written: Record<string, unknown>[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean)) written.push(JSON.parse(line));
        done();
      },
    });
    const logger = pino({ level: 'info', base: { service: 'files' } }, destination);
    const h = await guardedInMemory({ logger, tools: { slow: { perCall: { maxExecutionTimeMs: 50 } } } }, (s) =>
      s.registerTool('slow', {}, async () => {
        setInterval(() => {}, 1000);
        await sleep(500);
        return { content: [{ type: 'text', text: 'too late' }] };
      }),
    );
    closers.push(() => h.close());
    const answer = await h.client.callTool({ name: 'slow' });
    expect(answer.isError).toBe(true);
    // The cleanup follows the answer.
    await until(() => written.length >= 2, { what: 'two log lines' });
    expect(written).toEqual([
      expect.objectContaining({
        level: 40,
        service: 'files',
        event: 'limit',
        scope: 'call',
        tool: 'slow',
        limitName: 'maxExecutionTimeMs',
        limitLevel: 'cleanup',
        msg: expect.stringMatching(/^a call reached maxExecutionTimeMs \(50 of 50\): stopped$/),
      }),
      expect.objectContaining({
        level: 40,
        event: 'cleanup',
        reason: 'timeout',
        tool: 'slow',
        // The interval it left, and the timer of the sleep it was stopped in.
        closed: { interval: 1, timer: 1 },
        msg: 'closed 2 handles of a call stopped (timeout)',
      }),
    ]);
  });
});
