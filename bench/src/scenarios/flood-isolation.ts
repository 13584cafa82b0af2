/**
 * floodIsolation: one client session floods a tool over Streamable HTTP while four other sessions call another
 * tool at a normal pace, bare and behind the guard (per-session and per-tool limits on file handles, so that the
 * flood is throttled). Measured: the other sessions' latency, p50 / p99 / max, without the flood and under it;
 * their errors and the throttle events that named them (both must be zero); how the flooder's calls ended.
 * The server is the task child; the clients run in processes of their own (flood-client-process.ts).
 */

import { type ChildProcess, fork } from 'node:child_process';
import fsp from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import type { FloodClientCommand, FloodClientMessage } from '../flood-client-process.js';
import { serverFactory } from '../mcp-fixtures.js';
import { JsonObject, type Scenario, type Variant } from '../scenario.js';
import { median, percentile, round } from '../stats.js';

const NAME = 'floodIsolation';
const CLIENT_SCRIPT = fileURLToPath(new URL('../flood-client-process.js', import.meta.url));
const SELF = fileURLToPath(import.meta.url);
/**
 * The runs compared: bare, guarded as configured below (refusals held back for the default 100 ms), and guarded
 * with refusals answered at once (`throttle.refusalDelayMs: 0`), to show what holding them back is worth.
 */
const RUNS = [
  { name: 'bare', variant: 'bare', refusalDelayMs: undefined },
  { name: 'guarded', variant: 'guarded', refusalDelayMs: undefined },
  { name: 'guardedRefusalsAtOnce', variant: 'guarded', refusalDelayMs: 0 },
] as const satisfies readonly { name: string; variant: Variant; refusalDelayMs: number | undefined }[];
type RunName = (typeof RUNS)[number]['name'];
const OTHER_SESSIONS = 4;
const FLOOD_CONCURRENCY = 32;
const PAUSE_MS = 10;
const SEARCH_HOLD_MS = 20;
const SEARCH_CPU_MS = 1;

/** The guard's limits: a session may hold 8 files, a tool 12 (sums over their calls in flight). */
const GUARD_OPTIONS = {
  limits: { perSession: { maxFileHandles: 8 }, perTool: { maxFileHandles: 12 } },
  throttle: { maxQueue: 4, maxWaitMs: 100, retryAfterMs: 50 },
  emergency: { coolDownMs: 200 },
  sampling: { activeMs: 10 },
};

/** The other sessions' calls in one phase (no flood, or under it), on their own clock. Null without calls. */
const PhaseLatency = z.object({
  p50Ms: z.number().nullable(),
  p99Ms: z.number().nullable(),
  maxMs: z.number().nullable(),
  calls: z.number(),
  errors: z.number(),
});
export type PhaseLatency = z.infer<typeof PhaseLatency>;

/** What one server child returns. */
const FloodServe = z.object({
  quiet: PhaseLatency.extend({ examples: z.array(z.string()) }),
  flood: PhaseLatency.extend({ examples: z.array(z.string()) }),
  /** The flooder's calls by outcome (`ok` or the guard's error code). */
  flooder: z.record(z.string(), z.number()),
  /** Throttle events of the guard that named one of the other sessions or their tool. */
  throttleEventsNamingOthers: z.number(),
  throttleEventsNamingFlooder: z.number(),
});
type FloodServe = z.infer<typeof FloodServe>;

/** One variant over its children: medians of the latencies, sums of the counts. */
const FloodVariant = z.object({
  quiet: PhaseLatency,
  flood: PhaseLatency,
  flooder: z.record(z.string(), z.number()),
  rounds: z.number(),
});
type FloodVariant = z.infer<typeof FloodVariant>;

export const FloodIsolationResult = z.object({
  bare: FloodVariant,
  guarded: FloodVariant,
  /** Absent from results files from before the variant existed. */
  guardedRefusalsAtOnce: FloodVariant.optional(),
  /** Throttle events that named one of the other sessions or their tool, over every child. */
  othersThrottled: z.number(),
  /** Median over the children; null off Linux. */
  backgroundCores: z.number().nullable(),
  settings: z.object({
    phaseMs: z.number(),
    otherSessions: z.number(),
    pauseMs: z.number(),
    floodConcurrency: z.number(),
    searchHoldMs: z.number(),
    searchCpuMs: z.number(),
    guard: JsonObject,
  }),
  rounds: z.number(),
  measuredAt: z.string(),
});
export type FloodIsolationResult = z.infer<typeof FloodIsolationResult>;

function registerTools(server: McpServer): void {
  // What the other sessions call: a small read.
  server.registerTool('lookup', {}, async () => {
    const file = await fsp.open(SELF, 'r');
    await file.read(Buffer.alloc(256), 0, 256, 0);
    await file.close();
    return { content: [{ type: 'text', text: 'ok' }] };
  });
  // What the flooder calls: holds a file for a while and burns a little CPU.
  server.registerTool('search', {}, async () => {
    const file = await fsp.open(SELF, 'r');
    const until = performance.now() + SEARCH_CPU_MS;
    while (performance.now() < until) {
      // busy: the flood competes for the event loop
    }
    await new Promise((resolve) => setTimeout(resolve, SEARCH_HOLD_MS));
    await file.close();
    return { content: [{ type: 'text', text: 'found' }] };
  });
}

/** Forks a client process with `command`; resolves with its reports (the last is its result). */
function startClients(command: FloodClientCommand): {
  child: ChildProcess;
  next: (type: FloodClientMessage['type']) => Promise<FloodClientMessage>;
} {
  const child = fork(CLIENT_SCRIPT, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const messages: FloodClientMessage[] = [];
  const waiters: (() => void)[] = [];
  child.on('message', (message: FloodClientMessage) => {
    messages.push(message);
    for (const wake of waiters.splice(0)) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.send(command);
  const next = async (type: FloodClientMessage['type']): Promise<FloodClientMessage> => {
    for (;;) {
      const found = messages.find((m) => m.type === type || m.type === 'error');
      if (found !== undefined) {
        if (found.type === 'error') throw new Error(`flood clients failed: ${found.message}`);
        return found;
      }
      const woke = await Promise.race([
        exited.then(() => 'exit' as const),
        new Promise<'message'>((resolve) => waiters.push(() => resolve('message'))),
      ]);
      if (woke === 'exit' && !messages.some((m) => m.type === type)) {
        throw new Error(`the ${command.type === 'start' ? command.role : ''} clients exited before "${type}"`);
      }
    }
  };
  return { child, next };
}

function latencyFigures(done: Extract<FloodClientMessage, { type: 'normal-done' }>): FloodServe['quiet'] {
  const l = done.latenciesMs;
  return {
    calls: l.length,
    errors: done.errors,
    p50Ms: l.length === 0 ? null : round(percentile(l, 50), 4),
    p99Ms: l.length === 0 ? null : round(percentile(l, 99), 4),
    maxMs: l.length === 0 ? null : round(Math.max(...l), 4),
    examples: [...done.examples],
  };
}

/** A variant's children combined. */
function combineVariant(children: readonly FloodServe[]): FloodVariant {
  const flooder: Record<string, number> = {};
  for (const child of children) {
    for (const [outcome, n] of Object.entries(child.flooder)) flooder[outcome] = (flooder[outcome] ?? 0) + n;
  }
  return {
    quiet: combine(children.map((c) => c.quiet)),
    flood: combine(children.map((c) => c.flood)),
    flooder,
    rounds: children.length,
  };
}

/** Medians over rounds of each latency figure, sums of the counts. */
function combine(rounds: readonly PhaseLatency[]): PhaseLatency {
  const med = (key: 'p50Ms' | 'p99Ms' | 'maxMs'): number | null => {
    const values = rounds.map((r) => r[key]).filter((v): v is number => v !== null);
    return values.length === 0 ? null : round(median(values), 4);
  };
  return {
    p50Ms: med('p50Ms'),
    p99Ms: med('p99Ms'),
    maxMs: med('maxMs'),
    calls: rounds.reduce((sum, r) => sum + r.calls, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
  };
}

export const floodIsolation: Scenario<FloodIsolationResult> = {
  name: NAME,
  description:
    'One session floods a tool over Streamable HTTP (32 calls in flight) while 4 other sessions call another tool, bare and guarded (per-session and per-tool file-handle limits): the others’ latency p50 / p99 / max without and under the flood, their errors and throttles (must be 0), how the flooder’s calls ended.',
  result: FloodIsolationResult,
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const phaseMs = ctx.quick ? 1000 : 4000;
    const children: Record<RunName, FloodServe[]> = { bare: [], guarded: [], guardedRefusalsAtOnce: [] };
    const loads: number[] = [];
    for (let r = 0; r < rounds; r++) {
      for (const run of RUNS) {
        const { result, backgroundCores } = await ctx.runTask(
          {
            scenario: NAME,
            task: 'serve',
            params: {
              variant: run.variant,
              phaseMs,
              ...(run.refusalDelayMs === undefined ? {} : { refusalDelayMs: run.refusalDelayMs }),
            },
          },
          FloodServe,
        );
        children[run.name].push(result);
        if (backgroundCores !== null) loads.push(backgroundCores);
        const { quiet: q, flood: f } = result;
        ctx.log(
          `${NAME} round ${r + 1}/${rounds} ${run.name}: others p50/p99 ${q.p50Ms}/${q.p99Ms} ms quiet, ` +
            `${f.p50Ms}/${f.p99Ms} ms under the flood; flooder ${JSON.stringify(result.flooder)}`,
        );
      }
    }
    return {
      bare: combineVariant(children.bare),
      guarded: combineVariant(children.guarded),
      guardedRefusalsAtOnce: combineVariant(children.guardedRefusalsAtOnce),
      othersThrottled: Object.values(children)
        .flat()
        .reduce((sum, c) => sum + c.throttleEventsNamingOthers, 0),
      backgroundCores: loads.length === 0 ? null : round(median(loads), 3),
      settings: {
        phaseMs,
        otherSessions: OTHER_SESSIONS,
        pauseMs: PAUSE_MS,
        floodConcurrency: FLOOD_CONCURRENCY,
        searchHoldMs: SEARCH_HOLD_MS,
        searchCpuMs: SEARCH_CPU_MS,
        guard: GUARD_OPTIONS,
      },
      rounds,
      measuredAt: new Date().toISOString(),
    };
  },
  summarize(r) {
    return RUNS.map(({ name }) => {
      const v = r[name];
      if (v === undefined) return `${NAME}.${name}: not measured`;
      return (
        `${NAME}.${name}: others p50 ${v.quiet.p50Ms} → ${v.flood.p50Ms} ms, p99 ${v.quiet.p99Ms} → ` +
        `${v.flood.p99Ms} ms under the flood; errors ${v.flood.errors}; flooder ${JSON.stringify(v.flooder)}`
      );
    });
  },
  async task(request): Promise<FloodServe> {
    const variant = String(request.params.variant) as Variant;
    const phaseMs = Number(request.params.phaseMs);
    const refusalDelayMs = request.params.refusalDelayMs;
    const factory = await serverFactory(
      variant,
      registerTools,
      typeof refusalDelayMs === 'number'
        ? { ...GUARD_OPTIONS, throttle: { ...GUARD_OPTIONS.throttle, refusalDelayMs } }
        : GUARD_OPTIONS,
    );
    const host = await startHttpHost(() => factory.create());
    const throttleKeys: string[] = [];
    factory.guard?.on('throttle', (e) => throttleKeys.push(e.key));
    const url = host.url.href;
    const normal: FloodClientCommand = {
      type: 'start',
      role: 'normal',
      url,
      sessions: OTHER_SESSIONS,
      warmupMs: 1000,
      durationMs: phaseMs,
      pauseMs: PAUSE_MS,
    };
    try {
      const quietRun = startClients(normal);
      const quiet = (await quietRun.next('normal-done')) as Extract<FloodClientMessage, { type: 'normal-done' }>;

      const flooder = startClients({ type: 'start', role: 'flood', url, concurrency: FLOOD_CONCURRENCY });
      const { sessionId: flooderSession } = (await flooder.next('flooding')) as Extract<
        FloodClientMessage,
        { type: 'flooding' }
      >;
      const others = startClients(normal);
      const underFlood = (await others.next('normal-done')) as Extract<FloodClientMessage, { type: 'normal-done' }>;
      flooder.child.send({ type: 'stop' } satisfies FloodClientCommand);
      const flooded = (await flooder.next('flood-done')) as Extract<FloodClientMessage, { type: 'flood-done' }>;
      const otherIds = new Set([...quiet.sessionIds, ...underFlood.sessionIds]);
      return {
        quiet: latencyFigures(quiet),
        flood: latencyFigures(underFlood),
        flooder: { ...flooded.outcomes },
        throttleEventsNamingOthers: throttleKeys.filter((k) => otherIds.has(k) || k === 'lookup').length,
        throttleEventsNamingFlooder: throttleKeys.filter((k) => k === flooderSession || k === 'search').length,
      };
    } finally {
      await host.close();
      await factory.close();
    }
  },
};
