// Files through the real SDK as tools really use them: the descriptor Node opens inside readFile / writeFile /
// appendFile counts while it is open (a FIFO holds it as long as its other end is not there), and a read stream
// counts once and, read to its end, is not a leak.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { appendFile as appendFileCb, createReadStream, readFile as readFileCb } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getCallContext, type LeakEvent } from '@mcp-resource-guard/core';
import { sleep } from '@mcp-resource-guard/test-support';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { afterEach, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { guardedInMemory } from './support/guarded-in-memory.js';

const SELF = fileURLToPath(import.meta.url);
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });
const handlesNow = () => getCallContext().usage().fileHandles;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

async function setup(register: (server: McpServer) => void) {
  const h = await guardedInMemory({ sampling: { activeMs: 10 } }, register);
  closers.push(() => h.close());
  const leaks: LeakEvent[] = [];
  h.guard.on('leak', (e) => leaks.push(e));
  return { guard: h.guard, client: h.client, leaks };
}

async function fifo(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'guard-fifo-'));
  closers.push(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'pipe');
  execFileSync('mkfifo', [path]);
  return path;
}

describe('descriptors Node opens inside whole-file operations', () => {
  const forms = {
    'fs.promises.readFile': (path: string) => readFile(path, 'utf8'),
    'fs.readFile': (path: string) =>
      new Promise<string>((resolve, reject) =>
        readFileCb(path, { encoding: 'utf8' }, (e, data) => (e ? reject(e) : resolve(data))),
      ),
    'fs.promises.writeFile': (path: string) => writeFile(path, 'hello\n').then(() => 'written'),
    'fs.appendFile': (path: string) =>
      new Promise<string>((resolve, reject) =>
        appendFileCb(path, 'hello\n', (e) => (e ? reject(e) : resolve('written'))),
      ),
  } as const;

  it.each(Object.keys(forms) as (keyof typeof forms)[])('%s: counted while its descriptor is open', async (form) => {
    const path = await fifo();
    const reads = form.includes('read');
    const { client, leaks } = await setup((s) =>
      s.registerTool('op', { inputSchema: { path: z.string() } }, async ({ path }) => {
        const done = forms[form](path);
        await sleep(30); // the open waits for the FIFO's other end
        const during = handlesNow();
        const other = spawn('sh', ['-c', reads ? 'echo hello > "$0"' : 'cat "$0" > /dev/null', path]);
        const exited = once(other, 'exit');
        const result = (await done).trim();
        await exited;
        return text(`${during} ${result} ${handlesNow()}`);
      }),
    );
    expect(await client.callTool({ name: 'op', arguments: { path } })).toEqual(
      text(`1 ${reads ? 'hello' : 'written'} 0`),
    );
    expect(leaks).toEqual([]);
  });
});

describe('read streams', () => {
  it('count as one handle while open, and a stream read to its end is no leak', async () => {
    const { client, leaks, guard } = await setup((s) => {
      s.registerTool('iterate', {}, async () => {
        const stream = createReadStream(SELF);
        await once(stream, 'open');
        const during = handlesNow();
        let bytes = 0;
        for await (const chunk of stream) bytes += (chunk as Buffer).length;
        return text(`${during} ${bytes > 0}`);
      });
      // The answer leaves at 'end', before the stream has closed its descriptor (a turn later).
      s.registerTool('events', {}, async () => {
        const stream = createReadStream(SELF);
        let during = -1;
        let bytes = 0;
        stream.on('data', (chunk) => {
          if (during < 0) during = handlesNow();
          bytes += chunk.length;
        });
        await once(stream, 'end');
        return text(`${during} ${bytes > 0}`);
      });
    });
    for (let i = 0; i < 5; i++) {
      expect(await client.callTool({ name: 'iterate' })).toEqual(text('1 true'));
      expect(await client.callTool({ name: 'events' })).toEqual(text('1 true'));
    }
    expect(leaks).toEqual([]);
    expect(guard.snapshot().tools.events?.leaks.calls).toBe(0);
  });
});
