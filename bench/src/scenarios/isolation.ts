/**
 * isolation: tools run through `isolated()` (worker threads, a warm pool) against the same handler in-process, both
 * behind the guard, through the real SDK client and server (InMemoryTransport), each task in a child of its own:
 * - latency: sequential calls of a trivial tool, blocks of in-process and isolated calls alternated, the pool warm;
 *   per-call wall time (median, p99) and process CPU (all threads) per call;
 * - coldStart: the first call on a new pool (a worker started, the guard's runtime and the handler module loaded),
 *   and the second;
 * - attribution: calls that keep a known number of bytes of doubles on the worker's JS heap and burn CPU until their
 *   thread's clock has advanced a known time, on a heap settled before each call; the truth (the handler's own
 *   reading of its thread clock, and the bytes it keeps) against the guard's record (`usage.cpuTimeMs`,
 *   `usage.memoryMb`);
 * - throughput: a fixed number of calls in flight for a fixed time, a trivial tool and a CPU-bound one, in-process
 *   and on pools of 1, 2 and 4 workers.
 */

import { type IsolatedTool, isolated } from '@mcp-resource-guard/sdk-middleware';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { CallRecord } from '../core.js';
import { describeEnvironment } from '../environment.js';
import type { MeasuredWorkTruth } from '../isolated-handlers/measured-work.js';
import { connectInMemory, serverFactory } from '../mcp-fixtures.js';
import { REPO_ROOT } from '../results.js';
import { inChildren, runInChildren, type Scenario, TaskRun, withTaskRun } from '../scenario.js';
import { median, mediansOf, percentile, round } from '../stats.js';
import { ClockSteps, threadClockSteps } from '../thread-clock-steps.js';
import { calibrateSpin } from '../work.js';

const NAME = 'isolation';
const MB = 1024 * 1024;

/** The handler modules, built beside this file's directory. */
const handler = (name: string): URL => new URL(`../isolated-handlers/${name}.js`, import.meta.url);

/** A tool callback as the SDK calls it. */
type Callback = (args: Record<string, unknown>, extra: unknown) => unknown;

/**
 * A guarded server with one tool, `work`, whose callback is whichever the task sets (in-process or isolated), and a
 * client connected to it over InMemoryTransport.
 */
async function harness(): Promise<{
  client: Client;
  records: CallRecord[];
  use(callback: Callback): void;
  close(): Promise<void>;
}> {
  let current: Callback = () => ({ content: [] });
  const register = (server: McpServer): void => {
    server.registerTool(
      'work',
      {
        inputSchema: {
          text: z.string().optional(),
          iterations: z.number().optional(),
          settle: z.boolean().optional(),
          cpuMs: z.number().optional(),
          holdMb: z.number().optional(),
        },
      },
      // The isolated callback reads the guard's call from its caller's context: called synchronously here.
      (args, extra) => current(args, extra) as never,
    );
  };
  const factory = await serverFactory('guarded', register, { watchdog: false });
  const records: CallRecord[] = [];
  factory.guard?.on('call', (r) => records.push(r));
  const connection = await connectInMemory(factory.create());
  return {
    client: connection.client,
    records,
    use(callback) {
      current = callback;
    },
    async close() {
      await connection.close();
      await factory.close();
    },
  };
}

/** The in-process callback of a handler module: the same function the workers run. */
async function inProcess(name: string): Promise<Callback> {
  const module = (await import(handler(name).href)) as { default: (args: unknown) => unknown };
  return (args) => module.default(args);
}

const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

// ——— latency ———

const LatencyHeadlines = z.object({
  /** Wall time per call, µs: median and p99 over every call of the variant. */
  inProcessP50Us: z.number(),
  inProcessP99Us: z.number(),
  isolatedP50Us: z.number(),
  isolatedP99Us: z.number(),
  /** Isolated − in-process. */
  addedP50Us: z.number(),
  addedP99Us: z.number(),
  /** Process CPU time (every thread, the worker's included) per call, µs: median over blocks. */
  inProcessCpuUs: z.number(),
  isolatedCpuUs: z.number(),
  addedCpuUs: z.number(),
});
const LatencyChild = LatencyHeadlines.extend({ calls: z.number() });
type LatencyChild = z.infer<typeof LatencyChild>;
const LatencySettings = z.object({ warmupCalls: z.number(), blocks: z.number(), blockCalls: z.number() });
const Latency = inChildren(LatencyHeadlines, LatencyChild, LatencySettings);

async function latencyTask(params: { warmupCalls: number; blocks: number; blockCalls: number }): Promise<LatencyChild> {
  const h = await harness();
  const local = await inProcess('echo');
  const tool = isolated(handler('echo'), { minWorkers: 1, maxWorkers: 1 });
  const variants = { inProcess: local, isolated: tool as Callback };
  const wall: Record<keyof typeof variants, number[]> = { inProcess: [], isolated: [] };
  const cpu: Record<keyof typeof variants, number[]> = { inProcess: [], isolated: [] };
  const args = { text: 'hello' };
  for (const callback of Object.values(variants)) {
    h.use(callback);
    for (let i = 0; i < params.warmupCalls; i++) await h.client.callTool({ name: 'work', arguments: args });
  }
  for (let b = 0; b < params.blocks; b++) {
    // Alternated, each first in turn: drift of the machine's load falls on both.
    const order = b % 2 === 0 ? (['inProcess', 'isolated'] as const) : (['isolated', 'inProcess'] as const);
    for (const variant of order) {
      h.use(variants[variant]);
      const cpuStart = cpuMicros();
      for (let i = 0; i < params.blockCalls; i++) {
        const start = performance.now();
        await h.client.callTool({ name: 'work', arguments: args });
        wall[variant].push((performance.now() - start) * 1000);
      }
      cpu[variant].push((cpuMicros() - cpuStart) / params.blockCalls);
    }
  }
  await tool.close();
  await h.close();
  const p = (values: number[], q: number) => round(percentile(values, q), 4);
  const r = {
    inProcessP50Us: p(wall.inProcess, 50),
    inProcessP99Us: p(wall.inProcess, 99),
    isolatedP50Us: p(wall.isolated, 50),
    isolatedP99Us: p(wall.isolated, 99),
    inProcessCpuUs: round(median(cpu.inProcess), 4),
    isolatedCpuUs: round(median(cpu.isolated), 4),
  };
  return {
    ...r,
    addedP50Us: round(r.isolatedP50Us - r.inProcessP50Us, 4),
    addedP99Us: round(r.isolatedP99Us - r.inProcessP99Us, 4),
    addedCpuUs: round(r.isolatedCpuUs - r.inProcessCpuUs, 4),
    calls: wall.isolated.length,
  };
}

// ——— cold start ———

const ColdStart = z.object({
  /** Wall time of the first call on a new pool, ms: median and largest over the repetitions. */
  firstCallP50Ms: z.number(),
  firstCallMaxMs: z.number(),
  /** The second call on the same pool (its worker warm), ms: median. */
  secondCallP50Ms: z.number(),
  /** Every repetition's first call, ms. */
  firstCallSamplesMs: z.array(z.number()),
  repetitions: z.number(),
});
type ColdStart = z.infer<typeof ColdStart>;

async function coldStartTask(params: { repetitions: number }): Promise<ColdStart> {
  const h = await harness();
  const args = { text: 'hello' };
  // The SDK and the guard warm (an in-process call), so the figure is the pool's.
  h.use(await inProcess('echo'));
  for (let i = 0; i < 20; i++) await h.client.callTool({ name: 'work', arguments: args });
  const first: number[] = [];
  const second: number[] = [];
  for (let r = 0; r < params.repetitions; r++) {
    const tool: IsolatedTool = isolated(handler('echo'), { minWorkers: 1, maxWorkers: 1 });
    h.use(tool as Callback);
    let start = performance.now();
    await h.client.callTool({ name: 'work', arguments: args });
    first.push(performance.now() - start);
    start = performance.now();
    await h.client.callTool({ name: 'work', arguments: args });
    second.push(performance.now() - start);
    await tool.close();
  }
  await h.close();
  return {
    firstCallP50Ms: round(median(first), 4),
    firstCallMaxMs: round(Math.max(...first), 4),
    secondCallP50Ms: round(median(second), 4),
    firstCallSamplesMs: first.map((v) => round(v, 4)),
    repetitions: params.repetitions,
  };
}

// ——— attribution ———

const AttributionCase = z.object({
  /** What each call was asked to do. */
  cpuMs: z.number(),
  holdMb: z.number(),
  calls: z.number(),
  /** (guard − truth) / truth, %: the median over the calls, and the largest |error| of any call. */
  cpuSignedErrorPct: z.number(),
  cpuMaxErrorPct: z.number(),
  /** (Σ guard − Σ truth) / Σ truth over the calls, %: the clock's steps averaged out. */
  cpuTotalErrorPct: z.number(),
  /** guard − truth, ms: the median and the largest |difference|. */
  cpuOffsetMs: z.number(),
  cpuMaxOffsetMs: z.number(),
  /** The same for memory; null for calls that keep nothing (their figure is in `memoryOffsetKib`). */
  memorySignedErrorPct: z.number().nullable(),
  memoryMaxErrorPct: z.number().nullable(),
  /** guard − truth, KiB: the median. */
  memoryOffsetKib: z.number(),
  /** The record's peak memory against the truth, %: the median (null as above). */
  peakMemorySignedErrorPct: z.number().nullable(),
});
type AttributionCase = z.infer<typeof AttributionCase>;
const Attribution = z.object({
  /** Over every case: the largest |error| of any call, and the largest |total error| of a case, %. */
  cpuMaxErrorPct: z.number(),
  cpuMaxTotalErrorPct: z.number(),
  memoryMaxErrorPct: z.number(),
  /** The clock the handlers read their CPU time with, and how it advances on this machine (see below). */
  clock: z.string(),
  clockSteps: ClockSteps,
  cases: z.array(AttributionCase),
});
type Attribution = z.infer<typeof Attribution>;

const ATTRIBUTION_CASES: readonly { cpuMs: number; holdMb: number }[] = [
  { cpuMs: 20, holdMb: 0 },
  { cpuMs: 100, holdMb: 0 },
  { cpuMs: 400, holdMb: 0 },
  { cpuMs: 20, holdMb: 8 },
  { cpuMs: 100, holdMb: 32 },
  { cpuMs: 100, holdMb: 128 },
];

async function attributionTask(params: { repetitions: number }): Promise<Attribution> {
  const h = await harness();
  // Its heap collected by the handler (the child runs with --expose-gc, a V8 flag its workers share, which a
  // worker's own execArgv may not name); the cap well above what a call keeps.
  const tool = isolated(handler('measured-work'), {
    minWorkers: 1,
    maxWorkers: 1,
    execArgv: [],
    resourceLimits: { maxOldGenerationSizeMb: 512 },
  });
  h.use(tool as Callback);
  const measure = async (cpuMs: number, holdMb: number) => {
    await h.client.callTool({ name: 'work', arguments: { settle: true } });
    const result = await h.client.callTool({ name: 'work', arguments: { cpuMs, holdMb } });
    const truth = result.structuredContent as unknown as MeasuredWorkTruth | undefined;
    if (truth === undefined) throw new Error(`the measured call failed: ${JSON.stringify(result).slice(0, 300)}`);
    const record = h.records.at(-1) as CallRecord;
    return { truth, record };
  };
  await measure(10, 4);
  await measure(10, 4);
  let clock = '';
  const cases: AttributionCase[] = [];
  for (const { cpuMs, holdMb } of ATTRIBUTION_CASES) {
    const cpuErrors: number[] = [];
    const cpuOffsets: number[] = [];
    let guardTotal = 0;
    let trueTotal = 0;
    const memoryErrors: number[] = [];
    const memoryOffsets: number[] = [];
    const peakErrors: number[] = [];
    for (let r = 0; r < params.repetitions; r++) {
      const { truth, record } = await measure(cpuMs, holdMb);
      clock = truth.clock;
      cpuErrors.push(((record.usage.cpuTimeMs - truth.cpuMs) / truth.cpuMs) * 100);
      cpuOffsets.push(record.usage.cpuTimeMs - truth.cpuMs);
      guardTotal += record.usage.cpuTimeMs;
      trueTotal += truth.cpuMs;
      const trueMb = truth.heldBytes / MB;
      memoryOffsets.push((record.usage.memoryMb - trueMb) * 1024);
      if (trueMb > 0) {
        memoryErrors.push(((record.usage.memoryMb - trueMb) / trueMb) * 100);
        peakErrors.push(((record.peak.memoryMb - trueMb) / trueMb) * 100);
      }
    }
    const maxAbs = (values: number[]) => round(Math.max(...values.map(Math.abs)), 3);
    cases.push({
      cpuMs,
      holdMb,
      calls: params.repetitions,
      cpuSignedErrorPct: round(median(cpuErrors), 3),
      cpuMaxErrorPct: maxAbs(cpuErrors),
      cpuTotalErrorPct: round(((guardTotal - trueTotal) / trueTotal) * 100, 3),
      cpuOffsetMs: round(median(cpuOffsets), 3),
      cpuMaxOffsetMs: maxAbs(cpuOffsets),
      memorySignedErrorPct: holdMb > 0 ? round(median(memoryErrors), 3) : null,
      memoryMaxErrorPct: holdMb > 0 ? maxAbs(memoryErrors) : null,
      memoryOffsetKib: round(median(memoryOffsets), 3),
      peakMemorySignedErrorPct: holdMb > 0 ? round(median(peakErrors), 3) : null,
    });
  }
  await tool.close();
  await h.close();
  return {
    cpuMaxErrorPct: Math.max(...cases.map((c) => c.cpuMaxErrorPct)),
    cpuMaxTotalErrorPct: Math.max(...cases.map((c) => Math.abs(c.cpuTotalErrorPct))),
    memoryMaxErrorPct: Math.max(...cases.map((c) => c.memoryMaxErrorPct ?? 0)),
    clock,
    clockSteps: threadClockSteps(),
    cases,
  };
}

// ——— throughput ———

const ThroughputRow = z.object({
  workload: z.enum(['echo', 'burn']),
  /** Workers of the pool; null: in-process. */
  workers: z.number().nullable(),
  callsPerSec: z.number(),
  /** Process CPU time (every thread) per call, µs. */
  cpuUsPerCall: z.number(),
  calls: z.number(),
});
type ThroughputRow = z.infer<typeof ThroughputRow>;
const Throughput = z.object({
  inFlight: z.number(),
  durationMs: z.number(),
  /** The burn tool's xorshift steps per call (~1 ms of CPU, calibrated in the runner). */
  burnIterations: z.number(),
  rows: z.array(ThroughputRow),
});
type Throughput = z.infer<typeof Throughput>;

const POOLS = [1, 2, 4] as const;

async function throughputTask(params: {
  inFlight: number;
  warmupMs: number;
  durationMs: number;
  burnIterations: number;
}): Promise<Throughput> {
  const h = await harness();
  const rows: ThroughputRow[] = [];
  const workloads = [
    { workload: 'echo' as const, args: { text: 'hello' } },
    { workload: 'burn' as const, args: { iterations: params.burnIterations } },
  ];
  /** Calls completed in `ms`, `inFlight` at a time, from a start signal on. */
  const drive = async (ms: number, args: Record<string, unknown>): Promise<number> => {
    const end = performance.now() + ms;
    let calls = 0;
    await Promise.all(
      Array.from({ length: params.inFlight }, async () => {
        while (performance.now() < end) {
          await h.client.callTool({ name: 'work', arguments: args });
          calls++;
        }
      }),
    );
    return calls;
  };
  for (const { workload, args } of workloads) {
    for (const workers of [null, ...POOLS]) {
      const tool =
        workers === null ? undefined : isolated(handler(workload), { minWorkers: workers, maxWorkers: workers });
      h.use(tool === undefined ? await inProcess(workload) : (tool as Callback));
      await drive(params.warmupMs, args);
      const cpuStart = cpuMicros();
      const start = performance.now();
      const calls = await drive(params.durationMs, args);
      const seconds = (performance.now() - start) / 1000;
      rows.push({
        workload,
        workers,
        callsPerSec: round(calls / seconds, 4),
        cpuUsPerCall: round((cpuMicros() - cpuStart) / calls, 4),
        calls,
      });
      await tool?.close();
    }
  }
  await h.close();
  return {
    inFlight: params.inFlight,
    durationMs: params.durationMs,
    burnIterations: params.burnIterations,
    rows,
  };
}

// ——— the scenario ———

export const IsolationResult = z.object({
  /** The Node and the commit these figures were measured on (a scenario run alone keeps the file's other runs). */
  node: z.string(),
  commit: z.string().nullable(),
  latency: Latency,
  coldStart: ColdStart.extend(TaskRun.shape),
  attribution: Attribution.extend(TaskRun.shape),
  throughput: Throughput.extend(TaskRun.shape),
});
export type IsolationResult = z.infer<typeof IsolationResult>;

export const isolation: Scenario<IsolationResult> = {
  name: NAME,
  description:
    'Tools run through `isolated()` (worker threads, warm pool) against the same handler in-process, both guarded, through the real SDK (InMemoryTransport): added latency (median, p99) and CPU per call of a trivial tool; the first call on a new pool; CPU and memory figures of isolated calls against a known truth (thread CPU time the handler measured, bytes it keeps); throughput with 8 calls in flight, in-process and pools of 1, 2, 4 workers.',
  result: IsolationResult,
  async run(ctx) {
    const quick = ctx.quick;
    const latencySettings = quick
      ? { warmupCalls: 50, blocks: 4, blockCalls: 25 }
      : { warmupCalls: 300, blocks: 20, blockCalls: 100 };
    const children = await runInChildren(
      ctx,
      quick ? 1 : 3,
      { scenario: NAME, task: 'latency', params: latencySettings },
      LatencyChild,
      {},
      (c) =>
        `latency: in-process p50 ${c.inProcessP50Us} µs, isolated p50 ${c.isolatedP50Us} µs (p99 ${c.isolatedP99Us}), added CPU ${c.addedCpuUs} µs/call`,
    );
    const latency = {
      ...mediansOf(children, LatencyHeadlines.keyof().options, 4),
      rounds: children,
      settings: latencySettings,
      measuredAt: new Date().toISOString(),
    };
    const coldStart = withTaskRun(
      await ctx.runTask({ scenario: NAME, task: 'coldStart', params: { repetitions: quick ? 3 : 15 } }, ColdStart),
    );
    ctx.log(`coldStart: first call p50 ${coldStart.firstCallP50Ms} ms (max ${coldStart.firstCallMaxMs})`);
    const attribution = withTaskRun(
      await ctx.runTask({ scenario: NAME, task: 'attribution', params: { repetitions: quick ? 2 : 12 } }, Attribution, {
        nodeOptions: ['--expose-gc'],
      }),
    );
    ctx.log(`attribution: CPU max error ${attribution.cpuMaxErrorPct} %, memory ${attribution.memoryMaxErrorPct} %`);
    const throughput = withTaskRun(
      await ctx.runTask(
        {
          scenario: NAME,
          task: 'throughput',
          params: {
            inFlight: 8,
            warmupMs: quick ? 100 : 300,
            durationMs: quick ? 300 : 1500,
            burnIterations: calibrateSpin(1),
          },
        },
        Throughput,
      ),
    );
    const environment = describeEnvironment(REPO_ROOT);
    return { node: process.version, commit: environment.commit, latency, coldStart, attribution, throughput };
  },
  summarize(r) {
    const t = (workload: 'echo' | 'burn') =>
      r.throughput.rows
        .filter((row) => row.workload === workload)
        .map((row) => `${row.workers === null ? 'in-process' : `pool ${row.workers}`} ${Math.round(row.callsPerSec)}`)
        .join(', ');
    return [
      `${NAME}.latency: added p50 ${r.latency.addedP50Us} µs, p99 ${r.latency.addedP99Us} µs, CPU ${r.latency.addedCpuUs} µs/call`,
      `${NAME}.coldStart: first call p50 ${r.coldStart.firstCallP50Ms} ms, max ${r.coldStart.firstCallMaxMs} ms`,
      `${NAME}.attribution: largest error CPU ${r.attribution.cpuMaxErrorPct} %, memory ${r.attribution.memoryMaxErrorPct} %`,
      `${NAME}.throughput (calls/s, ${r.throughput.inFlight} in flight): echo ${t('echo')}; burn ${t('burn')}`,
    ];
  },
  async task(request) {
    const p = request.params as Record<string, number>;
    switch (request.task) {
      case 'latency':
        return latencyTask({ warmupCalls: p.warmupCalls!, blocks: p.blocks!, blockCalls: p.blockCalls! });
      case 'coldStart':
        return coldStartTask({ repetitions: p.repetitions! });
      case 'attribution':
        return attributionTask({ repetitions: p.repetitions! });
      case 'throughput':
        return throughputTask({
          inFlight: p.inFlight!,
          warmupMs: p.warmupMs!,
          durationMs: p.durationMs!,
          burnIterations: p.burnIterations!,
        });
      default:
        throw new Error(`${NAME}: no task ${request.task}`);
    }
  },
};
