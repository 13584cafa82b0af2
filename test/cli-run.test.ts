// `mcp-resource-guard run [--config f] -- <command>`: the server runs guarded, stdio passes through untouched,
// the exit status is the server's, and no process is left behind when the client goes away (stdin ends, the
// launcher is signalled, or killed). Over real stdio with the real SDK client, and real processes.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isRunning, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url));
const SERVER = fileURLToPath(new URL('./fixtures/plain-server.mjs', import.meta.url));
const CLI = fileURLToPath(import.meta.resolve('@mcp-resource-guard/sdk-middleware/package.json')).replace(
  /package\.json$/,
  'dist/cli.js',
);
const dir = mkdtempSync(join(tmpdir(), 'guard-cli-'));
const CONFIG_FILE = join(dir, 'guard.json');
writeFileSync(
  CONFIG_FILE,
  JSON.stringify({
    tools: { slow: { perCall: { maxExecutionTimeMs: 200 } } },
    sampling: { activeMs: 10 },
    watchdog: false,
  }),
);
const ENV = { PATH: process.env.PATH ?? '' };

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

type Result = { content?: { type: string; text?: string }[]; isError?: boolean; _meta?: Record<string, unknown> };
const firstText = (r: unknown): string => (r as Result).content?.[0]?.text ?? '';

async function connect(args: string[]) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [CLI, ...args],
    cwd: TEST_DIR,
    env: ENV,
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'cli-test', version: '1.0.0' });
  await client.connect(transport);
  closers.push(() => client.close());
  const launcher = transport.pid as number;
  const server = Number(firstText(await client.callTool({ name: 'pid' })));
  return { client, transport, launcher, server, stderr: () => stderr };
}

describe('mcp-resource-guard run', () => {
  it('runs the server guarded by the --config file; the client sees only its protocol on stdout', async () => {
    const { client, stderr } = await connect([
      'run',
      '--config',
      CONFIG_FILE,
      '--',
      process.execPath,
      SERVER,
      'v1-mcp',
    ]);
    expect(firstText(await client.callTool({ name: 'echo' }))).toBe('{}');
    const slow = (await client.callTool({ name: 'slow' })) as Result;
    expect(slow.isError).toBe(true);
    expect(slow._meta?.['mcp-resource-guard/error']).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 200 });
    expect(stderr()).toContain('"event":"server_guarded"');
  });

  it('leaves no process behind when the client closes stdin', async () => {
    const { client, launcher, server } = await connect(['run', '--', process.execPath, SERVER, 'v1-mcp']);
    await client.close();
    await until(() => !isRunning(launcher) && !isRunning(server), { what: 'the launcher and the server to exit' });
  });

  it('stops the server on SIGTERM, and on the launcher being killed outright', async () => {
    const a = await connect(['run', '--grace-ms', '500', '--', process.execPath, SERVER, 'v1-mcp']);
    process.kill(a.launcher, 'SIGTERM');
    await until(() => !isRunning(a.launcher) && !isRunning(a.server), { what: 'both to exit after SIGTERM' });
    const b = await connect(['run', '--', process.execPath, SERVER, 'v1-mcp']);
    process.kill(b.launcher, 'SIGKILL');
    await until(() => !isRunning(b.server), { what: 'the server to stop without its launcher', timeoutMs: 10_000 });
  });

  it('exits with the server’s status, and passes its stdout and stdin through byte for byte', () => {
    const status = spawnSync(process.execPath, [CLI, 'run', '--', process.execPath, '-e', 'process.exit(3)'], {
      env: ENV,
    });
    expect(status.status).toBe(3);
    const bytes = Buffer.from([0, 255, 10, 13, 0x7b, 0xc3, 0x28]);
    const echo = spawnSync(
      process.execPath,
      [CLI, 'run', '--', process.execPath, '-e', 'process.stdin.pipe(process.stdout)'],
      { env: ENV, input: bytes },
    );
    expect(echo.status).toBe(0);
    expect(Buffer.compare(echo.stdout, bytes)).toBe(0);
  });

  it('refuses a bad configuration before starting anything, and prints the effective one', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ limits: { perCall: { maxMemoryMb: 0 } } }));
    const marker = join(dir, 'started');
    const run = spawnSync(
      process.execPath,
      [
        CLI,
        'run',
        '--config',
        bad,
        '--',
        process.execPath,
        '-e',
        `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`,
      ],
      { env: ENV, encoding: 'utf8' },
    );
    expect(run.status).toBe(78);
    expect(run.stderr).toContain('limits.perCall.maxMemoryMb');
    expect(() => readFileSync(marker)).toThrow();
    const printed = spawnSync(process.execPath, [CLI, 'run', '--config', CONFIG_FILE, '--print-config'], {
      env: ENV,
      encoding: 'utf8',
    });
    expect(printed.status).toBe(0);
    const effective = JSON.parse(printed.stdout) as Record<string, unknown>;
    expect(effective).toMatchObject({ source: CONFIG_FILE, tools: { slow: { perCall: { maxExecutionTimeMs: 200 } } } });
    expect(effective.sampling).toEqual({ activeMs: 10, idleMs: 1000, deactivatedMs: 5000 });
    const help = spawnSync(process.execPath, [CLI, '--help'], { env: ENV, encoding: 'utf8' });
    expect(help.stdout).toContain('mcp-resource-guard run');
  });

  it('answers an unknown command or a missing one with its usage', () => {
    const run = spawnSync(process.execPath, [CLI, 'start'], { env: ENV, encoding: 'utf8' });
    expect(run.status).toBe(64);
    expect(run.stderr).toContain('unknown command');
    const none = spawnSync(process.execPath, [CLI, 'run'], { env: ENV, encoding: 'utf8' });
    expect(none.status).toBe(64);
    expect(none.stderr).toContain('no command to run');
  });
});
