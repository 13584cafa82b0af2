/**
 * falsePositiveRate: benign calls through the real middleware and SDK, with limits set so that calls use
 * at most 70 % of each, and realistic noise: allocations (retained and garbage), bursts of 1 to 16 calls in
 * flight, jittered execution time, and FileHandles held up to 70 % of maxFileHandles. A call is a false
 * positive when the guard puts it above warn: a `limit` event at throttle, cleanup or emergency for the call
 * (or for its tool).
 */

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as z from 'zod';
import type { LimitEvent } from '../core.js';
import { connectInMemory } from '../mcp-fixtures.js';
import { prng } from '../prng.js';
import { type Scenario, TaskRun, withTaskRun } from '../scenario.js';
import { percentile, round } from '../stats.js';
import { spin } from '../work.js';

const NAME = 'falsePositiveRate';
const TOOL = 'benign';
const LIMITS = { maxExecutionTimeMs: 200, maxFileHandles: 10, maxMemoryMb: 4 } as const;
/** The guard's default level thresholds (fractions of the limit). */
const THRESHOLDS: Record<string, number> = { warn: 0.75, throttle: 0.9, cleanup: 1, emergency: 1.5 };
/** The most of each limit a call is designed to use. */
const SHARE = 0.7;
const FULL_CALLS = 10_000;
const QUICK_CALLS = 300;
const MB = 1024 * 1024;

/** One benign call's plan. */
interface Plan {
  /** Awaited timer time, in ms, spread over several waits. */
  readonly waitMs: number;
  /** Bytes kept alive for the whole call. */
  readonly retainBytes: number;
  /** Bytes of short-lived garbage. */
  readonly garbageBytes: number;
  /** FileHandles held through the middle of the call. */
  readonly files: number;
  /** Spin iterations (a little CPU). */
  readonly spin: number;
  /** When the client sent the call (performance.now()). */
  readonly sentAt: number;
}

/** Over all calls, the guard's peak of a call against its limit (1 = at the limit). */
const ShareOfLimit = z.object({ p50: z.number(), p99: z.number(), max: z.number() });

/** What the task returns. */
const FalsePositives = z.object({
  /** Calls above warn over all calls. */
  falsePositiveRate: z.number(),
  calls: z.number(),
  /** Calls for which (or for whose tool) a `limit` event reached throttle, cleanup or emergency. */
  aboveWarn: z.number(),
  /** Calls that reached warn and no higher. */
  warns: z.number(),
  /** Of `aboveWarn`, those whose true usage reached the level's threshold. */
  aboveWarnReallyOver: z.number(),
  falsePositiveRateExcludingTrueOverruns: z.number(),
  /** The first ten calls above warn, described. */
  flagged: z.array(z.string()),
  /** Calls answered with an error. */
  refusedOrStopped: z.number(),
  /** By `<limit>:<level>`. */
  aboveWarnByLimit: z.record(z.string(), z.number()),
  toolScopeEventsAboveWarn: z.number(),
  errors: z.number(),
  errorExamples: z.array(z.string()),
  emergencies: z.number(),
  refusedByCode: z.record(z.string(), z.number()),
  /** The guard's first 40 state changes and recoveries. */
  stateChanges: z.array(z.string()),
  orphanedHandlersAtEnd: z.number(),
  /** Time the driver waited on retry-afters. */
  retryAfterWaitedMs: z.number(),
  guardRecordedCalls: z.number(),
  maxInFlight: z.number(),
  limits: z.object({ maxExecutionTimeMs: z.number(), maxFileHandles: z.number(), maxMemoryMb: z.number() }),
  /** The most of each limit a call is designed to use. */
  designedShare: z.number(),
  measuredPeakShareOfLimit: z.object({
    executionTimeMs: ShareOfLimit,
    fileHandles: ShareOfLimit,
    memoryMbAsEstimatedByGuard: ShareOfLimit,
  }),
  /** Wall-clock seconds of the calls. */
  callSeconds: z.number(),
});
type FalsePositives = z.infer<typeof FalsePositives>;

export const FalsePositiveRateResult = FalsePositives.extend(TaskRun.shape);
export type FalsePositiveRateResult = z.infer<typeof FalsePositiveRateResult>;

const sink = { value: 0 };

function textOfResult(result: unknown): string {
  const content = (result as { content?: { text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join(' ');
}
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function benign(plan: Plan, file: string): Promise<number> {
  const retained: Float64Array[] = [];
  const chunk = 64 * 1024;
  for (let b = 0; b < plan.retainBytes; b += chunk)
    retained.push(new Float64Array(Math.min(chunk, plan.retainBytes - b) / 8));
  const waits = 4;
  await sleep(plan.waitMs / waits);
  const handles = [];
  for (let i = 0; i < plan.files; i++) handles.push(await fsp.open(file, 'r'));
  let garbage = 0;
  for (let w = 1; w < waits; w++) {
    // Short-lived objects: work for the scavenger.
    for (let b = 0; b < plan.garbageBytes / (waits - 1); b += 64) garbage += [b, b + 1, b + 2, b + 3].length;
    sink.value ^= spin(plan.spin);
    await sleep(plan.waitMs / waits);
  }
  for (const h of handles) await h.close();
  return retained.length + garbage;
}

export const falsePositiveRate: Scenario<FalsePositiveRateResult> = {
  name: NAME,
  description:
    '10 000 benign calls through the middleware and SDK with per-call limits maxExecutionTimeMs 200, maxFileHandles 10, maxMemoryMb 4; each call keeps at most 70 % of the memory limit alive, holds at most 7 files and waits 1–31 ms, plus noise: up to 0.5 MB of garbage, a little CPU, bursts of 1–16 calls in flight; the guard’s default levels, dwell and hysteresis; sampling.activeMs 10, emergency cool-down 1 s (default 30 s).',
  result: FalsePositiveRateResult,
  async run(ctx) {
    const calls = ctx.quick ? QUICK_CALLS : FULL_CALLS;
    const run = await ctx.runTask({ scenario: NAME, task: 'calls', params: { calls } }, FalsePositives);
    ctx.log(`${NAME}: ${run.result.aboveWarn} of ${run.result.calls} calls above warn (${run.seconds} s)`);
    return withTaskRun(run);
  },
  summarize(r) {
    return [
      `${NAME}: ${r.falsePositiveRate} (${r.aboveWarn} of ${r.calls} calls above warn, ${r.aboveWarnReallyOver} of them really over; ` +
        `${r.warns} warned; by limit ${JSON.stringify(r.aboveWarnByLimit)}; ${r.refusedOrStopped} calls refused or stopped)`,
    ];
  },
  async task(request): Promise<FalsePositives> {
    const total = Number(request.params.calls);
    const { resourceMiddleware, withMiddleware } = await import('@mcp-resource-guard/sdk-middleware');
    const { McpServer } = await import('@modelcontextprotocol/sdk/server/mcp.js');
    const dir = mkdtempSync(join(tmpdir(), 'mcp-resource-guard-fp-'));
    const file = join(dir, 'data.bin');
    writeFileSync(file, Buffer.alloc(4096, 0x61));
    // A short emergency cool-down: one call that really overran (a loaded machine) must not leave the tool
    // deactivated, and every later call refused, for the default 30 s of the run.
    const guard = resourceMiddleware({
      limits: { perCall: LIMITS },
      sampling: { activeMs: 10 },
      emergency: { coolDownMs: 1000 },
      tempRoot: join(dir, 'root'),
    });
    const server = withMiddleware(new McpServer({ name: 'bench-fp', version: '1.0.0' })).use(guard);
    const plans = new Map<number, Plan>();
    const { getCallContext } = await import('@mcp-resource-guard/sdk-middleware');
    // By the guard's call id: the call's plan (its true file count and memory) and its handler's own duration.
    const planOfCall = new Map<string, Plan>();
    const handlerMsOfCall = new Map<string, number>();
    server.registerTool(TOOL, { description: 'benign work', inputSchema: { id: z.number().int() } }, async ({ id }) => {
      const plan = plans.get(id);
      if (plan === undefined) throw new Error(`no plan ${id}`);
      const callId = getCallContext().callId;
      planOfCall.set(callId, plan);
      const started = performance.now();
      const value = await benign(plan, file);
      handlerMsOfCall.set(callId, performance.now() - started);
      return { content: [{ type: 'text', text: `${id}:${value & 0xff}` }] };
    });
    const connection = await connectInMemory(server);

    // Guard-side accounting, by call id: the highest level each call reached, and what triggered it.
    const levelOf = new Map<string, { rank: number; limits: Set<string>; events: LimitEvent[]; elapsed: number[] }>();
    const rank: Record<string, number> = { warn: 0, throttle: 1, cleanup: 2, emergency: 3 };
    const toolLevelEvents: LimitEvent[] = [];
    guard.on('limit', (e) => {
      if (e.level === undefined) return;
      if (e.scope === 'call' && e.callId !== undefined) {
        const entry = levelOf.get(e.callId) ?? { rank: -1, limits: new Set<string>(), events: [], elapsed: [] };
        entry.rank = Math.max(entry.rank, rank[e.level] ?? -1);
        if ((rank[e.level] ?? -1) >= 1) {
          entry.limits.add(`${e.limitName}:${e.level}`);
          entry.events.push(e);
          // The call's age on the client's clock when the guard raised the level.
          const plan = planOfCall.get(e.callId);
          entry.elapsed.push(plan === undefined ? Number.NaN : performance.now() - plan.sentAt);
        }
        levelOf.set(e.callId, entry);
      } else if (e.tool === TOOL) {
        toolLevelEvents.push(e);
      }
    });
    const peaks = { executionTimeMs: [] as number[], fileHandles: [] as number[], memoryMb: [] as number[] };
    let recorded = 0;
    guard.on('call', (r) => {
      recorded++;
      peaks.executionTimeMs.push(r.usage.executionTimeMs);
      peaks.fileHandles.push(r.peak.fileHandles);
      peaks.memoryMb.push(r.peak.memoryMb);
    });

    const random = prng(20_260_101);
    let errors = 0;
    const errorExamples: string[] = [];
    let emergencies = 0;
    guard.on('emergency', () => emergencies++);
    const refusedByCode: Record<string, number> = {};
    const states: string[] = [];
    const t0 = performance.now();
    guard.on('state', (e) => {
      if (states.length < 40)
        states.push(`${((performance.now() - t0) / 1000).toFixed(2)} s ${e.from} -> ${e.to} (${e.reason})`);
    });
    guard.on('recovery', (e) => {
      if (states.length < 40)
        states.push(
          `${((performance.now() - t0) / 1000).toFixed(2)} s recovery ${e.via} ${e.success ? 'ok' : 'failed'}`,
        );
    });
    let issued = 0;
    const started = performance.now();
    let maxInFlight = 0;
    let retryAfterMs = 0;
    let waitedMs = 0;
    while (issued < total) {
      // A burst: 1 to 16 calls in flight at once, each with its own plan.
      const burst = Math.min(total - issued, 1 + Math.floor(random() * 16));
      maxInFlight = Math.max(maxInFlight, burst);
      const batch: Promise<void>[] = [];
      for (let i = 0; i < burst; i++) {
        const id = issued++;
        const u = random();
        plans.set(id, {
          waitMs: 1 + random() * 30,
          // Most calls small, a few near 70 % of the memory limit.
          retainBytes: Math.floor(u * u * SHARE * LIMITS.maxMemoryMb * MB),
          garbageBytes: Math.floor(random() * 0.5 * MB),
          files: Math.floor(random() * (SHARE * LIMITS.maxFileHandles + 1)),
          spin: Math.floor(random() * 200_000),
          sentAt: performance.now(),
        });
        batch.push(
          connection.client.callTool({ name: TOOL, arguments: { id } }).then(
            (result) => {
              plans.delete(id);
              if (result.isError === true) {
                errors++;
                const retry = (result._meta?.['mcp-resource-guard/error'] as { retryAfterMs?: unknown } | undefined)
                  ?.retryAfterMs;
                if (typeof retry === 'number') retryAfterMs = Math.max(retryAfterMs, retry);
                const code = String(
                  (result._meta?.['mcp-resource-guard/error'] as { code?: unknown } | undefined)?.code ??
                    textOfResult(result).slice(0, 60),
                );
                refusedByCode[code] = (refusedByCode[code] ?? 0) + 1;
                if (errorExamples.length < 5) errorExamples.push(JSON.stringify(result.content).slice(0, 200));
              }
            },
            (error: unknown) => {
              plans.delete(id);
              errors++;
              if (errorExamples.length < 5) errorExamples.push(String(error).slice(0, 200));
            },
          ),
        );
      }
      await Promise.all(batch);
      // Refused with a retry-after (throttled, or the tool deactivated after an emergency): a client waits.
      if (retryAfterMs > 0) {
        const wait = Math.min(retryAfterMs, 5000);
        waitedMs += wait;
        retryAfterMs = 0;
        await sleep(wait);
      }
      // A real transport goes through the event loop between calls; an in-memory one need not, and a run
      // of refused calls (all microtasks) would starve the guard's timers.
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    const seconds = (performance.now() - started) / 1000;
    const orphansAtEnd = guard.snapshot().orphanedHandlers;
    await connection.close();
    await guard.close();
    rmSync(dir, { recursive: true, force: true });

    let aboveWarn = 0;
    let warns = 0;
    let trueOverruns = 0;
    const byLimit: Record<string, number> = {};
    const flagged: string[] = [];
    for (const [callId, entry] of levelOf) {
      if (entry.rank >= 1) aboveWarn++;
      else if (entry.rank === 0) warns++;
      for (const limit of entry.limits) byLimit[limit] = (byLimit[limit] ?? 0) + 1;
      if (entry.rank < 1) continue;
      // Was the call really at that level? Execution time: its age on the client's clock when the level was
      // raised; files: the count it held; memory: what it kept alive plus all its garbage (an upper bound).
      const plan = planOfCall.get(callId);
      const handlerMs = handlerMsOfCall.get(callId);
      const justified = entry.events.every((e, i) => {
        const threshold = THRESHOLDS[e.level ?? 'warn'] ?? 0;
        if (e.limitName === 'maxExecutionTimeMs') return (entry.elapsed[i] ?? 0) / e.limit >= threshold;
        if (e.limitName === 'maxFileHandles') return plan !== undefined && plan.files / e.limit >= threshold;
        if (e.limitName === 'maxMemoryMb') {
          return plan !== undefined && (plan.retainBytes + plan.garbageBytes) / MB / e.limit >= threshold;
        }
        return false;
      });
      if (justified) trueOverruns++;
      if (flagged.length < 10) {
        flagged.push(
          `${[...entry.limits].join(', ')} at ${entry.events.map((e) => `${e.usage.toFixed(1)}/${e.limit}`).join(', ')}; ` +
            `true: age ${entry.elapsed.map((a) => a.toFixed(1)).join(', ')} ms (handler ${handlerMs === undefined ? 'never finished' : `${handlerMs.toFixed(1)} ms`}), ` +
            `files ${plan?.files ?? '?'}, kept ${((plan?.retainBytes ?? 0) / MB).toFixed(2)} MB` +
            ` + garbage ${((plan?.garbageBytes ?? 0) / MB).toFixed(2)} MB${justified ? ' (really over)' : ''}`,
        );
      }
    }
    const ratio = (values: number[], limit: number): z.infer<typeof ShareOfLimit> => ({
      p50: round(percentile(values, 50) / limit, 3),
      p99: round(percentile(values, 99) / limit, 3),
      max: round(Math.max(...values) / limit, 3),
    });
    return {
      falsePositiveRate: round(aboveWarn / total, 4),
      calls: total,
      aboveWarn,
      warns,
      aboveWarnReallyOver: trueOverruns,
      falsePositiveRateExcludingTrueOverruns: round((aboveWarn - trueOverruns) / total, 4),
      flagged,
      refusedOrStopped: errors,
      aboveWarnByLimit: byLimit,
      toolScopeEventsAboveWarn: toolLevelEvents.filter((e) => e.level !== 'warn').length,
      errors,
      errorExamples,
      emergencies,
      refusedByCode,
      stateChanges: states,
      orphanedHandlersAtEnd: orphansAtEnd,
      retryAfterWaitedMs: round(waitedMs, 4),
      guardRecordedCalls: recorded,
      maxInFlight,
      limits: LIMITS,
      designedShare: SHARE,
      measuredPeakShareOfLimit: {
        executionTimeMs: ratio(peaks.executionTimeMs, LIMITS.maxExecutionTimeMs),
        fileHandles: ratio(peaks.fileHandles, LIMITS.maxFileHandles),
        memoryMbAsEstimatedByGuard: ratio(peaks.memoryMb, LIMITS.maxMemoryMb),
      },
      callSeconds: round(seconds, 3),
    };
  },
};
