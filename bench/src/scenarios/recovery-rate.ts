/**
 * recoveryRate: faults injected through the real middleware and SDK (McpServer, InMemoryTransport, SDK
 * Client): tools that throw, return isError, hang past their time limit ignoring their signal, leak every
 * kind of resource, breach a handle limit (up to the emergency level), clients that cancel, and transports
 * that drop mid-call (then a new client connects to a new server sharing the guard). After each fault the
 * tool's next call must succeed and nothing of the failed call may remain: descriptors, live handles,
 * marked processes and temp dirs back to the baseline, no call in flight, no orphaned handler.
 */

import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ResourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
import {
  type GroundTruth,
  type GroundTruthOptions,
  settleTo,
  sleep,
  steadyReading,
} from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { type Core, loadCore } from '../core.js';
import { availableLeakCases, type CorpusEnv, createCorpusEnv, type LeakCase } from '../leak-corpus.js';
import { type Scenario, TaskRun, withTaskRun } from '../scenario.js';
import { round } from '../stats.js';
import { calibrateSpin, spin } from '../work.js';

const NAME = 'recoveryRate';
const FAULTY = 'faulty';
const LEAKY = 'leaky';
const FULL_FAULTS = 1000;
const QUICK_FAULTS = 60;

/** The faults of the faulty tool (time limit 50 ms, 4 file handles). */
const TOOL_FAULTS = [
  'throw',
  'isError',
  'hang',
  'hang-emergency',
  'file-limit',
  'file-limit-emergency',
  'cancel',
  'transport-drop',
] as const;

interface Connection {
  readonly client: Client;
  readonly server: McpServer;
}

/** Where the busy handler's work goes, so that it is not optimised away. */
const sink = { value: 0 };

/** Spin iterations for ~0.5 ms of CPU, calibrated in the runner. */
let busyIterations = 100_000;

/** Set by the harness before a call whose start it must see. */
let started: (() => void) | undefined;

function waitForSignal(signal: AbortSignal, maxMs: number, core: Core): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const timer = core.runShared(() => setTimeout(resolve, maxMs));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A wait on something outside the call that ignores the call's signal (its timer belongs to no call). */
function externalWait(ms: number, core: Core): Promise<void> {
  return new Promise((resolve) => core.runShared(() => setTimeout(resolve, ms)));
}

function registerTools(server: McpServer, core: Core, env: CorpusEnv, leaks: readonly LeakCase[]): void {
  server.registerTool(
    FAULTY,
    { description: 'Fails on request', inputSchema: { mode: z.string(), id: z.number().int() } },
    async ({ mode, id }, extra) => {
      started?.();
      switch (mode) {
        case 'ok':
          return { content: [{ type: 'text', text: `ok ${id}` }] };
        case 'throw':
          throw new Error(`injected failure ${id}`);
        case 'isError':
          return { isError: true, content: [{ type: 'text', text: `injected error ${id}` }] };
        case 'hang':
          await externalWait(65, core);
          return { content: [{ type: 'text', text: `late ${id}` }] };
        case 'hang-emergency': {
          // Keeps working past the answer (~0.5 ms of CPU every 4 ms), ignoring its signal, to 120 ms.
          const until = performance.now() + 120;
          while (performance.now() < until) {
            sink.value ^= spin(busyIterations);
            await externalWait(4, core);
          }
          return { content: [{ type: 'text', text: `late ${id}` }] };
        }
        case 'file-limit':
        case 'file-limit-emergency': {
          const count = mode === 'file-limit' ? 5 : 7;
          for (let i = 0; i < count; i++) await fsp.open(env.file, 'r');
          await waitForSignal(extra.signal, 1000, core);
          return { content: [{ type: 'text', text: `files ${id}` }] };
        }
        case 'cancel':
        case 'transport-drop': {
          const socket = (await import('node:net')).connect(env.peer.tcpPort, '127.0.0.1');
          await once(socket, 'connect');
          setTimeout(() => {}, 60_000);
          await waitForSignal(extra.signal, 2000, core);
          return { content: [{ type: 'text', text: `dropped ${id}` }] };
        }
        default:
          throw new Error(`unknown mode ${mode}`);
      }
    },
  );
  server.registerTool(
    LEAKY,
    { description: 'Leaks on request', inputSchema: { mode: z.string(), id: z.number().int(), fail: z.boolean() } },
    async ({ mode, id, fail }) => {
      if (mode !== 'ok') {
        const leak = leaks.find((c) => c.name === mode);
        if (leak === undefined) throw new Error(`unknown leak ${mode}`);
        await leak.leak(env, core.getCallContext());
        if (fail) throw new Error(`injected failure after leaking ${mode}`);
      }
      return { content: [{ type: 'text', text: `ok ${id}` }] };
    },
  );
}

async function connect(guard: ResourceMiddleware, core: Core, env: CorpusEnv, leaks: readonly LeakCase[]) {
  const { withMiddleware } = await import('@mcp-resource-guard/sdk-middleware');
  const server = withMiddleware(new McpServer({ name: 'bench-recovery', version: '1.0.0' })).use(guard);
  registerTools(server, core, env, leaks);
  const [clientTransport, serverTransport] = InMemoryTransport.createLinkedPair();
  await server.connect(serverTransport);
  const client = new Client({ name: 'bench-recovery-client', version: '1.0.0' });
  await client.connect(clientTransport);
  return { client, server } satisfies Connection;
}

function textOf(result: unknown): string {
  const content = (result as { content?: { type: string; text?: string }[] }).content ?? [];
  return content.map((c) => c.text ?? '').join(' ');
}

/** One kind of fault over its occurrences. */
const FaultRecovery = z.object({
  faults: z.number(),
  /** Faults after which the next call succeeded, ground truth was back and the guard had nothing in flight. */
  recovered: z.number(),
  nextCallFailed: z.number(),
  /** Faults after which ground truth did not return to its baseline within 3 s. */
  residue: z.number(),
  /** Faults after which the guard still had a call in flight or an orphaned handler. */
  notSettled: z.number(),
  /** Mean wait for the fault to play out (an ignored signal, an emergency cool-down). */
  meanWaitMs: z.number(),
  /** The guard's own `recovery` events meanwhile. */
  guardRecoveryAttempts: z.number(),
  guardRecoverySuccesses: z.number(),
  /** The first three failures, described. */
  examples: z.array(z.string()),
});

/** The guard's own figures for a tool at the end of the run (`snapshot().tools[*]`). */
const GuardToolRecovery = z.object({
  attempts: z.number(),
  successes: z.number(),
  /** Null before any attempt. */
  rate: z.number().nullable(),
  leakCalls: z.number(),
  cleanups: z.number(),
  handlesClosed: z.number(),
  handlesSurvived: z.number(),
  levelEntries: z.record(z.string(), z.number()),
});
type GuardToolRecovery = z.infer<typeof GuardToolRecovery>;

/** What the task returns. */
const Recovery = z.object({
  /** Recovered over faults; null when no fault was injected. */
  recoveryRate: z.number().nullable(),
  faults: z.number(),
  recovered: z.number(),
  faultKinds: z.number(),
  /** By fault: the faulty tool's by mode (`throw`, `hang`, ...), the leaky tool's as `leak: <corpus scenario>`. */
  byFault: z.record(z.string(), FaultRecovery),
  /** By tool. */
  guardRecovery: z.record(z.string(), GuardToolRecovery),
  /** Wall-clock seconds of the faults. */
  faultSeconds: z.number(),
});
type Recovery = z.infer<typeof Recovery>;

export const RecoveryRateResult = Recovery.extend(TaskRun.shape);
export type RecoveryRateResult = z.infer<typeof RecoveryRateResult>;

interface FaultTally {
  /** The guard's own `recovery` events while this fault and its next call played out. */
  guardAttempts: number;
  guardSuccesses: number;
  faults: number;
  recovered: number;
  nextCallFailed: number;
  residue: number;
  inFlight: number;
  waitedMs: number;
  examples: string[];
}

export const recoveryRate: Scenario<RecoveryRateResult> = {
  name: NAME,
  description:
    'Faults through the real middleware and SDK (McpServer + InMemoryTransport + SDK Client): throw, isError, hang past maxExecutionTimeMs 50 ignoring the signal (idle to 65 ms; working ~0.5 ms every 4 ms to 120 ms), 5 and 7 files against maxFileHandles 4 (7: emergency), client cancel, transport drop (new client and server on the same guard), and every leak-corpus kind (returning or throwing); sampling.activeMs 10, emergency cool-down 100 ms; the next call is made as soon as the fault is answered (after an emergency, once the tool is enabled again).',
  result: RecoveryRateResult,
  async run(ctx) {
    const faults = ctx.quick ? QUICK_FAULTS : FULL_FAULTS;
    const run = await ctx.runTask(
      { scenario: NAME, task: 'faults', params: { faults, busyIterations: calibrateSpin(0.5) } },
      Recovery,
    );
    ctx.log(`${NAME}: ${run.result.recovered}/${run.result.faults} recovered (${run.seconds} s)`);
    return withTaskRun(run);
  },
  summarize(r) {
    return [
      `${NAME}: ${r.recoveryRate} (${r.recovered} of ${r.faults} faults); guard's own: ${JSON.stringify(r.guardRecovery)}`,
    ];
  },
  async task(request): Promise<Recovery> {
    const target = Number(request.params.faults);
    busyIterations = Number(request.params.busyIterations ?? busyIterations);
    const core = await loadCore();
    const { resourceMiddleware } = await import('@mcp-resource-guard/sdk-middleware');
    const tempRoot = mkdtempSync(join(tmpdir(), 'mcp-resource-guard-recovery-'));
    const guard = resourceMiddleware({
      tools: {
        [FAULTY]: { perCall: { maxExecutionTimeMs: 50, maxFileHandles: 4 } },
        [LEAKY]: { perCall: { maxExecutionTimeMs: 3000 } },
      },
      sampling: { activeMs: 10 },
      emergency: { coolDownMs: 100, maxCoolDownMs: 800 },
      tempRoot,
    });
    const env = await createCorpusEnv(core, guard.guard);
    const leaks = availableLeakCases(env);
    let connection = await connect(guard, core, env, leaks);
    const options: GroundTruthOptions = { requests: false, dir: tempRoot, processMarker: env.marker };
    const steady = { ...options, stepMs: 10, repeats: 2 };
    const faults: { tool: string; mode: string; fail: boolean }[] = [];
    for (let cycle = 0; faults.length < target; cycle++) {
      for (const mode of TOOL_FAULTS) faults.push({ tool: FAULTY, mode, fail: false });
      for (const leak of leaks) faults.push({ tool: LEAKY, mode: leak.name, fail: cycle % 2 === 1 });
    }
    const byFault: Record<string, FaultTally> = {};
    let current: FaultTally | undefined;
    let currentName = '';
    let phase = '';
    if (process.env.BENCH_TRACE_RECOVERY) {
      guard.on('call', (r) =>
        console.error(`[trace] ${currentName} ${phase}: call ${r.toolName} ${r.outcome} ${r.callId}`),
      );
    }
    guard.on('recovery', (event) => {
      if (process.env.BENCH_TRACE_RECOVERY) console.error(`[trace] ${currentName} ${phase}: ${JSON.stringify(event)}`);
      if (current === undefined) return;
      current.guardAttempts++;
      if (event.success) current.guardSuccesses++;
    });
    let id = 0;
    let baseline: GroundTruth = await steadyReading(steady);
    const started0 = performance.now();
    try {
      for (const fault of faults) {
        const key = fault.tool === FAULTY ? fault.mode : `leak: ${fault.mode}`;
        const tally: FaultTally = byFault[key] ?? {
          guardAttempts: 0,
          guardSuccesses: 0,
          faults: 0,
          recovered: 0,
          nextCallFailed: 0,
          residue: 0,
          inFlight: 0,
          waitedMs: 0,
          examples: [],
        };
        byFault[key] = tally;
        tally.faults++;
        current = tally;
        currentName = key;
        phase = 'fault';
        // The fault.
        const args = { mode: fault.mode, id: id++, ...(fault.tool === LEAKY ? { fail: fault.fail } : {}) };
        if (fault.mode === 'transport-drop' || fault.mode === 'cancel') {
          const running = new Promise<void>((resolve) => {
            started = resolve;
          });
          const controller = new AbortController();
          const pending = connection.client
            .callTool({ name: fault.tool, arguments: args }, undefined, { signal: controller.signal })
            .catch(() => undefined);
          await running;
          started = undefined;
          if (fault.mode === 'cancel') controller.abort();
          else await connection.client.close();
          await pending;
          if (fault.mode === 'transport-drop') connection = await connect(guard, core, env, leaks);
        } else {
          await connection.client.callTool({ name: fault.tool, arguments: args }).catch(() => undefined);
        }
        // Let the fault play out (a handler that ignored its signal runs on), then wait while the guard
        // keeps the tool deactivated (emergency cool-down), as a client told so would.
        const waitStart = performance.now();
        while (guard.snapshot().orphanedHandlers > 0 && performance.now() - waitStart < 5000) await sleep(5);
        while (guard.guard.toolState(fault.tool) === 'deactivated' && performance.now() - waitStart < 5000) {
          await sleep(5);
        }
        tally.waitedMs += performance.now() - waitStart;
        // The next call.
        phase = 'next call';
        const nextId = id++;
        let ok = false;
        let answer = '';
        try {
          const result = await connection.client.callTool({
            name: fault.tool,
            arguments: { mode: 'ok', id: nextId, ...(fault.tool === LEAKY ? { fail: false } : {}) },
          });
          answer = textOf(result);
          ok = result.isError !== true && answer === `ok ${nextId}`;
        } catch (error) {
          answer = error instanceof Error ? error.message : String(error);
        }
        // Nothing of the failed call remains.
        const left = await settleTo(baseline, { ...options, timeoutMs: 3000, stepMs: 5, repeats: 1 });
        const leftover = left.total - (left.items.procStatFds ?? 0);
        let snapshot = guard.snapshot();
        for (let i = 0; i < 300 && (snapshot.inFlight > 0 || snapshot.orphanedHandlers > 0); i++) {
          await sleep(10);
          snapshot = guard.snapshot();
        }
        const clear = snapshot.inFlight === 0 && snapshot.orphanedHandlers === 0;
        if (ok && leftover === 0 && clear) tally.recovered++;
        if (!ok) tally.nextCallFailed++;
        if (leftover > 0) tally.residue++;
        if (!clear) tally.inFlight++;
        if ((!ok || leftover > 0 || !clear) && tally.examples.length < 3) {
          tally.examples.push(
            `${ok ? '' : `next call: ${answer.slice(0, 160)}; `}${leftover > 0 ? `left ${JSON.stringify(left.items)}; ` : ''}${clear ? '' : `inFlight ${snapshot.inFlight}, orphaned ${snapshot.orphanedHandlers}`}`,
          );
        }
        if (leftover > 0) baseline = await steadyReading(steady);
      }
    } finally {
      await connection.client.close().catch(() => undefined);
      const snapshot = guard.snapshot();
      await guard.close();
      await env.close();
      rmSync(tempRoot, { recursive: true, force: true });
      guardRecoveryOf = Object.fromEntries(
        Object.entries(snapshot.tools).map(([name, tool]) => [
          name,
          {
            attempts: tool.recovery.attempts,
            successes: tool.recovery.successes,
            rate: tool.recovery.rate === undefined ? null : round(tool.recovery.rate, 4),
            leakCalls: tool.leaks.calls,
            cleanups: tool.cleanups.count,
            handlesClosed: tool.cleanups.handlesClosed,
            handlesSurvived: tool.cleanups.handlesSurvived,
            levelEntries: tool.levelEntries,
          },
        ]),
      );
    }
    let total = 0;
    let recovered = 0;
    const table: Recovery['byFault'] = {};
    for (const [key, t] of Object.entries(byFault)) {
      total += t.faults;
      recovered += t.recovered;
      table[key] = {
        faults: t.faults,
        recovered: t.recovered,
        nextCallFailed: t.nextCallFailed,
        residue: t.residue,
        notSettled: t.inFlight,
        meanWaitMs: round(t.waitedMs / t.faults, 3),
        guardRecoveryAttempts: t.guardAttempts,
        guardRecoverySuccesses: t.guardSuccesses,
        examples: t.examples,
      };
    }
    return {
      recoveryRate: total === 0 ? null : round(recovered / total, 4),
      faults: total,
      recovered,
      faultKinds: Object.keys(byFault).length,
      byFault: table,
      guardRecovery: guardRecoveryOf,
      faultSeconds: round((performance.now() - started0) / 1000, 3),
    };
  },
};

let guardRecoveryOf: Record<string, GuardToolRecovery> = {};
