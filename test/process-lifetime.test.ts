// A guarded stdio server lives exactly as long as a bare one: it exits by itself when the client ends its stdin
// (the SDK client's close() falls back to SIGTERM after 2 s, and a desktop client that goes away leaves a server
// that does not exit running), and nothing the guard starts runs a user's preload.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { StdioClientTransport as StdioClientTransportV2 } from '@modelcontextprotocol/client/stdio';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { getDefaultEnvironment, StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/lifetime-server.mjs', import.meta.url));
const PRELOAD = pathToFileURL(fileURLToPath(new URL('./fixtures/worker-marking-preload.mjs', import.meta.url))).href;

/** Runs a session against the fixture and closes it; returns what the server wrote on stderr. */
async function session(major: 'v1' | 'v2', mode: 'bare' | 'guarded', env?: Record<string, string>): Promise<string> {
  const params = {
    command: process.execPath,
    args: [FIXTURE, major, mode],
    stderr: 'pipe' as const,
    ...(env ? { env } : {}),
  };
  const transport = major === 'v1' ? new StdioClientTransport(params) : new StdioClientTransportV2(params);
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = major === 'v1' ? new Client({ name: 'c', version: '1' }) : new ClientV2({ name: 'c', version: '1' });
  await client.connect(transport as never);
  const echoed = await client.callTool({ name: 'echo', arguments: { message: 'hi' } });
  expect(echoed).toMatchObject({ content: [{ type: 'text', text: 'hi' }] });
  // A bare server would be kept alive by the interval this tool leaks; the guard closes it at the call's end.
  if (mode === 'guarded') {
    expect(await client.callTool({ name: 'leaky' })).toMatchObject({ content: [{ type: 'text', text: 'leaked' }] });
  }
  // close() ends the child's stdin and waits for it to exit; past 2 s it sends SIGTERM, and a process ended by a
  // signal never writes its `exit` line. close() resolves once the child's stdio is closed, stderr read to its end.
  await client.close();
  return stderr;
}

describe.each(['v1', 'v2'] as const)('a stdio server on SDK %s', (major) => {
  it('exits by itself on the end of stdin, bare and guarded alike', async () => {
    expect(await session(major, 'bare')).toContain('exit 0');
    expect(await session(major, 'guarded')).toContain('exit 0');
  });

  it("runs a user's NODE_OPTIONS preload in its main thread only: the guard's watchdog worker does not run it", async () => {
    const env = { ...getDefaultEnvironment(), NODE_OPTIONS: `--import ${PRELOAD}` };
    const stderr = await session(major, 'guarded', env);
    expect(stderr).toContain('preload ran in the main thread');
    expect(stderr).not.toContain('preload ran in a worker');
    expect(stderr).toContain('exit 0');
  });
});

describe('getCallContext() in a server with no guard', () => {
  it('says that no resource guard tracks the call, and how to install one', async () => {
    const fixture = fileURLToPath(new URL('./fixtures/unguarded-server.mjs', import.meta.url));
    const client = new Client({ name: 'c', version: '1' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [fixture], stderr: 'ignore' }));
    try {
      const result = (await client.callTool({ name: 'context' })) as { content: { text: string }[] };
      const message = result.content[0]?.text ?? '';
      expect(message).toMatch(
        /^NO_CALL_CONTEXT: No resource guard tracks this call: is resourceMiddleware\(\) installed\?/,
      );
      expect(message).toMatch(/server\.use\(resourceMiddleware\(\)\)/);
    } finally {
      await client.close();
    }
  });
});
