// The guard on servers built with the SDK releases real servers still ship (1.0.1 in server-memory 2025.8.4, 1.17
// in server-filesystem 2025.8.21, 0.5 in server-sequential-thinking 2025.7.1, 1.24), driven over stdio by the
// current SDK client: answers as the server gives them, leaks closed, time limits enforced.
import { execFileSync } from 'node:child_process';
import { realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';

const FIXTURE = fileURLToPath(new URL('./fixtures/sdk-versions-server.mjs', import.meta.url));
const firstText = (r: unknown) => ((r as { content: { text: string }[] }).content[0] as { text: string }).text;

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

const CASES = [
  ['mcp-sdk-0.5', 'low'],
  ['mcp-sdk-1.0', 'low'],
  ['mcp-sdk-1.17', 'low'],
  ['mcp-sdk-1.17', 'mcp'],
  ['mcp-sdk-1.24', 'low'],
  ['mcp-sdk-1.24', 'mcp'],
] as const;

describe.each(CASES)('a server built with %s (%s-level API)', (sdk, kind) => {
  it('is guarded: answers unchanged, leaks closed, a time limit enforced', async () => {
    let stderr = '';
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [FIXTURE, sdk, kind],
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = new Client({ name: 'c', version: '1.0.0' });
    await client.connect(transport);
    closers.push(() => client.close());
    const inspect = async () =>
      JSON.parse(firstText(await client.callTool({ name: 'inspect' }))) as {
        fds: number;
        snapshot: {
          tools: Record<string, { calls: number; leaks: { calls: number }; outcomes: Record<string, number> }>;
        };
      };
    const before = await inspect();
    if (kind === 'low') {
      expect(firstText(await client.callTool({ name: 'echo', arguments: { a: 1 } }))).toBe('{"a":1}');
    }
    expect(firstText(await client.callTool({ name: 'leaky' }))).toBe('leaked');
    const slow = await client.callTool({ name: 'slow' });
    expect(slow.isError, stderr).toBe(true);
    expect(firstText(slow)).toMatch(/stopped at its time limit of 200 ms/);
    const after = await inspect();
    expect(after.snapshot.tools.leaky?.leaks.calls).toBe(1);
    expect(after.snapshot.tools.slow?.outcomes).toMatchObject({ timeout: 1 });
    expect(after.fds).toBe(before.fds);
  });
});

describe('UNSUPPORTED_SDK', () => {
  it("names the SDK the server's own program resolves, beside the copy the guard resolves", async () => {
    // A server project of its own whose node_modules holds SDK 1.0.1 as @modelcontextprotocol/sdk.
    const dir = await mkdtemp(join(tmpdir(), 'guard-server-project-'));
    closers.push(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'node_modules', '@modelcontextprotocol'), { recursive: true });
    const sdk101 = realpathSync(fileURLToPath(new URL('./node_modules/mcp-sdk-1.0', import.meta.url)));
    await symlink(sdk101, join(dir, 'node_modules', '@modelcontextprotocol', 'sdk'));
    const middleware = pathToFileURL(
      realpathSync(
        fileURLToPath(new URL('./node_modules/@mcp-resource-guard/sdk-middleware/dist/index.js', import.meta.url)),
      ),
    ).href;
    const program = join(dir, 'server.mjs');
    await writeFile(
      program,
      `import { withMiddleware } from ${JSON.stringify(middleware)};\n` +
        `try { withMiddleware({ not: 'a server' }); } catch (e) { process.stdout.write(JSON.stringify({ code: e.code, hint: e.hint })); }\n`,
    );
    const out = JSON.parse(execFileSync(process.execPath, [program], { cwd: tmpdir(), encoding: 'utf8' })) as {
      code: string;
      hint: string;
    };
    expect(out.code).toBe('UNSUPPORTED_SDK');
    expect(out.hint).toMatch(
      /the server's: @modelcontextprotocol\/sdk 1\.0\.1\b[^;]*; this package's: @modelcontextprotocol\/sdk 1\.32\.2/,
    );
  });
});
