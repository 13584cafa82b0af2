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
import type { FloodClientCommand, FloodClientMessage } from '../flood-client-process.js';
import { serverFactory } from '../mcp-fixtures.js';
import type { Json, JsonObject, Scenario, Variant } from '../scenario.js';
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

function latencyFigures(done: Extract<FloodClientMessage, { type: 'normal-done' }>): JsonObject {
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

/** Medians over rounds of each latency figure, sums of the counts. */
function combine(rounds: readonly JsonObject[]): JsonObject {
  const values = (key: string): number[] => rounds.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  const med = (key: string): number | null => (values(key).length === 0 ? null : round(median(values(key)), 4));
  return {
    p50Ms: med('p50Ms'),
    p99Ms: med('p99Ms'),
    maxMs: med('maxMs'),
    calls: values('calls').reduce((a, b) => a + b, 0),
    errors: values('errors').reduce((a, b) => a + b, 0),
  };
}

export const floodIsolation: Scenario = {
  name: NAME,
  description:
    'One session floods a tool over Streamable HTTP (32 calls in flight) while 4 other sessions call another tool, bare and guarded (per-session and per-tool file-handle limits): the others’ latency p50 / p99 / max without and under the flood, their errors and throttles (must be 0), how the flooder’s calls ended.',
  async run(ctx) {
    const rounds = ctx.quick ? 1 : 3;
    const phaseMs = ctx.quick ? 1000 : 4000;
    const perVariant: Record<string, { quiet: JsonObject[]; flood: JsonObject[]; flooder: Record<string, number> }> =
      {};
    const loads: number[] = [];
    let othersThrottled = 0;
    for (const run of RUNS) perVariant[run.name] = { quiet: [], flood: [], flooder: {} };
    for (let r = 0; r < rounds; r++) {
      for (const run of RUNS) {
        const { result, backgroundCores } = await ctx.runTask({
          scenario: NAME,
          task: 'serve',
          params: {
            variant: run.variant,
            phaseMs,
            ...(run.refusalDelayMs === undefined ? {} : { refusalDelayMs: run.refusalDelayMs }),
          },
        });
        const entry = perVariant[run.name]!;
        entry.quiet.push(result.quiet as JsonObject);
        entry.flood.push(result.flood as JsonObject);
        for (const [k, n] of Object.entries(result.flooder as Record<string, number>)) {
          entry.flooder[k] = (entry.flooder[k] ?? 0) + n;
        }
        othersThrottled += Number(result.throttleEventsNamingOthers ?? 0);
        if (backgroundCores !== null) loads.push(backgroundCores);
        const q = result.quiet as JsonObject;
        const f = result.flood as JsonObject;
        ctx.log(
          `${NAME} round ${r + 1}/${rounds} ${run.name}: others p50/p99 ${String(q.p50Ms)}/${String(q.p99Ms)} ms quiet, ` +
            `${String(f.p50Ms)}/${String(f.p99Ms)} ms under the flood; flooder ${JSON.stringify(result.flooder)}`,
        );
      }
    }
    const variants: Record<string, Json> = {};
    for (const [variant, e] of Object.entries(perVariant)) {
      variants[variant] = {
        quiet: combine(e.quiet),
        flood: combine(e.flood),
        flooder: e.flooder,
        rounds: e.quiet.length,
      };
    }
    return {
      ...variants,
      othersThrottled,
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
  summarize(result) {
    const r = result as Record<string, Record<string, Record<string, unknown>>>;
    return RUNS.map(({ name: v }) => {
      const q = r[v]?.quiet ?? {};
      const f = r[v]?.flood ?? {};
      return (
        `${NAME}.${v}: others p50 ${String(q.p50Ms)} → ${String(f.p50Ms)} ms, p99 ${String(q.p99Ms)} → ` +
        `${String(f.p99Ms)} ms under the flood; errors ${String(f.errors)}; flooder ${JSON.stringify(r[v]?.flooder)}`
      );
    });
  },
  async task(request) {
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
