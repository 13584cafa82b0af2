/**
 * The soak: a long run of mixed tool calls through the guard over real transports (InMemoryTransport and
 * Streamable HTTP), with leaky tools of every kind, failures, cancels and calls stopped at their limit,
 * concurrency and session churn. A warm-up first (a tenth of the run, then rounds until the heap after `gc()`
 * stops growing: the JIT settles, tables reach their sizes); then the baseline (descriptors, live handles, the
 * objects in the heap after `gc()` (heap-objects.ts), marked processes, the temp root); then the run, in quarters;
 * then every session is closed and the process must be back within 5 % of the baseline, no process a call started
 * may be alive, every call must have had its answer, and the guard's cleanup events and audit entries must account
 * for exactly the calls that left something open.
 */

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapCodeStatistics } from 'node:v8';
import { startHttpHost } from '@mcp-resource-guard/example-http-server';
import {
  type GroundTruth,
  type MarkedProcess,
  markedProcessList,
  openFdList,
  readGroundTruth,
  settleTo,
  sleep,
  socketTable,
  steadyReading,
} from '@mcp-resource-guard/test-support';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { CallLedger, CallMark, type Mismatch } from './call-ledger.js';
import { loadCore } from './core.js';
import { heapObjectBytes } from './heap-objects.js';
import { availableLeakCases, createCorpusEnv } from './leak-corpus.js';
import { prng } from './prng.js';
import { describeLabel, HANG_LIMIT_MS, HANG_TOOL, registerSoakTools, type SoakCall, soakCallDraw } from './soak-mix.js';
import { SessionPool, type SoakSession } from './soak-sessions.js';
import { round } from './stats.js';
import { watchUndiciPool } from './undici-pool.js';

/** What to run. */
export interface SoakOptions {
  /** Calls of the measured run (after the warm-up). */
  readonly calls: number;
  /** The measured run stops issuing calls after this long, even short of `calls` (reported, not a failure). */
  readonly maxSeconds: number;
  /** Calls in flight at once. Default 16. */
  readonly concurrency?: number;
  /** Seed of the call draw. Default 1. */
  readonly seed?: number;
  /**
   * Count apart, and report without failing, what two bugs the soak found (since fixed) left behind: descriptors on `/proc/<pid>/stat` of processes that have exited (its child-process sampler, through
   * pidusage), and temp dirs a cleanup reported as survivors that were removed afterwards (a close without a
   * forced path that outlasts `graceMs`). Default false: they fail the run.
   */
  readonly allowKnownIssues?: boolean;
  /** Progress (stderr). */
  readonly log?: (message: string) => void;
}

/** Descriptors, live handles and the heap (MB) at one reading. */
const SoakReading = z.object({
  /** Open descriptors, those on `/proc/<pid>/stat` included. */
  fds: z.number(),
  handles: z.number(),
  /** The program's objects in the heap after `gc()`, V8's code and its metadata aside. */
  heapObjectsMb: z.number(),
  heapUsedMb: z.number(),
  codeMb: z.number(),
});

/** A count at the baseline and at the end. */
const BaselineAndEnd = z.object({ baseline: z.number(), end: z.number() });

/** The soak's verdict and figures. */
export const SoakSummary = z.object({
  /** No failure (known issues apart when they are allowed). */
  ok: z.boolean(),
  failures: z.array(z.string()),
  /** What is reported without failing the run (known issues when allowed, connections in undici's pool). */
  warnings: z.array(z.string()),
  node: z.string(),
  calls: z.object({
    target: z.number(),
    issued: z.number(),
    answered: z.number(),
    /** Answers by what was expected of the call (`ok`, `error`, `cancel`). */
    byExpectation: z.record(z.string(), z.number()),
    unexpected: z.number(),
    examples: z.array(z.string()),
  }),
  warmup: z.object({ rounds: z.number(), calls: z.number() }),
  stoppedBy: z.enum(['calls', 'time']),
  seconds: z.number(),
  callsPerSec: z.number(),
  concurrency: z.number(),
  sessions: z.object({ opened: z.number(), closed: z.number() }),
  resources: z.object({
    baseline: SoakReading,
    end: SoakReading,
    heapObjectsMbAfterEachQuarter: z.array(z.number()),
    processes: BaselineAndEnd.extend({ startedByTheRun: z.number() }),
    handlesByType: z.object({
      baseline: z.record(z.string(), z.number()),
      end: z.record(z.string(), z.number()),
    }),
    /** The first ten descriptors open at the end and not at the baseline (stat fds aside). */
    descriptorsAdded: z.array(z.string()),
    /** The peer process's servers (null: no TLS server on this machine). */
    peerPorts: z.object({ http: z.number(), tcp: z.number(), tls: z.number().nullable() }),
    undiciPoolConnections: BaselineAndEnd,
  }),
  cleanup: z.object({
    events: z.number(),
    byReason: z.record(z.string(), z.number()),
    /** Calls the tools say left something open, and calls that left only their temp dir. */
    callsLeftOpen: z.number(),
    callsTempOnly: z.number(),
    callsCleaned: z.number(),
    auditEntries: z.number(),
    leakEvents: z.number(),
    /** Calls that left something open without a cleanup, and cleanups of calls that left nothing. */
    missing: z.number(),
    unexplained: z.number(),
    handlesReportedSurviving: z.number(),
  }),
  /** What two bugs the soak found (fixed) would leave behind, counted apart. */
  knownIssues: z.object({ procStatFdsOfExitedProcesses: z.number(), survivorsRemovedAfterwards: z.number() }),
  guard: z.object({
    internalErrors: z.number(),
    sessionsTracked: z.number(),
    outcomesByTool: z.record(z.string(), z.record(z.string(), z.number())),
  }),
  leakCases: z.number(),
});
export type SoakSummary = z.infer<typeof SoakSummary>;

/** How far the process may be above its baseline at the end. */
const TOLERANCE = 0.05;
/** Sessions open at once per transport, and the calls a session takes before it is retired. */
const SESSIONS_PER_TRANSPORT = 4;
const SESSION_LIFETIME = { min: 50, max: 400 };
/** Longer than the keep-alive timeouts of undici (4 s) and of Node's HTTP server (5 s). */
const KEEP_ALIVE_MS = 6000;
/** The warm-up ends when a round grows the heap by less than this, or after this many rounds. */
const WARMUP_STEADY = 0.005;
const WARMUP_MAX_ROUNDS = 10;
/** Temp dirs reported as survivors that are checked at the end (more fail the run). */
const MAX_CHECKED_SURVIVORS = 200;

interface Drive {
  issued: number;
  answered: number;
  readonly byExpectation: Record<string, number>;
  readonly unexpected: string[];
  unexpectedCount: number;
  stoppedBy: 'calls' | 'time';
}

interface Reading {
  readonly truth: GroundTruth;
  readonly heap: HeapReading;
  /** What each open descriptor points to. */
  readonly fdTargets: readonly string[];
  /** The processes the leak corpus started that are alive. */
  readonly processes: readonly MarkedProcess[];
  /** Connections open in undici's pool (see undici-pool.ts), counted in `truth.fds`. */
  readonly undiciPool: number;
}

const handleTotal = (t: GroundTruth): number => Object.values(t.handles).reduce((a, b) => a + b, 0);
const fdTotal = (r: Reading): number => r.truth.fds + r.truth.procStatFds;

/**
 * What each open descriptor is on: a path, a pipe, or a socket described by its protocol, its remote
 * end and its state (local ports left out: a socket replacing one of the baseline compares equal).
 */
function fdTargets(): string[] {
  const sockets = socketTable();
  const targets: string[] = [];
  for (const { target } of openFdList() ?? []) {
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    const socket = inode === undefined ? undefined : sockets.get(inode);
    targets.push(
      socket === undefined ? target.replace(/\[\d+\]$/, '[…]') : `socket ${socket.replace(/ \S+:\d+ → /, ' → ')}`,
    );
  }
  return targets;
}

/** The entries of `after` beyond those of `before` (as multisets). */
function added(before: readonly string[], after: readonly string[]): string[] {
  const left = [...before];
  return after.filter((x) => {
    const i = left.indexOf(x);
    if (i < 0) return true;
    left.splice(i, 1);
    return false;
  });
}

/** The heap after full collections: all of it, and V8's compiled code and bytecode (with their metadata) in it. */
interface HeapReading {
  readonly used: number;
  readonly code: number;
  /** The program's objects, from a heap snapshot (see heap-objects.ts). */
  readonly objects: number;
}

/** The heap after full collections (the smallest of three readings, each after `gc()`), and its objects. */
async function heapAfterGc(): Promise<HeapReading> {
  const gc = (globalThis as { gc?: () => void }).gc!;
  let least = { used: Number.POSITIVE_INFINITY, code: 0 };
  for (let i = 0; i < 3; i++) {
    gc();
    await sleep(20);
    const used = process.memoryUsage().heapUsed;
    const code = getHeapCodeStatistics();
    if (used < least.used) least = { used, code: code.code_and_metadata_size + code.bytecode_and_metadata_size };
  }
  return { ...least, objects: await heapObjectBytes() };
}

async function callOnce(session: SoakSession, call: SoakCall): Promise<string | undefined> {
  const controller = call.expect === 'cancel' ? new AbortController() : undefined;
  const timer = controller === undefined ? undefined : setTimeout(() => controller.abort(), call.abortAfterMs);
  try {
    const result = await session.client.callTool({ name: call.tool, arguments: call.args }, undefined, {
      timeout: 60_000,
      ...(controller === undefined ? {} : { signal: controller.signal }),
    });
    const text = (result.content as { text?: string }[] | undefined)?.[0]?.text;
    if (call.expect === 'ok' && result.isError !== true && text === call.text) return undefined;
    if (call.expect === 'error' && result.isError === true) return undefined;
    return `${call.tool} (${session.transport}): expected ${call.expect}, got ${JSON.stringify(result).slice(0, 200)}`;
  } catch (error) {
    if (call.expect === 'cancel' && controller?.signal.aborted === true) return undefined;
    return `${call.tool} (${session.transport}): expected ${call.expect}, threw ${String(error).slice(0, 200)}`;
  } finally {
    clearTimeout(timer);
  }
}

/** With SOAK_HEAP_SNAPSHOT_DIR set, writes a heap snapshot there (to find what grows). */
async function heapSnapshot(name: string): Promise<void> {
  const dir = process.env.SOAK_HEAP_SNAPSHOT_DIR;
  if (dir === undefined || dir === '') return;
  const { writeHeapSnapshot } = await import('node:v8');
  writeHeapSnapshot(join(dir, `soak-${name}.heapsnapshot`));
}

const newDrive = (): Drive => ({
  issued: 0,
  answered: 0,
  byExpectation: {},
  unexpected: [],
  unexpectedCount: 0,
  stoppedBy: 'calls',
});

/** The drives of a run, as one. */
function mergeDrives(drives: readonly Drive[]): Drive {
  const merged = newDrive();
  for (const d of drives) {
    merged.issued += d.issued;
    merged.answered += d.answered;
    merged.unexpectedCount += d.unexpectedCount;
    merged.unexpected.push(...d.unexpected.slice(0, 10 - merged.unexpected.length));
    for (const [k, n] of Object.entries(d.byExpectation)) merged.byExpectation[k] = (merged.byExpectation[k] ?? 0) + n;
    if (d.stoppedBy === 'time') merged.stoppedBy = 'time';
  }
  return merged;
}

/** The guard's cleanup events and audit entries, counted (per call in the ledger). */
interface CleanupTally {
  events: number;
  auditEntries: number;
  leakEvents: number;
  survived: number;
  readonly byReason: Record<string, number>;
  /** Temp dirs reported as survivors (checked at the end), and survivors of other kinds. */
  readonly survivedTempDirs: string[];
  readonly otherSurvivors: string[];
}

function newTally(): CleanupTally {
  return {
    events: 0,
    auditEntries: 0,
    leakEvents: 0,
    survived: 0,
    byReason: {},
    survivedTempDirs: [],
    otherSurvivors: [],
  };
}

/**
 * Runs the soak.
 *
 * @param options - calls, time bound, concurrency
 * @returns the summary: `ok` and the `failures`, the figures
 * @throws when Node was not started with `--expose-gc`
 */
export async function runSoak(options: SoakOptions): Promise<SoakSummary> {
  if (typeof (globalThis as { gc?: unknown }).gc !== 'function') throw new Error('the soak needs node --expose-gc');
  const log = options.log ?? (() => {});
  const concurrency = options.concurrency ?? 16;
  const warmupRound = Math.max(2000, Math.round(options.calls / 50));
  const random = prng(options.seed ?? 1);

  const core = await loadCore();
  const { resourceMiddleware, withMiddleware } = await import('@mcp-resource-guard/sdk-middleware');
  const tempRoot = mkdtempSync(join(tmpdir(), 'mcp-resource-guard-soak-'));
  const ledger = new CallLedger(Math.ceil((warmupRound * WARMUP_MAX_ROUNDS + options.calls * 1.1) * 1.2) + 1000);
  let tally = newTally();
  const guard = resourceMiddleware({
    tools: { [HANG_TOOL]: { perCall: { maxExecutionTimeMs: HANG_LIMIT_MS } } },
    sampling: { activeMs: 10 },
    tempRoot,
    // Its leaks are counted by the listeners below; a line on stderr for each of thousands would only slow it.
    logger: false,
    audit: {
      sink: {
        write(entry) {
          // Entries of action `cleanup` also mark a limit level entered; those carrying a report are the cleanups.
          if (entry.action !== 'cleanup' || entry.cleanup === undefined) return;
          tally.auditEntries++;
          const again = ledger.has(entry.cleanup.callId, CallMark.Audited);
          ledger.mark(entry.cleanup.callId, again ? CallMark.AuditedAgain : CallMark.Audited);
        },
      },
    },
  });
  guard.on('cleanup', (report) => {
    tally.events++;
    tally.survived += report.survived;
    tally.byReason[report.reason] = (tally.byReason[report.reason] ?? 0) + 1;
    if (ledger.has(report.callId, CallMark.CleanedEnd) || ledger.has(report.callId, CallMark.CleanedLeak)) {
      ledger.mark(report.callId, CallMark.CleanedAgain);
    }
    ledger.mark(report.callId, report.reason === 'end' ? CallMark.CleanedEnd : CallMark.CleanedLeak);
    for (const s of report.survivors) {
      if (s.kind === 'temp_dir' && s.label !== undefined && tally.survivedTempDirs.length < MAX_CHECKED_SURVIVORS) {
        tally.survivedTempDirs.push(s.label);
      } else if (tally.otherSurvivors.length < 10) {
        tally.otherSurvivors.push(`${report.toolName}: ${s.kind} ${s.label ?? ''}`);
      }
    }
  });
  guard.on('leak', () => tally.leakEvents++);

  const env = await createCorpusEnv(core, guard.guard);
  const cases = availableLeakCases(env);
  const createServer = (): McpServer => {
    const server = withMiddleware(new McpServer({ name: 'soak', version: '1.0.0' }));
    server.use(guard);
    registerSoakTools(server, env, cases, ledger, core);
    return server;
  };
  const host = await startHttpHost(createServer);
  const undiciPool = watchUndiciPool();
  const draw = soakCallDraw(random, cases);
  const truthOptions = { requests: false, processMarker: env.marker, dir: tempRoot } as const;
  const sessions = { opened: 0, closed: 0 };

  async function drive(count: number, deadline: number, label: string): Promise<Drive> {
    const pool = new SessionPool({
      createServer,
      url: host.url,
      perTransport: SESSIONS_PER_TRANSPORT,
      lifetime: SESSION_LIFETIME,
      random,
    });
    await pool.start();
    const d = newDrive();
    let lastLog = performance.now();
    const worker = async (): Promise<void> => {
      while (d.issued < count) {
        if (performance.now() > deadline) {
          d.stoppedBy = 'time';
          return;
        }
        d.issued++;
        const call = draw();
        const session = await pool.acquire();
        const problem = await callOnce(session, call);
        pool.release(session);
        d.answered++;
        d.byExpectation[call.expect] = (d.byExpectation[call.expect] ?? 0) + 1;
        if (problem !== undefined) {
          d.unexpectedCount++;
          if (d.unexpected.length < 10) d.unexpected.push(problem);
        }
        if (performance.now() - lastLog > 10_000) {
          lastLog = performance.now();
          log(`${label}: ${d.answered} of ${count} calls answered`);
        }
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    await pool.closeAll();
    sessions.opened += pool.opened.memory + pool.opened.http;
    sessions.closed += pool.closed.memory + pool.closed.http;
    return d;
  }

  /** After the calls: handlers that ignored their signal finish, connections and cleanups settle, a reading. */
  async function quietReading(baseline: GroundTruth | undefined): Promise<Reading> {
    for (let i = 0; i < 500 && guard.snapshot().orphanedHandlers + guard.snapshot().inFlight > 0; i++) await sleep(20);
    await env.peer.closeIdleConnections();
    if (baseline === undefined) {
      await sleep(KEEP_ALIVE_MS);
      await steadyReading({ ...truthOptions, timeoutMs: 5000, stepMs: 100, repeats: 2 });
    } else {
      await settleTo(baseline, { ...truthOptions, timeoutMs: 20_000, stepMs: 20, repeats: 1 });
    }
    // The memory probe's pidusage keeps descriptors on /proc/<pid>/stat for a second after a child exits.
    for (let i = 0; i < 150 && readGroundTruth(truthOptions).procStatFds > (baseline?.procStatFds ?? 0); i++) {
      await sleep(20);
    }
    const heap = await heapAfterGc();
    await heapSnapshot(baseline === undefined ? 'baseline' : 'end');
    return {
      truth: readGroundTruth(truthOptions),
      heap,
      fdTargets: fdTargets(),
      processes: markedProcessList(env.marker),
      undiciPool: undiciPool.open(),
    };
  }

  try {
    const warmup = { rounds: 0, calls: 0, unexpected: [] as string[] };
    let heap = 0;
    for (let growth = 1; warmup.rounds < WARMUP_MAX_ROUNDS && growth >= WARMUP_STEADY; warmup.rounds++) {
      // The first round is the longest: tables that keep their capacity reach the sizes the run will need.
      const size = warmup.rounds === 0 ? Math.max(warmupRound, Math.round(options.calls / 10)) : warmupRound;
      const d = await drive(size, Number.POSITIVE_INFINITY, `warm-up round ${warmup.rounds + 1}`);
      warmup.calls += d.answered;
      warmup.unexpected.push(...d.unexpected);
      const now = (await heapAfterGc()).objects;
      growth = heap === 0 ? 1 : (now - heap) / heap;
      heap = now;
      log(`warm-up round ${warmup.rounds + 1}: objects in the heap after gc ${(now / 2 ** 20).toFixed(2)} MB`);
    }
    const before = await quietReading(undefined);
    ledger.clear();
    tally = newTally();
    sessions.opened = 0;
    sessions.closed = 0;

    log(`run: ${options.calls} calls, ${concurrency} in flight, at most ${options.maxSeconds} s`);
    const started = performance.now();
    const deadline = started + options.maxSeconds * 1000;
    // In quarters, each ending with every session closed: the heap after gc at each boundary shows a trend.
    const quarters: Drive[] = [];
    const heapByQuarter: number[] = [];
    for (let q = 0; q < 4 && quarters.at(-1)?.stoppedBy !== 'time'; q++) {
      const count = Math.round((options.calls * (q + 1)) / 4) - Math.round((options.calls * q) / 4);
      quarters.push(await drive(count, deadline, `run, quarter ${q + 1}`));
      if (q < 3) heapByQuarter.push((await heapAfterGc()).objects);
      if (q < 3) await heapSnapshot(`quarter-${q + 1}`);
    }
    const run = mergeDrives(quarters);
    const seconds = (performance.now() - started) / 1000;
    const after = await quietReading(before.truth);
    heapByQuarter.push(after.heap.objects);
    const snapshot = guard.snapshot();

    const failures: string[] = [];
    const warnings: string[] = [];
    const knownIssue = (message: string): void => {
      (options.allowKnownIssues === true ? warnings : failures).push(message);
    };
    if (run.answered !== run.issued) failures.push(`${run.issued - run.answered} calls got no answer`);
    if (run.unexpectedCount > 0)
      failures.push(`${run.unexpectedCount} calls answered unexpectedly: ${run.unexpected[0]}`);
    if (warmup.unexpected.length > 0) failures.push(`warm-up: unexpected answers: ${warmup.unexpected[0]}`);

    const deadStatFds = added(before.fdTargets, after.fdTargets).filter(
      (t) => /^\/proc\/\d+\/stat$/.test(t) && !existsSync(t),
    ).length;
    if (deadStatFds > 0) knownIssue(`${deadStatFds} descriptors left open on /proc/<pid>/stat of exited processes`);
    const excused = options.allowKnownIssues === true ? deadStatFds : 0;
    // The pool's connections are the process's: those beyond the baseline's are reported, not failed.
    const poolAdded = Math.max(0, after.undiciPool - before.undiciPool);
    if (poolAdded > 0) {
      warnings.push(
        `${poolAdded} more connections in undici's pool than at the baseline (a fetch its tool aborted leaves its ` +
          "connection there until the keep-alive timeout; the process's, not a call's)",
      );
    }
    const compare = (what: string, base: number, end: number, detail = ''): void => {
      if (end > base * (1 + TOLERANCE))
        failures.push(`${what}: ${base} at the baseline, ${end} at the end (over 5 %)${detail}`);
    };
    const addedFds = added(before.fdTargets, after.fdTargets).filter((t) => !/^\/proc\/\d+\/stat$/.test(t));
    compare(
      'open descriptors',
      fdTotal(before),
      fdTotal(after) - excused - poolAdded,
      `; added: ${addedFds.join(', ')}`,
    );
    compare('live handles', handleTotal(before.truth), handleTotal(after.truth));
    compare('objects in the heap after gc (bytes)', before.heap.objects, after.heap.objects);
    // Processes alive at the end that were not at the baseline were started by the run's calls and outlived them.
    const baselinePids = new Set(before.processes.map((p) => p.pid));
    const escaped = after.processes.filter((p) => !baselinePids.has(p.pid));
    if (escaped.length > 0) {
      const list = escaped.map((p) => `${p.pid} (parent ${p.ppid}): ${p.command}`).join('; ');
      failures.push(`${escaped.length} processes started by calls still alive: ${list}`);
    }
    if (after.truth.dirEntries > before.truth.dirEntries)
      failures.push(`${after.truth.dirEntries} entries in the temp root`);

    const { LeftOpen, TempOnly, CleanedLeak, CleanedEnd, Audited } = CallMark;
    const describe = (m: Mismatch): string =>
      m.examples.map((id) => `${id} (${describeLabel(ledger.labelOf(id), cases)})`).join(', ');
    const missing = ledger.mismatch(LeftOpen, CleanedLeak);
    const unexplained = ledger.mismatch(CleanedLeak, LeftOpen);
    const tempMissing = ledger.mismatch(TempOnly, CleanedEnd | CleanedLeak);
    const tempUnexplained = ledger.mismatch(CleanedEnd, TempOnly | CleanedLeak);
    const notAudited = ledger.mismatch(CleanedLeak, Audited).count + ledger.mismatch(CleanedEnd, Audited).count;
    if (missing.count > 0)
      failures.push(`${missing.count} calls left something open, no cleanup: ${describe(missing)}`);
    if (unexplained.count > 0) {
      failures.push(`${unexplained.count} cleanups of calls that left nothing open: ${describe(unexplained)}`);
    }
    if (tempMissing.count + tempUnexplained.count > 0) {
      failures.push(`temp dirs: ${tempMissing.count} not cleaned up, ${tempUnexplained.count} cleanups unexplained`);
    }
    const auditedTwice = ledger.mismatch(CallMark.AuditedAgain, CallMark.CleanedAgain);
    const cleanedTwice = ledger.mismatch(CallMark.CleanedAgain, CallMark.AuditedAgain);
    if (tally.auditEntries !== tally.events || notAudited > 0 || auditedTwice.count + cleanedTwice.count > 0) {
      failures.push(
        `${tally.auditEntries} cleanup audit entries for ${tally.events} cleanups (${notAudited} calls not audited; ` +
          `audited twice, cleaned once: ${describe(auditedTwice) || 'none'}; cleaned twice, audited once: ` +
          `${describe(cleanedTwice) || 'none'})`,
      );
    }
    const goneLater = tally.survivedTempDirs.filter((dir) => !existsSync(dir)).length;
    if (goneLater > 0) knownIssue(`${goneLater} temp dirs reported as survivors by their cleanup, removed afterwards`);
    if (tally.survived > goneLater) {
      failures.push(`${tally.survived - goneLater} handles survived their cleanup: ${tally.otherSurvivors.join('; ')}`);
    }
    if (snapshot.internalErrors > 0) failures.push(`${snapshot.internalErrors} internal errors of the guard`);
    if (snapshot.inFlight + snapshot.orphanedHandlers > 0)
      failures.push('calls or handlers still in flight at the end');

    const mb = (bytes: number): number => round(bytes / 2 ** 20, 4);
    const figures = (r: Reading) => ({
      fds: fdTotal(r),
      handles: handleTotal(r.truth),
      heapObjectsMb: mb(r.heap.objects),
      heapUsedMb: mb(r.heap.used),
      codeMb: mb(r.heap.code),
    });
    return {
      ok: failures.length === 0,
      failures,
      warnings,
      node: process.version,
      calls: {
        target: options.calls,
        issued: run.issued,
        answered: run.answered,
        byExpectation: run.byExpectation,
        unexpected: run.unexpectedCount,
        examples: run.unexpected,
      },
      warmup: { rounds: warmup.rounds, calls: warmup.calls },
      stoppedBy: run.stoppedBy,
      seconds: round(seconds, 4),
      callsPerSec: round(run.answered / seconds, 4),
      concurrency,
      sessions,
      resources: {
        baseline: figures(before),
        end: figures(after),
        heapObjectsMbAfterEachQuarter: heapByQuarter.map(mb),
        processes: { baseline: before.processes.length, end: after.processes.length, startedByTheRun: escaped.length },
        handlesByType: { baseline: before.truth.handles, end: after.truth.handles },
        descriptorsAdded: addedFds.slice(0, 10),
        peerPorts: { http: env.peer.httpPort, tcp: env.peer.tcpPort, tls: env.peer.tlsPort },
        undiciPoolConnections: { baseline: before.undiciPool, end: after.undiciPool },
      },
      cleanup: {
        events: tally.events,
        byReason: tally.byReason,
        callsLeftOpen: ledger.count(LeftOpen),
        callsTempOnly: ledger.count(TempOnly),
        callsCleaned: ledger.count(CleanedLeak),
        auditEntries: tally.auditEntries,
        leakEvents: tally.leakEvents,
        missing: missing.count,
        unexplained: unexplained.count,
        handlesReportedSurviving: tally.survived,
      },
      knownIssues: { procStatFdsOfExitedProcesses: deadStatFds, survivorsRemovedAfterwards: goneLater },
      guard: {
        internalErrors: snapshot.internalErrors,
        sessionsTracked: snapshot.sessions,
        outcomesByTool: Object.fromEntries(Object.entries(snapshot.tools).map(([name, t]) => [name, t.outcomes])),
      },
      leakCases: cases.length,
    };
  } finally {
    undiciPool.close();
    await host.close();
    await guard.close();
    await env.close();
    rmSync(tempRoot, { recursive: true, force: true });
  }
}
