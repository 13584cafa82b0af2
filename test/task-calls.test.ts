// Task-augmented tool calls (MCP 2025-11-25 tasks, SDK v1's experimental task runtime) through the real SDK client
// and server: a call whose answer is a task is tracked until the task's terminal status, its work's resources are
// the call's, limits stop it and fail the task through the task store, tasks/cancel and the task's TTL stop and
// clean it up, and a closed session does what it does for ordinary calls.
import { type CallRecord, type CleanupReport, getCallContext, type LeakEvent } from '@mcp-resource-guard/core';
import { type HttpHost, startHttpHost } from '@mcp-resource-guard/example-http-server';
import { instrumentGuard, traceGuard } from '@mcp-resource-guard/otel-exporter';
import {
  type ResourceMiddleware,
  type ResourceMiddlewareOptions,
  resourceMiddleware,
  withMiddleware,
} from '@mcp-resource-guard/sdk-middleware';
import {
  type GroundTruth,
  isRunning,
  LEAKS,
  type LeakEnv,
  leakScratch,
  readGroundTruth,
  settleTo,
  sleep,
  until,
} from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  type CreateTaskRequestHandlerExtra,
  InMemoryTaskStore,
  type TaskRequestHandlerExtra,
} from '@modelcontextprotocol/sdk/experimental/tasks';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { type CallToolResult, CallToolResultSchema, CreateTaskResultSchema } from '@modelcontextprotocol/sdk/types.js';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

const text = (t: string): CallToolResult => ({ content: [{ type: 'text', text: t }] });
const MB = 1024 * 1024;
const ERROR_META = 'mcp-resource-guard/error';

const scratch = leakScratch('task-calls-');
const env: LeakEnv = scratch;
afterAll(() => scratch.remove());

const reading = { requests: false } as const;
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {});
});

/** The work a task tool starts in the background; it ends the task itself through the request's task store. */
type TaskWork = (taskId: string, extra: CreateTaskRequestHandlerExtra) => Promise<void>;

const TASK_CAPABILITIES = { tasks: { list: {}, cancel: {}, requests: { tools: { call: {} } } } };

/** What each harness records of the guard. */
interface Seen {
  readonly calls: CallRecord[];
  readonly cleanups: CleanupReport[];
  readonly leaks: LeakEvent[];
  /** Errors the background work caught (a late write to the task store must not throw at it). */
  readonly workErrors: unknown[];
  /** The reason the work's signal aborted with, by task id. */
  readonly aborted: Map<string, unknown>;
}

function observe(guard: ResourceMiddleware): Seen {
  const seen: Seen = { calls: [], cleanups: [], leaks: [], workErrors: [], aborted: new Map() };
  guard.on('call', (r) => seen.calls.push(r));
  guard.on('cleanup', (r) => seen.cleanups.push(r));
  guard.on('leak', (e) => seen.leaks.push(e));
  return seen;
}

/** A guarded v1 McpServer with a task store, a `ping` tool and the task tools `tools` names. */
function taskServer(
  guard: ResourceMiddleware,
  store: InMemoryTaskStore,
  seen: Seen,
  tools: Record<string, TaskWork>,
): McpServer {
  const server = withMiddleware(
    new McpServer({ name: 'tasks', version: '1.0.0' }, { capabilities: TASK_CAPABILITIES, taskStore: store }),
  );
  server.use(guard);
  server.registerTool('ping', {}, () => text('pong'));
  for (const [name, work] of Object.entries(tools)) {
    server.experimental.tasks.registerToolTask(
      name,
      { execution: { taskSupport: 'required' } },
      {
        createTask: async (extra) => {
          const task = await extra.taskStore.createTask({ ttl: extra.taskRequestedTtl ?? 60_000, pollInterval: 20 });
          extra.signal.addEventListener('abort', () => seen.aborted.set(task.taskId, extra.signal.reason), {
            once: true,
          });
          // The work goes on after the task is answered, in the call's async context.
          void work(task.taskId, extra).catch((error: unknown) => seen.workErrors.push(error));
          return { task };
        },
        getTask: (extra: TaskRequestHandlerExtra) => extra.taskStore.getTask(extra.taskId),
        getTaskResult: async (extra: TaskRequestHandlerExtra) =>
          (await extra.taskStore.getTaskResult(extra.taskId)) as CallToolResult,
      },
    );
  }
  return server;
}

interface Harness {
  readonly client: Client;
  readonly guard: ResourceMiddleware;
  readonly store: InMemoryTaskStore;
  readonly seen: Seen;
  readonly baseline: GroundTruth;
}

const GUARD: ResourceMiddlewareOptions = { sampling: { activeMs: 10, idleMs: 50 }, watchdog: false };

async function baselineAfterWarmUp(client: Client): Promise<GroundTruth> {
  expect(await client.callTool({ name: 'ping' })).toEqual(text('pong'));
  await sleep(100);
  return readGroundTruth(reading);
}

async function inMemory(
  tools: Record<string, TaskWork>,
  options: ResourceMiddlewareOptions = {},
  store = new InMemoryTaskStore(),
): Promise<Harness> {
  const guard = resourceMiddleware({ ...GUARD, ...options });
  const seen = observe(guard);
  const server = taskServer(guard, store, seen, tools);
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);
  closers.push(
    async () => store.cleanup(),
    () => guard.close(),
    () => server.close(),
    () => client.close(),
  );
  return { client, guard, store, seen, baseline: await baselineAfterWarmUp(client) };
}

async function overHttp(
  tools: Record<string, TaskWork>,
  options: ResourceMiddlewareOptions = {},
): Promise<Harness & { host: HttpHost; transport: StreamableHTTPClientTransport }> {
  const guard = resourceMiddleware({ ...GUARD, ...options });
  const seen = observe(guard);
  const store = new InMemoryTaskStore();
  const host = await startHttpHost(() => taskServer(guard, store, seen, tools));
  const client = new Client({ name: 'c', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(host.url);
  await client.connect(transport);
  closers.push(
    async () => store.cleanup(),
    () => guard.close(),
    () => host.close(),
    () => client.close(),
  );
  return { client, guard, store, seen, host, transport, baseline: await baselineAfterWarmUp(client) };
}

/** Calls a task tool with the client's task API and returns the task it created. */
async function startTask(client: Client, name: string, ttl?: number): Promise<string> {
  const created = await client.request(
    { method: 'tools/call', params: { name, arguments: {} } },
    CreateTaskResultSchema,
    { task: ttl === undefined ? {} : { ttl } },
  );
  return created.task.taskId;
}

/** Polls the task until it reaches a terminal status. */
async function terminal(client: Client, taskId: string) {
  let task = await client.experimental.tasks.getTask(taskId);
  while (!['completed', 'failed', 'cancelled'].includes(task.status)) {
    await sleep(10);
    task = await client.experimental.tasks.getTask(taskId);
  }
  return task;
}

async function recordOf(h: Harness, taskId: string): Promise<CallRecord> {
  await until(() => h.seen.calls.some((r) => r.taskId === taskId), { what: `the call record of task ${taskId}` });
  return h.seen.calls.find((r) => r.taskId === taskId) as CallRecord;
}

async function expectServingAndNothingLeft(h: Harness): Promise<void> {
  expect(await h.client.callTool({ name: 'ping' })).toEqual(text('pong'));
  // The store's retention timers are the server's, kept for the tasks' TTL: dropped here, with the tasks.
  h.store.cleanup();
  expect((await settleTo(h.baseline, { ...reading, timeoutMs: 10_000 })).items).toEqual({});
  expect(h.seen.workErrors).toEqual([]);
}

/** Busy-loops `ms` milliseconds. */
function spin(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
}

describe('a task-augmented call', () => {
  it('completing normally: one call from the request to the terminal status, its CPU its own, nothing reported', async () => {
    const h = await inMemory({
      quiet: async (taskId, extra) => {
        for (let i = 0; i < 5; i++) {
          spin(10);
          await sleep(20);
        }
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('done'));
      },
    });
    // The client's streaming task API: the task, its statuses, then its result.
    const stream = h.client.experimental.tasks.callToolStream({ name: 'quiet', arguments: {} }, CallToolResultSchema, {
      task: {},
    });
    let taskId = '';
    const kinds: string[] = [];
    for await (const message of stream) {
      kinds.push(message.type);
      if (message.type === 'taskCreated') {
        taskId = message.task.taskId;
        // Answered with its task at once; the call goes on with the work.
        expect(h.seen.calls.filter((r) => r.toolName === 'quiet')).toEqual([]);
        expect(h.guard.snapshot().tasks).toEqual([
          expect.objectContaining({ taskId, toolName: 'quiet', callId: expect.any(String) }),
        ]);
      }
      if (message.type === 'result') expect(message.result).toMatchObject(text('done'));
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    const record = await recordOf(h, taskId);
    expect(record).toMatchObject({ toolName: 'quiet', outcome: 'ok', leaked: {} });
    expect(record.endedAt - record.startedAt).toBeGreaterThanOrEqual(100);
    // 50 ms of spinning in its background work (less CPU when the machine is busy): the task call's, not nobody's.
    expect(record.usage.cpuTimeMs).toBeGreaterThanOrEqual(20);
    expect(h.seen.leaks).toEqual([]);
    expect(h.seen.cleanups).toEqual([]);
    expect(h.guard.snapshot().tasks).toEqual([]);
    await expectServingAndNothingLeft(h);
  });

  it('leaking every kind in its background work: the leaks are the task call’s, all closed at its end', async () => {
    let childPid = 0;
    const h = await inMemory({
      leaky: async (taskId, extra) => {
        await LEAKS.fileHandle(env);
        await LEAKS.fdSync(env);
        await LEAKS.readStream(env);
        await LEAKS.watcher(env);
        await LEAKS.netServer();
        await LEAKS.udpSocket();
        await LEAKS.timeout();
        await LEAKS.interval();
        childPid = (await LEAKS.spawnStdioIgnored(env)).pid ?? 0;
        await LEAKS.worker();
        await LEAKS.tempFile(env, getCallContext());
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('leaked'));
      },
    });
    const taskId = await startTask(h.client, 'leaky');
    expect(await terminal(h.client, taskId)).toMatchObject({ status: 'completed' });
    const record = await recordOf(h, taskId);
    expect(record.leaked).toEqual({
      file: 3,
      watcher: 1,
      server: 1,
      udp: 1,
      timer: 1,
      interval: 1,
      child_process: 1,
      worker: 1,
    });
    expect(h.seen.leaks).toMatchObject([{ tool: 'leaky', taskId }]);
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the task call' });
    expect(h.seen.cleanups).toMatchObject([{ toolName: 'leaky', taskId, survived: 0 }]);
    expect(isRunning(childPid)).toBe(false);
    expect(
      h.guard.guard
        .audit()
        .filter((e) => e.taskId === taskId)
        .map((e) => e.action),
    ).toEqual(['leak', 'cleanup']);
    expect(await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)).toMatchObject(text('leaked'));
    await expectServingAndNothingLeft(h);
  });

  it('past its memory limit: stopped, the task failed through the store with the guard’s error', async () => {
    const h = await inMemory(
      {
        hog: async (taskId, extra) => {
          const held: number[][] = [];
          for (let i = 0; i < 30 && !extra.signal.aborted; i++) {
            held.push(new Array<number>((10 * MB) / 8).fill(1.5));
            await sleep(10);
          }
          while (!extra.signal.aborted) await sleep(10);
          // A late write after the guard failed the task: ignored, not thrown at the work.
          await extra.taskStore.storeTaskResult(taskId, 'completed', text(`held ${held.length * 10} MB`));
        },
      },
      { tools: { hog: { perCall: { maxMemoryMb: 100 } } } },
    );
    const taskId = await startTask(h.client, 'hog');
    const task = await terminal(h.client, taskId);
    expect(task.status).toBe('failed');
    expect(task.statusMessage).toMatch(/memory/i);
    const result = await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result.isError).toBe(true);
    expect(result._meta?.[ERROR_META]).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      resource: 'memoryMb',
      limitName: 'maxMemoryMb',
    });
    expect(await recordOf(h, taskId)).toMatchObject({ outcome: 'limit', toolName: 'hog' });
    await until(() => h.seen.aborted.has(taskId), { what: 'the work’s signal to abort' });
    await sleep(50); // the work's late write
    await expectServingAndNothingLeft(h);
  });

  it('past its time limit: stopped at its deadline, its interval closed, the task failed', async () => {
    const h = await inMemory(
      {
        slow: async () => {
          await LEAKS.interval();
          await LEAKS.fileHandle(env);
          // Never ends the task itself.
        },
      },
      { tools: { slow: { perCall: { maxExecutionTimeMs: 300 } } } },
    );
    const taskId = await startTask(h.client, 'slow');
    const task = await terminal(h.client, taskId);
    expect(task.status).toBe('failed');
    const result = await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema);
    expect(result._meta?.[ERROR_META]).toMatchObject({ code: 'LIMIT_EXCEEDED', resource: 'executionTimeMs' });
    expect(await recordOf(h, taskId)).toMatchObject({ outcome: 'timeout' });
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the stopped task call' });
    expect(h.seen.cleanups).toMatchObject([
      { reason: 'timeout', taskId, survived: 0, closed: { interval: 1, file: 1 } },
    ]);
    await expectServingAndNothingLeft(h);
  });

  it('cancelled with tasks/cancel: its work’s signal aborts, the call ends cancelled, what it held is closed', async () => {
    const h = await inMemory({
      waits: async (taskId, extra) => {
        await LEAKS.fileHandle(env);
        await LEAKS.interval();
        await new Promise((resolve) => extra.signal.addEventListener('abort', resolve, { once: true }));
        // The tool ending its own task after the cancel: the SDK's store refuses; the guard keeps it from throwing.
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('too late'));
      },
    });
    const taskId = await startTask(h.client, 'waits');
    await sleep(50);
    expect(h.guard.snapshot().inFlight).toBe(1);
    expect(await h.client.experimental.tasks.cancelTask(taskId)).toMatchObject({ status: 'cancelled' });
    const record = await recordOf(h, taskId);
    expect(record).toMatchObject({ outcome: 'cancelled', leaked: { file: 1, interval: 1 } });
    await until(() => h.seen.aborted.has(taskId), { what: 'the work’s signal to abort' });
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the cancelled task call' });
    expect(h.seen.cleanups).toMatchObject([{ taskId, survived: 0 }]);
    expect(await terminal(h.client, taskId)).toMatchObject({ status: 'cancelled' });
    await sleep(50);
    await expectServingAndNothingLeft(h);
  });

  it('outliving its TTL: ended and cleaned up when the task expires', async () => {
    const h = await inMemory({
      forever: async () => {
        await LEAKS.interval();
      },
    });
    const taskId = await startTask(h.client, 'forever', 300);
    expect(h.guard.snapshot().inFlight).toBe(1);
    const record = await recordOf(h, taskId);
    expect(record).toMatchObject({ outcome: 'cancelled', leaked: { interval: 1 } });
    expect(record.endedAt - record.startedAt).toBeGreaterThanOrEqual(290);
    await until(() => h.seen.aborted.has(taskId), { what: 'the work’s signal to abort' });
    expect(String(h.seen.aborted.get(taskId))).toMatch(/TTL|expired/i);
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the expired task call' });
    expect(h.seen.cleanups).toMatchObject([{ taskId, survived: 0 }]);
    await expectServingAndNothingLeft(h);
  });

  it('the task store’s own timers are not the call’s: a completed task is kept for its TTL, then dropped', async () => {
    const h = await inMemory({
      brief: async (taskId, extra) => {
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('brief'));
      },
    });
    const taskId = await startTask(h.client, 'brief', 400);
    expect(await terminal(h.client, taskId)).toMatchObject({ status: 'completed' });
    await recordOf(h, taskId);
    await sleep(100);
    // The call's end closed nothing of the store's: its retention timer still runs.
    expect(h.seen.cleanups).toEqual([]);
    expect(await h.client.experimental.tasks.getTaskResult(taskId, CallToolResultSchema)).toMatchObject(text('brief'));
    await until(async () => (await h.store.getTask(taskId)) === null, {
      what: 'the store to drop the task at its TTL',
    });
    await expectServingAndNothingLeft(h);
  });

  it('with a task store the guard cannot wrap (frozen): run untracked, its work left alone, an internal error counted', async () => {
    let timerFired = false;
    const h = await inMemory(
      {
        works: async (taskId, extra) => {
          // A timer of the work's, due after its task is answered: not the guard's to close here.
          setTimeout(() => {
            timerFired = true;
          }, 100);
          await sleep(150);
          await extra.taskStore.storeTaskResult(taskId, 'completed', text('worked'));
        },
      },
      {},
      Object.freeze(new InMemoryTaskStore()) as InMemoryTaskStore,
    );
    const taskId = await startTask(h.client, 'works');
    expect(await terminal(h.client, taskId)).toMatchObject({ status: 'completed' });
    expect(timerFired).toBe(true);
    expect(h.seen.calls.filter((r) => r.toolName === 'works')).toEqual([]);
    expect(h.seen.cleanups).toEqual([]);
    expect(h.guard.snapshot().internalErrors).toBeGreaterThan(0);
  });

  it('in the metrics like any call, its task id in no attribute', async () => {
    const h = await inMemory({
      brief: async (taskId, extra) => {
        await sleep(30);
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('brief'));
      },
    });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    closers.push(() => meterProvider.shutdown());
    instrumentGuard(h.guard, { meterProvider });
    const taskId = await startTask(h.client, 'brief');
    await recordOf(h, taskId);
    await reader.forceFlush();
    const points = exporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .flatMap((metric) => metric.dataPoints as readonly { attributes: Record<string, unknown> }[]);
    const durations = exporter
      .getMetrics()
      .flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics))
      .find((metric) => metric.descriptor.name === 'mcp.server.operation.duration');
    expect(durations?.dataPoints).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ attributes: expect.objectContaining({ 'gen_ai.tool.name': 'brief' }) }),
      ]),
    );
    const values = points.flatMap((p) => Object.values(p.attributes));
    expect(values.length).toBeGreaterThan(0);
    expect(values).not.toContain(taskId);
    await expectServingAndNothingLeft(h);
  });

  it('traced: one span from the request to the task’s end, with the task id and the work’s usage', async () => {
    const h = await inMemory({
      brief: async (taskId, extra) => {
        spin(20);
        await sleep(100);
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('brief'));
      },
    });
    const exporter = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
    closers.push(() => tracerProvider.shutdown());
    traceGuard(h.guard, { tracerProvider });
    const taskId = await startTask(h.client, 'brief');
    expect(exporter.getFinishedSpans()).toEqual([]);
    await recordOf(h, taskId);
    await until(() => exporter.getFinishedSpans().length > 0, { what: 'the task call’s span to end' });
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('tools/call brief');
    expect(span?.attributes).toMatchObject({
      'mcp_resource_guard.task.id': taskId,
      'mcp_resource_guard.call.outcome': 'ok',
    });
    const seconds = (span?.duration[0] ?? 0) + (span?.duration[1] ?? 0) / 1e9;
    expect(seconds).toBeGreaterThanOrEqual(0.1);
    await expectServingAndNothingLeft(h);
  });

  it('its client disconnecting (a transport without sessions): stopped as cancelled and cleaned up', async () => {
    const h = await inMemory({
      holds: async () => {
        await LEAKS.fileHandle(env);
        await LEAKS.interval();
      },
    });
    const taskId = await startTask(h.client, 'holds');
    await sleep(50);
    await h.client.close();
    const record = await recordOf(h, taskId);
    expect(record).toMatchObject({ outcome: 'cancelled', leaked: { file: 1, interval: 1 } });
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the task call' });
    expect(h.seen.cleanups).toMatchObject([{ taskId, reason: 'cancelled', survived: 0 }]);
    expect(String(h.seen.aborted.get(taskId))).toMatch(/connection closed/);
    h.store.cleanup();
    expect((await settleTo(h.baseline, { ...reading, timeoutMs: 10_000 })).items).toEqual({});
  });

  it('over Streamable HTTP: one completing with a leak, closed; one stopped when its session closes', async () => {
    const h = await overHttp({
      leaky: async (taskId, extra) => {
        await LEAKS.fileHandle(env);
        await sleep(30);
        await extra.taskStore.storeTaskResult(taskId, 'completed', text('leaked'));
      },
      holds: async () => {
        await LEAKS.fileHandle(env);
        await LEAKS.interval();
      },
    });
    const leakyId = await startTask(h.client, 'leaky');
    expect(await terminal(h.client, leakyId)).toMatchObject({ status: 'completed' });
    expect(await recordOf(h, leakyId)).toMatchObject({ outcome: 'ok', leaked: { file: 1 } });
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the completed task call' });
    expect(h.seen.cleanups).toMatchObject([{ taskId: leakyId, reason: 'leak', survived: 0 }]);
    h.seen.cleanups.length = 0;
    const taskId = await startTask(h.client, 'holds');
    await sleep(50);
    expect(h.guard.snapshot().tasks).toMatchObject([{ taskId, sessionId: h.transport.sessionId }]);
    await h.transport.terminateSession();
    const record = await recordOf(h, taskId);
    expect(record).toMatchObject({ outcome: 'cancelled', leaked: { file: 1, interval: 1 } });
    await until(() => h.seen.cleanups.length > 0, { what: 'the cleanup of the task call' });
    expect(h.seen.cleanups).toMatchObject([{ taskId, reason: 'session_closed', survived: 0 }]);
    expect(h.guard.snapshot().tasks).toEqual([]);
  });
});
