/**
 * cleanup: how long the guard takes to close what a call left open, from `call.end()` to `await
 * call.settled`, for calls holding 1, 10, 50 and 200 mixed handles opened naturally inside `call.run()`
 * (FileHandles, TCP sockets to the peer process, timers and intervals, and one child process from 10 up),
 * and for a temp dir holding 1000 small files.
 */

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fsp from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGroundTruth, settleTo } from '@mcp-resource-guard/test-support';
import * as z from 'zod';
import { type CallContext, type Core, loadCore, type ResourceGuard } from '../core.js';
import { type Peer, startPeer } from '../peer.js';
import { type Scenario, TaskRun, withTaskRun } from '../scenario.js';
import { percentile, round } from '../stats.js';

const NAME = 'cleanup';
const SIZES = [1, 10, 50, 200] as const;
const FULL_SAMPLES: Record<string, number> = { 1: 100, 10: 60, 50: 100, 200: 30, tempDir: 12 };
const QUICK_SAMPLES: Record<string, number> = { 1: 5, 10: 5, 50: 5, 200: 3, tempDir: 2 };

/** How many handles of each kind a call opens. */
const HandleMix = z.object({ child: z.number(), files: z.number(), sockets: z.number(), timers: z.number() });
type HandleMix = z.infer<typeof HandleMix>;

/** Latency figures over the samples of one size, in ms. */
const Latency = z.object({
  p50Ms: z.number(),
  p99Ms: z.number(),
  maxMs: z.number(),
  meanMs: z.number(),
  samples: z.number(),
});

/** The cleanups of one size of call. */
const CleanupLatency = Latency.extend({
  /** Handles the guard's report says it attempted to close. */
  handles: z.number(),
  /** The cleanup report's own `durationMs`. */
  report: Latency,
  /** By cleanup step (`files`, `network`, `cpu`, `temp`, ...). */
  stepP50Ms: z.record(z.string(), z.number()),
  stepP99Ms: z.record(z.string(), z.number()),
  /** Handles the guard reported as not closed, over all samples. */
  survived: z.number(),
  /** Samples after which ground truth did not return to its baseline within 3 s. */
  groundTruthResidue: z.number(),
  /** Descriptors on `/proc/<pid>/stat` left open by the guard's child sampler, over all samples. */
  samplerCacheFds: z.number(),
});
type CleanupLatency = z.infer<typeof CleanupLatency>;

/** The cleanups of calls holding a mix of handles. */
const HandlesCleanup = CleanupLatency.extend({ mix: HandleMix });
type HandlesCleanup = z.infer<typeof HandlesCleanup>;

/** What the task returns: by number of handles, and for a temp dir of 1000 files. */
const CleanupSizes = z.object({
  handles1: HandlesCleanup,
  handles10: HandlesCleanup,
  handles50: HandlesCleanup,
  handles200: HandlesCleanup,
  tempDir1000: CleanupLatency,
});

export const CleanupResult = CleanupSizes.extend(TaskRun.shape);
export type CleanupResult = z.infer<typeof CleanupResult>;

/** The sizes of call a result has figures for, in order. */
export const CLEANUP_SIZES = [
  'handles1',
  'handles10',
  'handles50',
  'handles200',
  'tempDir1000',
] as const satisfies readonly (keyof CleanupResult)[];

/** How many handles of each kind a call of `n` handles opens. */
export function handleMix(n: number): HandleMix {
  if (n === 1) return { child: 0, files: 1, sockets: 0, timers: 0 };
  const child = 1;
  const files = Math.round(n * 0.4);
  const sockets = Math.round(n * 0.3);
  return { child, files, sockets, timers: n - child - files - sockets };
}

interface Env {
  readonly file: string;
  readonly peer: Peer;
  readonly marker: string;
}

async function openMix(env: Env, n: number): Promise<void> {
  const mix = handleMix(n);
  if (mix.child > 0) {
    const child = spawn('sleep', [env.marker], { stdio: 'ignore' });
    await once(child, 'spawn');
  }
  for (let i = 0; i < mix.files; i++) await fsp.open(env.file, 'r');
  await Promise.all(
    Array.from({ length: mix.sockets }, async () => {
      const socket = net.connect(env.peer.tcpPort, '127.0.0.1');
      await once(socket, 'connect');
    }),
  );
  for (let i = 0; i < mix.timers; i++) {
    if (i % 2 === 0) setTimeout(() => {}, 60_000);
    else setInterval(() => {}, 60_000);
  }
}

async function writeFiles(ctx: CallContext, count: number): Promise<void> {
  const dir = ctx.tempDir();
  const batch = 50;
  for (let i = 0; i < count; i += batch) {
    await Promise.all(
      Array.from({ length: Math.min(batch, count - i) }, (_, j) => fsp.writeFile(join(dir, `f${i + j}.txt`), 'x')),
    );
  }
}

function stats(values: readonly number[]): z.infer<typeof Latency> {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return {
    p50Ms: round(percentile(values, 50), 3),
    p99Ms: round(percentile(values, 99), 3),
    maxMs: round(Math.max(...values), 3),
    meanMs: round(mean, 3),
    samples: values.length,
  };
}

async function measure(
  core: Core,
  guard: ResourceGuard,
  samples: number,
  body: (ctx: CallContext) => Promise<void>,
  groundTruth: { requests: false; dir: string; processMarker: string },
): Promise<CleanupLatency> {
  const measured: number[] = [];
  const reported: number[] = [];
  const steps: Record<string, number[]> = {};
  let handles = 0;
  let survived = 0;
  let residue = 0;
  let samplerCacheFds = 0;
  // One warm-up call, not counted.
  for (let i = -1; i < samples; i++) {
    const baseline = readGroundTruth(groundTruth);
    const call = core.tryAdmit(guard, { toolName: 'cleanup' }) ?? (await guard.admit({ toolName: 'cleanup' }));
    await call.run(() => body(call));
    const started = performance.now();
    call.end('ok');
    const report = await call.settled;
    const elapsed = performance.now() - started;
    const left = await settleTo(baseline, { ...groundTruth, timeoutMs: 3000, stepMs: 5, repeats: 1 });
    if (i < 0) continue;
    if (report === undefined) throw new Error('no cleanup report: the call held nothing');
    measured.push(elapsed);
    reported.push(report.durationMs);
    handles = report.attempted;
    survived += report.survived;
    // Descriptors on /proc/<pid>/stat are the guard's child sampler's cache (pidusage), counted apart.
    const cache = left.items.procStatFds ?? 0;
    samplerCacheFds += cache;
    if (left.total - cache > 0) {
      residue++;
      console.error(`[${NAME}] residue after cleanup: ${JSON.stringify(left.items)}`);
    }
    for (const step of report.steps) {
      const list = steps[step.name] ?? [];
      list.push(step.durationMs);
      steps[step.name] = list;
    }
  }
  const stepMedians: Record<string, number> = {};
  const stepP99: Record<string, number> = {};
  for (const [name, values] of Object.entries(steps)) {
    stepMedians[name] = round(percentile(values, 50), 3);
    stepP99[name] = round(percentile(values, 99), 3);
  }
  return {
    ...stats(measured),
    handles,
    report: stats(reported),
    stepP50Ms: stepMedians,
    stepP99Ms: stepP99,
    survived,
    groundTruthResidue: residue,
    samplerCacheFds,
  };
}

export const cleanup: Scenario<CleanupResult> = {
  name: NAME,
  description:
    'Cleanup latency, `call.end()` to `await call.settled` (and the report’s `durationMs`), for calls holding 1, 10, 50, 200 mixed handles opened in `call.run()` (FileHandles, TCP sockets to a server in another process, timers/intervals, one `sleep` child from 10 up), and a temp dir of 1000 files; default cleanup options (graceMs 200).',
  figures: {
    'cleanup.handles50':
      'Cleanup latency of a call holding 50 mixed handles (target p99 ≤ 5 ms; specification: average < 50 ms).',
  },
  result: CleanupResult,
  async run(ctx) {
    const run = await ctx.runTask(
      { scenario: NAME, task: 'latency', params: { samples: ctx.quick ? QUICK_SAMPLES : FULL_SAMPLES } },
      CleanupSizes,
    );
    ctx.log(`${NAME}: done in ${run.seconds} s`);
    return withTaskRun(run);
  },
  summarize(r) {
    return [
      `${NAME}: ${CLEANUP_SIZES.map((size) => `${size} p50 ${r[size].p50Ms} / p99 ${r[size].p99Ms} ms`).join(', ')}`,
    ];
  },
  async task(request): Promise<z.infer<typeof CleanupSizes>> {
    const samples = request.params.samples as Record<string, number>;
    const core = await loadCore();
    const dir = await fsp.mkdtemp(join(tmpdir(), 'mcp-resource-guard-cleanup-'));
    const tempRoot = join(dir, 'root');
    const file = join(dir, 'data.bin');
    await fsp.writeFile(file, Buffer.alloc(4096, 0x61));
    const peer = await startPeer();
    const env: Env = { file, peer, marker: `29.0${process.pid}3` };
    const guard = core.createResourceGuard({ tempRoot });
    const groundTruth = { requests: false, dir: tempRoot, processMarker: env.marker } as const;
    const logged = <T>(key: string, figures: T): T => {
      console.error(`[${NAME}] ${key}: ${JSON.stringify(figures)}`);
      return figures;
    };
    const handles = async (n: (typeof SIZES)[number]): Promise<HandlesCleanup> =>
      logged(`handles${n}`, {
        mix: handleMix(n),
        ...(await measure(core, guard, samples[n] ?? 10, () => openMix(env, n), groundTruth)),
      });
    try {
      return {
        handles1: await handles(1),
        handles10: await handles(10),
        handles50: await handles(50),
        handles200: await handles(200),
        tempDir1000: logged(
          'tempDir1000',
          await measure(core, guard, samples.tempDir ?? 10, (ctx) => writeFiles(ctx, 1000), groundTruth),
        ),
      };
    } finally {
      await guard.close();
      await peer.close();
      await fsp.rm(dir, { recursive: true, force: true });
    }
  },
};
