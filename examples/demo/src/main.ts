#!/usr/bin/env node
// The demo: a real MCP server behind the resource guard, driven by real SDK clients over Streamable HTTP,
// through one scenario per capability. It prints the guard's events as they happen, a per-tool report at
// the end, and exits non-zero if any scenario did not behave as specified.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CallRecord, openFdCount } from '@mcp-resource-guard/core';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { InMemoryTaskStore } from '@modelcontextprotocol/sdk/experimental/tasks';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolResultSchema,
  CreateTaskResultSchema,
  ToolListChangedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { createIsolatedDemoTools, registerDemoTaskTools, registerDemoTools } from './demo-tools.js';
import { setupMetrics } from './metrics.js';
import { eventLine, finalReport, taskReport, toolTable } from './report.js';

const HELP = `Usage: demo [--quiet] [--prometheus[=PORT]] [--help]

Runs an MCP server behind the resource guard and drives it through one scenario per capability:
normal calls, leaks of every kind, a CPU hog, a memory hog, a call past its time limit, a burst that gets
throttled, a tool driven past 150 % into emergency deactivation and back, a client cancel, a task stopped at
its memory limit and one cancelled, a session closing with work in flight, a blocked event loop, and tools in
worker threads (a runaway synchronous loop and a memory bomb) stopped while the server answers. Prints the
guard's events as they happen and a report at the end; exits 1 if any scenario did not behave as specified.

  --quiet               print only the scenario results and the report
  --prometheus[=PORT]   also serve the guard's OpenTelemetry metrics for Prometheus on 127.0.0.1:PORT
                        (default 9464), and keep serving for 30 s after the scenarios (Ctrl-C ends it)
  --help                this text

Metrics go to the terminal report by default; with the standard OTEL_EXPORTER_OTLP_ENDPOINT variable set,
they are also exported over OTLP/HTTP.`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const textOf = (r: unknown) => ((r as { content?: { text?: string }[] }).content?.[0]?.text ?? '').slice(0, 110);

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help')) {
    console.log(HELP);
    return 0;
  }
  const quiet = argv.includes('--quiet');
  const promArg = argv.find((a) => a === '--prometheus' || a.startsWith('--prometheus='));
  const prometheusPort = promArg === undefined ? undefined : Number(promArg.split('=')[1] ?? 9464);
  if (
    prometheusPort !== undefined &&
    !(Number.isInteger(prometheusPort) && prometheusPort > 0 && prometheusPort < 65536)
  ) {
    console.error(`--prometheus: not a port: ${promArg}`);
    return 2;
  }
  const dir = await mkdtemp(join(tmpdir(), 'mcp-resource-guard-demo-'));
  const dataFile = join(dir, 'data.txt');
  await writeFile(dataFile, 'x'.repeat(4096));
  const peer: Server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => peer.listen(0, '127.0.0.1', r));
  const peerPort = (peer.address() as { port: number }).port;

  // One guard shared by every session's server.
  const guard = resourceMiddleware({
    limits: { perCall: { maxExecutionTimeMs: 1500 }, perTool: { maxFileHandles: 10 } },
    tools: {
      cpu_hog: { perCall: { maxCpuPercent: 25 } },
      memory_hog: { perCall: { maxMemoryMb: 48 } },
      long_report: { perCall: { maxMemoryMb: 48 } },
      greedy: { perCall: { maxFileHandles: 4 } },
      // Run in worker threads (isolated()): these limits are hard, even for synchronous code.
      runaway_loop: { perCall: { maxExecutionTimeMs: 800 } },
      memory_bomb: { perCall: { maxMemoryMb: 64 } },
    },
    sampling: { activeMs: 25, idleMs: 200, deactivatedMs: 200 },
    throttle: { maxQueue: 2, maxWaitMs: 150, retryAfterMs: 500 },
    emergency: { coolDownMs: 1500 },
    watchdog: { thresholdMs: 200 },
    // The demo prints each event itself, below; a server left to the defaults writes them as pino JSON on stderr.
    logger: false,
  });
  for (const name of ['limit', 'throttle', 'cleanup', 'leak', 'emergency', 'recovery', 'state', 'blocked'] as const) {
    guard.on(name, (event) => {
      const line = eventLine(name, event);
      if (!quiet && line !== undefined) console.log(`  · ${line}`);
    });
  }
  const taskCalls: CallRecord[] = [];
  guard.on('call', (record) => {
    if (record.taskId !== undefined) taskCalls.push(record);
  });
  const metrics = setupMetrics(guard, prometheusPort);
  for (const destination of metrics.destinations) console.log(destination);
  // One pool of worker threads per isolated tool, for every session's server.
  const isolatedTools = createIsolatedDemoTools();
  // Tasks outlive their request: one store for every session's server.
  const taskStore = new InMemoryTaskStore();
  const host = await startHttpHost(() => {
    const server = withMiddleware(
      new McpServer(
        { name: 'demo-server', version: '1.0.0' },
        { capabilities: { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } }, taskStore },
      ),
    );
    server.use(guard);
    registerDemoTools(server, { dataFile, peerPort, isolated: isolatedTools });
    registerDemoTaskTools(server, { dataFile, peerPort, isolated: isolatedTools });
    return server;
  });
  console.log(`MCP server (Streamable HTTP) at ${host.url.href}, behind one resource guard\n`);
  // The guard's own watchdog thread starts asynchronously: let it settle before the baseline.
  await sleep(300);
  const fdsAtStart = openFdCount();

  const client = new Client({ name: 'demo-client', version: '1.0.0' });
  let listChanged = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    listChanged++;
  });
  await client.connect(new StreamableHTTPClientTransport(host.url));

  const results: { scenario: string; ok: boolean; detail: string }[] = [];
  const scenario = async (name: string, run: () => Promise<{ ok: boolean; detail: string }>): Promise<void> => {
    if (!quiet) console.log(`▶ ${name}`);
    let outcome: { ok: boolean; detail: string };
    try {
      outcome = await run();
    } catch (error) {
      outcome = { ok: false, detail: `threw: ${error instanceof Error ? error.message : String(error)}` };
    }
    results.push({ scenario: name, ...outcome });
    console.log(`${outcome.ok ? '✔' : '✘'} ${name}: ${outcome.detail}`);
  };
  const tools = () => guard.snapshot().tools;

  await scenario('a server with no guard in its code, guarded from its command line', async () => {
    // What a desktop client's configuration runs: mcp-resource-guard run [--config guard.json] -- <server command>.
    const config = join(dir, 'guard.json');
    await writeFile(config, JSON.stringify({ tools: { slow: { perCall: { maxExecutionTimeMs: 500 } } } }));
    const cli = fileURLToPath(import.meta.resolve('@mcp-resource-guard/sdk-middleware/package.json')).replace(
      /package\.json$/,
      'dist/cli.js',
    );
    const server = fileURLToPath(new URL('./unmodified-server.js', import.meta.url));
    if (!quiet) console.log(`  $ mcp-resource-guard run --config guard.json -- node unmodified-server.js`);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'run', '--config', config, '--', process.execPath, server],
      env: { PATH: process.env.PATH ?? '', MCP_RESOURCE_GUARD_LOG_LEVEL: 'warn' },
    });
    const stdio = new Client({ name: 'demo-stdio-client', version: '1.0.0' });
    await stdio.connect(transport);
    const hello = await stdio.callTool({ name: 'hello' });
    const started = performance.now();
    const slow = await stdio.callTool({ name: 'slow' });
    const answeredMs = performance.now() - started;
    const launcher = transport.pid;
    await stdio.close();
    await sleep(200);
    const gone = launcher === null || !isAlive(launcher);
    const stopped = slow.isError === true && textOf(slow).includes('time limit');
    return {
      ok: textOf(hello) === 'hello from an unmodified server' && stopped && answeredMs < 2500 && gone,
      detail: `slow answered in ${Math.round(answeredMs)} ms at its 500 ms limit ("${textOf(slow).slice(0, 60)}…"); nothing left running after the client closed`,
    };
  });

  await scenario('normal calls pass through unchanged', async () => {
    const calls = [
      ...Array.from({ length: 5 }, (_, i) => client.callTool({ name: 'echo', arguments: { message: `hello ${i}` } })),
      ...Array.from({ length: 3 }, (_, i) => client.callTool({ name: 'sum', arguments: { values: [i, 2, 3] } })),
      ...Array.from({ length: 4 }, () => client.callTool({ name: 'read_data' })),
      client.callTool({ name: 'flaky' }),
    ];
    const out = await Promise.all(calls);
    const ok = textOf(out[0]) === 'hello 0' && out[12]?.isError === true && tools().echo?.outcomes.ok === 5;
    return {
      ok,
      detail: `13 calls, ${out.filter((r) => r.isError).length} in-band error, results as the tools returned them`,
    };
  });

  await scenario('a tool that leaks every kind of handle', async () => {
    const result = await client.callTool({ name: 'leaky' });
    const leaky = tools().leaky;
    const ok = result.isError !== true && leaky?.leaks.calls === 1 && leaky.cleanups.handlesSurvived === 0;
    return {
      ok,
      detail: `leaked ${JSON.stringify(leaky?.leaks.handles)}; closed ${leaky?.cleanups.handlesClosed} in ${leaky?.cleanups.lastDurationMs.toFixed(1)} ms before the response`,
    };
  });

  await scenario('a CPU hog is stopped at its CPU limit', async () => {
    const result = await client.callTool({ name: 'cpu_hog' });
    const meta = result._meta?.['mcp-resource-guard/error'] as { resource?: string } | undefined;
    return { ok: result.isError === true && meta?.resource === 'cpuPercent', detail: textOf(result) };
  });

  await scenario('a memory hog is stopped at its memory limit', async () => {
    const result = await client.callTool({ name: 'memory_hog' });
    const meta = result._meta?.['mcp-resource-guard/error'] as { resource?: string } | undefined;
    return { ok: result.isError === true && meta?.resource === 'memoryMb', detail: textOf(result) };
  });

  await scenario('a slow tool is answered at its time limit, though it ignores its signal', async () => {
    const started = performance.now();
    const result = await client.callTool({ name: 'slow' });
    const ms = performance.now() - started;
    const meta = result._meta?.['mcp-resource-guard/error'] as { resource?: string } | undefined;
    return {
      ok: result.isError === true && meta?.resource === 'executionTimeMs' && ms < 3000,
      detail: `answered after ${ms.toFixed(0)} ms: ${textOf(result)}`,
    };
  });

  await scenario('a burst of calls is throttled, and other tools are not slowed', async () => {
    // A new call every 40 ms, each holding a file for 600 ms: at 9 files (90 % of the tool's 10) the
    // tool is throttled; later calls wait in its queue (2 places, 150 ms) or are refused at once.
    const burst: Promise<Awaited<ReturnType<typeof client.callTool>>>[] = [];
    for (let i = 0; i < 12; i++) {
      burst.push(client.callTool({ name: 'burst' }));
      await sleep(40);
    }
    const started = performance.now();
    const other = await client.callTool({ name: 'echo', arguments: { message: 'not slowed' } });
    const otherMs = performance.now() - started;
    const out = await Promise.all(burst);
    const refused = out.filter(
      (r) => (r._meta?.['mcp-resource-guard/error'] as { code?: string } | undefined)?.code === 'THROTTLED',
    );
    return {
      ok: refused.length > 0 && out.some((r) => r.isError !== true) && textOf(other) === 'not slowed',
      detail: `${out.length - refused.length} served, ${refused.length} refused with retry-after ${(refused[0]?._meta?.['mcp-resource-guard/error'] as { retryAfterMs?: number } | undefined)?.retryAfterMs} ms; echo meanwhile took ${otherMs.toFixed(1)} ms`,
    };
  });

  await scenario('a tool driven past 150 % is deactivated, then re-enabled after its cool-down', async () => {
    const before = listChanged;
    // 16 files: 160 % of the tool's aggregate (limits.perTool, 10) deactivates it for everyone. (Past its per-call
    // limit alone, 4, only this session would be refused the tool for the cool-down.)
    const result = await client.callTool({ name: 'greedy', arguments: { files: 16 } });
    await sleep(100);
    const listedDuring = (await client.listTools()).tools.some((t) => t.name === 'greedy');
    const stateDuring = tools().greedy?.state;
    for (let i = 0; i < 100 && tools().greedy?.state === 'deactivated'; i++) await sleep(50);
    const listedAfter = (await client.listTools()).tools.some((t) => t.name === 'greedy');
    const probe = await client.callTool({ name: 'greedy', arguments: { files: 1 } });
    const recovery = tools().greedy?.recovery;
    return {
      ok:
        result.isError === true &&
        stateDuring === 'deactivated' &&
        !listedDuring &&
        listedAfter &&
        probe.isError !== true &&
        listChanged >= before + 2 &&
        recovery?.successes === 1,
      detail: `deactivated (list_changed sent, tool unlisted), re-enabled after the cool-down; probe call ${probe.isError ? 'failed' : 'succeeded'}; recovery ${recovery?.successes}/${recovery?.attempts}`,
    };
  });

  await scenario('a client cancel ends the call and cleans it up', async () => {
    const controller = new AbortController();
    const pending = client.callTool({ name: 'wait' }, undefined, { signal: controller.signal });
    await sleep(100);
    controller.abort('the user changed their mind');
    const outcome = await pending.then(
      () => 'answered',
      () => 'cancelled',
    );
    for (let i = 0; i < 50 && (tools().wait?.cleanups.count ?? 0) === 0; i++) await sleep(20);
    const wait = tools().wait;
    return {
      ok: outcome === 'cancelled' && wait?.outcomes.cancelled === 1 && wait.cleanups.handlesSurvived === 0,
      detail: `client saw: ${outcome}; guard recorded outcome cancelled, closed ${wait?.cleanups.handlesClosed} handle`,
    };
  });

  await scenario('a task stopped at its memory limit fails, with the guard’s answer as its result', async () => {
    // The client's task API: the task at once, its status as it goes, then its result.
    const stream = client.experimental.tasks.callToolStream({ name: 'long_report' }, CallToolResultSchema, {
      task: { ttl: 60_000 },
    });
    let taskId = '';
    let result: Awaited<ReturnType<typeof client.callTool>> | undefined;
    for await (const message of stream) {
      if (message.type === 'taskCreated') taskId = message.task.taskId;
      if (message.type === 'result') result = message.result;
    }
    // The stream ends with an error for a failed task; its result says why.
    result ??= await client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    const task = await client.experimental.tasks.getTask(taskId);
    const meta = result?._meta?.['mcp-resource-guard/error'] as { resource?: string } | undefined;
    const record = taskCalls.find((r) => r.taskId === taskId);
    return {
      ok:
        task.status === 'failed' &&
        result?.isError === true &&
        meta?.resource === 'memoryMb' &&
        record?.outcome === 'limit',
      detail: `task ${taskId.slice(0, 8)}… ${task.status}: "${task.statusMessage?.slice(0, 70)}…"; its call ran ${Math.round((record?.endedAt ?? 0) - (record?.startedAt ?? 0))} ms after the task was answered at once`,
    };
  });

  await scenario('a cancelled task’s work is stopped and what it held is closed', async () => {
    const created = await client.request(
      { method: 'tools/call', params: { name: 'long_export' } },
      CreateTaskResultSchema,
      { task: { ttl: 60_000 } },
    );
    const taskId = created.task.taskId;
    await sleep(200);
    const inFlight = guard.snapshot().tasks.some((t) => t.taskId === taskId);
    const cancelled = await client.experimental.tasks.cancelTask(taskId);
    for (let i = 0; i < 50 && (tools().long_export?.cleanups.count ?? 0) === 0; i++) await sleep(20);
    const exporter = tools().long_export;
    return {
      ok:
        inFlight &&
        cancelled.status === 'cancelled' &&
        exporter?.outcomes.cancelled === 1 &&
        exporter.cleanups.handlesClosed === 2 &&
        exporter.cleanups.handlesSurvived === 0,
      detail: `tracked while it ran (snapshot().tasks); tasks/cancel aborted its work, the call ended cancelled and its file and interval were closed`,
    };
  });

  await scenario('a session closing with work in flight is cleaned up', async () => {
    const second = new Client({ name: 'second-client', version: '1.0.0' });
    const transport = new StreamableHTTPClientTransport(host.url);
    await second.connect(transport);
    void second.callTool({ name: 'wait' }).catch(() => {});
    await sleep(100);
    const sessionsBefore = host.sessions;
    await transport.terminateSession();
    await second.close();
    for (let i = 0; i < 50 && (tools().wait?.cleanups.count ?? 0) < 2; i++) await sleep(20);
    return {
      ok:
        sessionsBefore === 2 &&
        host.sessions === 1 &&
        tools().wait?.cleanups.count === 2 &&
        guard.snapshot().inFlight === 0,
      detail: `session terminated (HTTP DELETE); its call ended and ${tools().wait?.cleanups.handlesClosed ?? 0} handles in all were closed`,
    };
  });

  await scenario('a blocked event loop is reported with the call that blocked it', async () => {
    let blocked: { durationMs: number; tool: string | undefined } | undefined;
    const off = guard.on('blocked', (e) => {
      blocked = e;
    });
    await client.callTool({ name: 'block_loop' });
    for (let i = 0; i < 50 && blocked === undefined; i++) await sleep(20);
    off();
    return {
      ok: blocked?.tool === 'block_loop',
      detail: blocked === undefined ? 'not reported' : `blocked ~${blocked.durationMs} ms by ${blocked.tool}`,
    };
  });

  await scenario('isolated tools: a runaway loop and a memory bomb are stopped while the server answers', async () => {
    // Both run in worker threads (isolated()): `while (true) {}` never yields, yet its worker is terminated at the
    // call's time limit; the bomb's heap is capped at its memory limit. Meanwhile the server's own event loop is free.
    const started = performance.now();
    const looping = client.callTool({ name: 'runaway_loop' });
    let loopMs = 0;
    let settled = false;
    void looping.finally(() => {
      loopMs = performance.now() - started;
      settled = true;
    });
    const echoMs: number[] = [];
    let echoed = true;
    while (!settled) {
      const t = performance.now();
      const answer = await client.callTool({ name: 'echo', arguments: { message: 'still answering' } });
      echoMs.push(performance.now() - t);
      echoed &&= textOf(answer) === 'still answering';
      await sleep(50);
    }
    const loop = await looping;
    // The stuck worker was terminated and the pool started another: the tool is ready for its next call.
    const pool = isolatedTools.runawayLoop;
    for (let i = 0; i < 100 && !(pool.workers().size === 1 && pool.workers().idle === 1); i++) await sleep(20);
    const replaced = pool.workers().size === 1 && pool.workers().idle === 1;
    const bomb = await client.callTool({ name: 'memory_bomb' });
    const resource = (r: typeof loop) =>
      (r._meta?.['mcp-resource-guard/error'] as { resource?: string } | undefined)?.resource;
    const slowest = Math.max(...echoMs);
    return {
      ok:
        loop.isError === true &&
        resource(loop) === 'executionTimeMs' &&
        bomb.isError === true &&
        resource(bomb) === 'memoryMb' &&
        replaced &&
        echoed &&
        echoMs.length >= 3 &&
        slowest < 500,
      detail: `the loop stopped at its 800 ms limit (answered after ${Math.round(loopMs)} ms; its worker terminated, the pool replacing it); ${echoMs.length} echo calls answered meanwhile, the slowest in ${slowest.toFixed(1)} ms; the bomb: "${textOf(bomb).slice(0, 60)}…"`,
    };
  });

  await client.close();
  await host.close();
  // The isolated tools' workers end with their pools.
  await isolatedTools.close();
  await new Promise((r) => setTimeout(r, 100));
  const fdsAtEnd = openFdCount();
  await scenario('nothing is left open', async () => ({
    ok: fdsAtEnd !== undefined && fdsAtStart !== undefined && fdsAtEnd <= fdsAtStart && guard.snapshot().inFlight === 0,
    detail: `open descriptors ${fdsAtStart} at start, ${fdsAtEnd} at end; calls in flight ${guard.snapshot().inFlight}; guard internal errors ${guard.snapshot().internalErrors}`,
  }));

  const snapshot = guard.snapshot();
  console.log('\nPer tool:\n');
  console.log(toolTable(snapshot));
  console.log(`\n${taskReport(taskCalls)}`);
  taskStore.cleanup();
  console.log(`\n${finalReport(snapshot, guard.guard.audit())}`);
  if (prometheusPort !== undefined) {
    console.log(`\nServing metrics at http://127.0.0.1:${prometheusPort}/metrics for 30 s (Ctrl-C ends it).`);
    await sleep(30_000);
  }
  await metrics.shutdown();
  await guard.close();
  await new Promise((r) => peer.close(r));
  await rm(dir, { recursive: true, force: true });

  const failed = results.filter((r) => !r.ok);
  if (failed.length > 0) {
    console.error(`\nDEMO FAILED: ${failed.map((f) => f.scenario).join('; ')}`);
    return 1;
  }
  console.log(`\ndemo: all ${results.length} scenarios behaved as specified`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
