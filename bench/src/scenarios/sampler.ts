/**
 * sampler: CPU the guard's periodic work costs (its sampling tick, the watchdog's heartbeat and thread),
 * as process CPU time over a fixed wall-clock window: with registered tools and no call, and with 50
 * calls in flight each awaiting one shared timer. A child without the guard does the same for comparison;
 * bare and guarded children alternate.
 */

import type { JsonObject, Scenario } from '../scenario.js';
import { median, round, spread } from '../stats.js';

const NAME = 'sampler';
const TOOLS = 10;
const CALLS = 50;
const VARIANTS = ['bare', 'guarded', 'guarded-no-watchdog'] as const;
type SamplerVariant = (typeof VARIANTS)[number];

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Process CPU (user + system, all threads) over a window of `ms`, in % of one core. */
async function cpuOver(ms: number, during: Promise<unknown> | undefined = undefined): Promise<number> {
  const before = process.cpuUsage();
  const started = performance.now();
  await (during ?? sleep(ms));
  const spent = process.cpuUsage(before);
  return ((spent.user + spent.system) / 1000 / (performance.now() - started)) * 100;
}

export const sampler: Scenario = {
  name: NAME,
  description:
    'Process CPU over a fixed window (% of one core) in a child with the guard (default options, 10 registered tools) minus a child without it: idle (no call), and with 50 calls in flight awaiting one shared timer; also with the watchdog off, to split the cost.',
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
        const { result, backgroundCores } = await ctx.runTask({
          scenario: NAME,
          task: 'window',
          params: { variant, windowMs, warmupMs: 1000 },
        });
        samples[variant].idle.push(Number(result.idleCpuPct));
        samples[variant].active.push(Number(result.activeCpuPct));
        if (typeof result.referenceIntervalCpuPct === 'number') reference.push(result.referenceIntervalCpuPct);
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
    return {
      idleCpuPct: r3(median(added('guarded', 'idle'))),
      activeCpuPct: r3(median(added('guarded', 'active'))),
      idleCpuPctNoWatchdog: r3(median(added('guarded-no-watchdog', 'idle'))),
      activeCpuPctNoWatchdog: r3(median(added('guarded-no-watchdog', 'active'))),
      referenceIntervalCpuPct: reference.length === 0 ? null : r3(median(reference)),
      raw: Object.fromEntries(
        VARIANTS.map((v) => [v, { idle: samples[v].idle.map(r3), active: samples[v].active.map(r3) }]),
      ),
      backgroundCores: loads.length === 0 ? null : spread(loads).p50,
      backgroundCoresMax: loads.length === 0 ? null : Math.max(...loads),
      rounds,
      settings: { windowMs, warmupMs: 1000, tools: TOOLS, calls: CALLS },
      measuredAt: new Date().toISOString(),
    };
  },
  summarize(result) {
    const r = result as JsonObject;
    return [
      `${NAME}: idle ${String(r.idleCpuPct)} % of a core, ${CALLS} calls in flight ${String(r.activeCpuPct)} % ` +
        `(watchdog off: ${String(r.idleCpuPctNoWatchdog)} / ${String(r.activeCpuPctNoWatchdog)} %)`,
    ];
  },
  async task(request) {
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
