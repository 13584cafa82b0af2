// `node --import @mcp-resource-guard/sdk-middleware/register server.mjs`: a server whose code knows nothing of the
// guard is guarded, whatever SDK release and module format it uses, configured from the environment; a bad
// configuration stops it before it starts; MCP_RESOURCE_GUARD_DISABLED leaves it alone. Over real stdio, with the
// real SDK client.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import * as nodeModule from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';

const TEST_DIR = fileURLToPath(new URL('.', import.meta.url));
const SERVER = fileURLToPath(new URL('./fixtures/plain-server.mjs', import.meta.url));
const REGISTER = '@mcp-resource-guard/sdk-middleware/register';
const CONFIG = JSON.stringify({
  tools: { slow: { perCall: { maxExecutionTimeMs: 200 } } },
  sampling: { activeMs: 10 },
  watchdog: false,
});

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

type Result = { content?: { type: string; text?: string }[]; isError?: boolean; _meta?: Record<string, unknown> };
const firstText = (r: Result): string => r.content?.[0]?.text ?? '';

async function start(
  variant: string,
  env: Record<string, string>,
  nodeOptions = `--import ${REGISTER}`,
  cwd = TEST_DIR,
) {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [SERVER, variant],
    cwd,
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions, ...env },
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'attach-test', version: '1.0.0' });
  await client.connect(transport);
  closers.push(() => client.close());
  return { client, stderr: () => stderr };
}

const VARIANTS = ['v1-mcp', 'v1-cjs', 'v1-low', 'old-1.17', 'old-1.0', 'old-0.5', 'v2-mcp', 'v2-cjs'] as const;

describe.each(VARIANTS)('--import register, a server built with %s', (variant) => {
  it('is guarded from the environment: its limit holds, its leaks are closed, its results unchanged', async () => {
    const { client, stderr } = await start(variant, { MCP_RESOURCE_GUARD_CONFIG: CONFIG });
    expect(firstText((await client.callTool({ name: 'echo' })) as Result)).toBe('{}');
    const slow = (await client.callTool({ name: 'slow' })) as Result;
    expect(slow.isError).toBe(true);
    expect(slow._meta?.['mcp-resource-guard/error']).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 200 });
    const baseline = Number(firstText((await client.callTool({ name: 'fds' })) as Result));
    expect(firstText((await client.callTool({ name: 'leaky' })) as Result)).toBe('leaked');
    // The file the call left open was closed when it ended.
    expect(Number(firstText((await client.callTool({ name: 'fds' })) as Result))).toBe(baseline);
    expect(stderr()).toContain('"event":"server_guarded"');
  });
});

describe('--import register', () => {
  it('guards a server that guards itself only once: its own guard is left alone', async () => {
    const { client, stderr } = await start('own-guard', { MCP_RESOURCE_GUARD_CONFIG: CONFIG });
    const slow = (await client.callTool({ name: 'slow' })) as Result;
    // Its own guard has no time limit; the attach did not add one.
    expect(firstText(slow)).toBe('woke');
    expect(stderr()).not.toContain('"event":"server_guarded"');
  });

  it('writes the guard’s snapshot on SIGUSR2: to stderr, or to MCP_RESOURCE_GUARD_SNAPSHOT_FILE', async () => {
    const a = await start('v1-mcp', { MCP_RESOURCE_GUARD_CONFIG: CONFIG });
    await a.client.callTool({ name: 'echo' });
    process.kill(Number(firstText((await a.client.callTool({ name: 'pid' })) as Result)), 'SIGUSR2');
    await until(() => a.stderr().includes('"snapshot":{"tools"'), { what: 'the snapshot on stderr' });
    expect(a.stderr()).toMatch(/"echo":\{"calls":1/);
    const file = join(mkdtempSync(join(tmpdir(), 'guard-snapshot-')), 'snapshot.json');
    const b = await start('v1-mcp', { MCP_RESOURCE_GUARD_CONFIG: CONFIG, MCP_RESOURCE_GUARD_SNAPSHOT_FILE: file });
    await b.client.callTool({ name: 'echo' });
    process.kill(Number(firstText((await b.client.callTool({ name: 'pid' })) as Result)), 'SIGUSR2');
    await until(() => existsSync(file), { what: 'the snapshot file' });
    expect(JSON.parse(readFileSync(file, 'utf8')).snapshot.tools.echo.calls).toBe(1);
  });

  it('leaves the server alone with MCP_RESOURCE_GUARD_DISABLED=1', async () => {
    const { client, stderr } = await start('v1-mcp', {
      MCP_RESOURCE_GUARD_CONFIG: CONFIG,
      MCP_RESOURCE_GUARD_DISABLED: '1',
    });
    expect(firstText((await client.callTool({ name: 'slow' })) as Result)).toBe('woke');
    expect(stderr()).toBe('');
  });

  it('stops the process before the server starts on a bad configuration, saying where and why on stderr', () => {
    const bad = JSON.stringify({ limits: { perCall: { maxMemoryMb: -1 } } });
    const run = spawnSync(process.execPath, [SERVER, 'v1-mcp'], {
      cwd: TEST_DIR,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--import ${REGISTER}`, MCP_RESOURCE_GUARD_CONFIG: bad },
      input: '',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain('INVALID_CONFIG');
    expect(run.stderr).toContain('limits.perCall.maxMemoryMb');
  });

  it('reads the configuration from a file named by MCP_RESOURCE_GUARD_CONFIG, and refuses one it cannot read', () => {
    const run = spawnSync(process.execPath, [SERVER, 'v1-mcp'], {
      cwd: TEST_DIR,
      env: {
        PATH: process.env.PATH ?? '',
        NODE_OPTIONS: `--import ${REGISTER}`,
        MCP_RESOURCE_GUARD_CONFIG: '/nonexistent/guard.json',
      },
      input: '',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('/nonexistent/guard.json');
  });

  it('exports metrics for Prometheus when OTEL_METRICS_EXPORTER asks, with OpenTelemetry’s own variables', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const { client, stderr } = await start('v1-mcp', {
      MCP_RESOURCE_GUARD_CONFIG: CONFIG,
      OTEL_METRICS_EXPORTER: 'prometheus',
      OTEL_EXPORTER_PROMETHEUS_PORT: String(port),
    });
    await client.callTool({ name: 'pid' });
    await until(() => stderr().includes('"event":"metrics_exported"'), { what: 'the metrics to be set up' });
    await client.callTool({ name: 'echo' });
    const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(body).toMatch(/mcp_resource_guard_\w+\{[^}]*gen_ai_tool_name="echo"/);
  });

  it('exports metrics over OTLP/HTTP to OTEL_EXPORTER_OTLP_ENDPOINT, and as JSON lines on stderr for console', async () => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('latin1');
      });
      req.on('end', () => {
        received.push(`${req.url} ${body}`);
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise((r) => receiver.close(r)));
    const endpoint = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    const otlp = await start('v1-mcp', {
      MCP_RESOURCE_GUARD_CONFIG: CONFIG,
      OTEL_METRICS_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    await until(() => otlp.stderr().includes('"event":"metrics_exported"'), { what: 'the OTLP metrics set up' });
    await otlp.client.callTool({ name: 'echo' });
    await until(
      () => received.some((r) => r.startsWith('/v1/metrics') && r.includes('mcp.server.operation.duration')),
      {
        what: 'an OTLP export with the guard’s metrics',
      },
    );
    const console = await start('v1-mcp', {
      MCP_RESOURCE_GUARD_CONFIG: CONFIG,
      OTEL_METRICS_EXPORTER: 'console',
      OTEL_METRIC_EXPORT_INTERVAL: '200',
    });
    await until(() => console.stderr().includes('"event":"metrics_exported"'), { what: 'the console metrics set up' });
    await console.client.callTool({ name: 'echo' });
    await until(() => console.stderr().includes('"name":"mcp.server.operation.duration"'), {
      what: 'the metrics on stderr',
    });
  });

  it('says on stderr which packages metrics need when they are not installed; the server runs on', async () => {
    // From a directory with no OpenTelemetry packages, and a middleware with none beside it.
    const register = import.meta
      .resolve('@mcp-resource-guard/sdk-middleware/register')
      .replace(/src\/register\.ts$/, 'dist/register.js');
    const { client, stderr } = await start(
      'v1-mcp',
      { MCP_RESOURCE_GUARD_CONFIG: CONFIG, OTEL_METRICS_EXPORTER: 'prometheus' },
      `--import=${register}`,
      mkdtempSync(join(tmpdir(), 'no-otel-')),
    );
    expect(firstText((await client.callTool({ name: 'echo' })) as Result)).toBe('{}');
    await until(() => stderr().includes('"event":"metrics_unavailable"'), { what: 'the line about metrics' });
    expect(stderr()).toContain(
      'npm install @mcp-resource-guard/otel-exporter @opentelemetry/sdk-metrics @opentelemetry/exporter-prometheus',
    );
  });

  it('says on stderr, once, that an exporter it does not know gives no metrics; the server runs on', async () => {
    const { client, stderr } = await start('v1-mcp', {
      MCP_RESOURCE_GUARD_CONFIG: CONFIG,
      OTEL_METRICS_EXPORTER: 'zipkin',
    });
    expect(firstText((await client.callTool({ name: 'echo' })) as Result)).toBe('{}');
    await until(() => stderr().includes('"event":"metrics_unavailable"'), { what: 'the line about metrics' });
    expect(stderr()).toContain('OTEL_METRICS_EXPORTER=zipkin is not supported');
  });

  it('says on stderr that a server answering on stdio with no SDK server seen (a bundled SDK) runs unguarded', () => {
    // What a server with the SDK bundled into its own code looks like from outside: it answers, no SDK module loads.
    const script = `
      process.stdin.once('data', () => {
        process.stdout.write(JSON.stringify({ jsonrpc: '2.0', id: 0, result: { protocolVersion: '2025-06-18',
          capabilities: {}, serverInfo: { name: 'bundled', version: '1' } } }) + '\\n');
        process.exit(0);
      });
    `;
    const run = spawnSync(process.execPath, ['-e', script], {
      cwd: TEST_DIR,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--import ${REGISTER}` },
      input: '{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}\n',
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stdout).toContain('"serverInfo":{"name":"bundled"');
    expect(run.stderr).toContain('"event":"server_unguarded"');
    expect(run.stderr).toContain('is the SDK bundled');
  });

  it('creates nothing in a process that connects no server (npx, the tools it starts): no handle, no timer', () => {
    const script = `setTimeout(() => process.stderr.write(JSON.stringify(process.getActiveResourcesInfo())), 50);`;
    const run = (nodeOptions: string) =>
      spawnSync(process.execPath, ['-e', script], {
        cwd: TEST_DIR,
        env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions, MCP_RESOURCE_GUARD_CONFIG: CONFIG },
        encoding: 'utf8',
        timeout: 20_000,
      });
    const bare = JSON.parse(run('').stderr) as string[];
    const preloaded = run(`--import ${REGISTER}`);
    expect(preloaded.stdout).toBe('');
    // Where Node lacks module.registerHooks (Node 20), module.register's loader thread has a pipe of its own.
    const loaderThread =
      typeof (nodeModule as { registerHooks?: unknown }).registerHooks === 'function' ? [] : ['PipeWrap'];
    expect((JSON.parse(preloaded.stderr) as string[]).sort()).toEqual([...bare, ...loaderThread].sort());
  });

  it('does nothing in worker threads, where preloads run too', () => {
    const script = `
      import { Worker } from 'node:worker_threads';
      const w = new Worker('process.exit(0)', { eval: true });
      w.on('exit', (code) => process.stdout.write('worker exited ' + code));
    `;
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: TEST_DIR,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: `--import ${REGISTER}` },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.stdout).toBe('worker exited 0');
    expect(run.stderr).toBe('');
  });
});
