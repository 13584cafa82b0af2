/**
 * sampler: CPU the guard's periodic work costs (its sampling tick, the watchdog's heartbeat and thread),
 * as process CPU time over a fixed wall-clock window: with registered tools and no call, and with 50
 * calls in flight each awaiting one shared timer. A child without the guard does the same for comparison;
 * bare and guarded children alternate.
 */

import * as z from 'zod';
import type { Scenario } from '../scenario.js';
import { median, round, spread } from '../stats.js';

const NAME = 'sampler';
const TOOLS = 10;
const CALLS = 50;
const VARIANTS = ['bare', 'guarded', 'guarded-no-watchdog'] as const;
type SamplerVariant = (typeof VARIANTS)[number];

/** What one child measures, in % of one core. */
const SamplerWindow = z.object({
  /** No call in flight. */
  idleCpuPct: z.number(),
  /** 50 calls in flight. */
  activeCpuPct: z.number(),
  /** A bare child only: one 50 ms interval and nothing else; null in the others. */
  referenceIntervalCpuPct: z.number().nullable(),
});
type SamplerWindow = z.infer<typeof SamplerWindow>;

/** Each child's idle and active figures, by variant, in run order. */
const SamplerSamples = z.object({ idle: z.array(z.number()), active: z.array(z.number()) });

/** Added CPU in % of one core: medians over rounds of the guarded child minus the bare child before it. */
export const SamplerResult = z.object({
  idleCpuPct: z.number(),
  activeCpuPct: z.number(),
  idleCpuPctNoWatchdog: z.number(),
  activeCpuPctNoWatchdog: z.number(),
  /** What one 50 ms interval costs a bare process (median over the bare children). */
  referenceIntervalCpuPct: z.number().nullable(),
  raw: z.object({ bare: SamplerSamples, guarded: SamplerSamples, 'guarded-no-watchdog': SamplerSamples }),
  /** Other load while the children ran: median and max over them; null off Linux. */
  backgroundCores: z.number().nullable(),
  backgroundCoresMax: z.number().nullable(),
  rounds: z.number(),
  settings: z.object({ windowMs: z.number(), warmupMs: z.number(), tools: z.number(), calls: z.number() }),
  measuredAt: z.string(),
});
export type SamplerResult = z.infer<typeof SamplerResult>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Process CPU (user + system, all threads) over a window of `ms`, in % of one core. */
async function cpuOver(ms: number, during: Promise<unknown> | undefined = undefined): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await (during ?? sleep(ms));
  const spent = process.cpuUsage(before);
  return ((spent.user + spent.system) / 1000 / (performance.now() - started)) * 100;
}

export const sampler: Scenario<SamplerResult> = {
  name: NAME,
  description:
    'Process CPU over a fixed window (% of one core) in a child with the guard (default options, 10 registered tools) minus a child without it: idle (no call), and with 50 calls in flight awaiting one shared timer; also with the watchdog off, to split the cost.',
  result: SamplerResult,
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const windowMs = ctx.quick ? 500 : 1500;
    const samples: Record<SamplerVariant, { idle: number[]; active: number[] }> = {
      bare: { idle: [], active: [] },
      guarded: { idle: [], active: [] },
      'guarded-no-watchdog': { idle: [], active: [] },
    };
    const loads: number[] = [];
    const reference: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const variant of VARIANTS) {
        const { result, backgroundCores } = await ctx.runTask(
          { scenario: NAME, task: 'window', params: { variant, windowMs, warmupMs: 1000 } },
          SamplerWindow,
        );
        samples[variant].idle.push(result.idleCpuPct);
        samples[variant].active.push(result.activeCpuPct);
        if (result.referenceIntervalCpuPct !== null) reference.push(result.referenceIntervalCpuPct);
        if (backgroundCores !== null) loads.push(backgroundCores);
      }
      ctx.log(
        `${NAME} round ${r + 1}/${rounds}: idle ${VARIANTS.map((v) => samples[v].idle.at(-1)?.toFixed(3)).join(' / ')} %, ` +
          `active ${VARIANTS.map((v) => samples[v].active.at(-1)?.toFixed(3)).join(' / ')} % (bare / guarded / no watchdog)`,
      );
    }
    // Paired by round: each round's guarded child minus the bare child run just before it.
    const added = (variant: SamplerVariant, phase: 'idle' | 'active'): number[] =>
      samples[variant][phase].map((v, i) => v - (samples.bare[phase][i] ?? 0));
    const r3 = (v: number): number => round(v, 3);
    const rounded = (v: { idle: number[]; active: number[] }) => ({ idle: v.idle.map(r3), active: v.active.map(r3) });
    return {
      idleCpuPct: r3(median(added('guarded', 'idle'))),
      activeCpuPct: r3(median(added('guarded', 'active'))),
      idleCpuPctNoWatchdog: r3(median(added('guarded-no-watchdog', 'idle'))),
      activeCpuPctNoWatchdog: r3(median(added('guarded-no-watchdog', 'active'))),
      referenceIntervalCpuPct: reference.length === 0 ? null : r3(median(reference)),
      raw: {
        bare: rounded(samples.bare),
        guarded: rounded(samples.guarded),
        'guarded-no-watchdog': rounded(samples['guarded-no-watchdog']),
      },
      backgroundCores: loads.length === 0 ? null : spread(loads).p50,
      backgroundCoresMax: loads.length === 0 ? null : Math.max(...loads),
      rounds,
      settings: { windowMs, warmupMs: 1000, tools: TOOLS, calls: CALLS },
      measuredAt: new Date().toISOString(),
    };
  },
  summarize(r) {
    return [
      `${NAME}: idle ${r.idleCpuPct} % of a core, ${CALLS} calls in flight ${r.activeCpuPct} % ` +
        `(watchdog off: ${r.idleCpuPctNoWatchdog} / ${r.activeCpuPctNoWatchdog} %)`,
    ];
  },
  async task(request): Promise<SamplerWindow> {
    const variant = String(request.params.variant) as SamplerVariant;
    const windowMs = Number(request.params.windowMs);
    const warmupMs = Number(request.params.warmupMs);
    let guard: import('../core.js').ResourceGuard | undefined;
    let core: import('../core.js').Core | undefined;
    if (variant !== 'bare') {
      const { loadCore } = await import('../core.js');
      core = await loadCore();
      guard = core.createResourceGuard(variant === 'guarded-no-watchdog' ? { watchdog: false } : {});
      for (let i = 0; i < TOOLS; i++) guard.registerTool(`tool${i}`);
    }
    await sleep(warmupMs);
    const idleCpuPct = await cpuOver(windowMs);
    // 50 calls in flight, all awaiting one timer that fires at the end of the window.
    let release: () => void = () => {};
    const shared = new Promise<void>((resolve) => {
      release = resolve;
    });
    const inFlight: Promise<unknown>[] = [];
    for (let i = 0; i < CALLS; i++) {
      if (guard === undefined || core === undefined) {
        inFlight.push((async () => shared)());
      } else {
        const call = core.tryAdmit(guard, { toolName: 'tool0' }) ?? (await guard.admit({ toolName: 'tool0' }));
        inFlight.push(call.run(() => shared).then(() => call.end('ok')));
      }
    }
    const timer = setTimeout(() => release(), windowMs);
    const activeCpuPct = await cpuOver(windowMs, Promise.all(inFlight));
    clearTimeout(timer);
    await guard?.close();
    // For scale: what one plain 50 ms interval (a timer wake-up 20 times a second) costs on this machine.
    let referenceIntervalCpuPct: number | null = null;
    if (guard === undefined) {
      const interval = setInterval(() => {}, 50);
      referenceIntervalCpuPct = await cpuOver(windowMs);
      clearInterval(interval);
    }
    return { idleCpuPct, activeCpuPct, referenceIntervalCpuPct };
  },
};
