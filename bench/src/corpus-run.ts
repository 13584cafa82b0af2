/** Runs corpus bodies in fresh guarded calls and reads, for each, what the guard said and what was true. */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type Excess,
  excess,
  type GroundTruth,
  type GroundTruthOptions,
  readGroundTruth,
  settleTo,
  steadyReading,
} from '@mcp-resource-guard/test-support';
import type { CallContext, CleanupReport, Core, LeakEvent, ResourceGuard } from './core.js';
import { type CorpusEnv, closeSharedLeftovers, createCorpusEnv } from './leak-corpus.js';

/** What one call of a corpus body left, by the guard's account and by the process's. */
export interface CorpusCall {
  readonly callId: string;
  /** Handles the guard reported in `leak` events for the call (0: no event). */
  readonly guardLeaked: number;
  /** The same by kind. */
  readonly guardKinds: Readonly<Record<string, number>>;
  /** Whether the guard emitted at least one `leak` event for the call. */
  readonly leakEvent: boolean;
  /** The guard's cleanup report (undefined: no cleanup ran). */
  readonly cleanup: CleanupReport | undefined;
  /** Ground truth right after the body returned, above the baseline (when ground truth was read). */
  readonly atEnd: Excess | undefined;
  /** Ground truth after the cleanup and a settling wait, above the baseline (when read). */
  readonly remaining: Excess | undefined;
  /** The call's own measurement of its cleanup: from `call.end()` to `await call.settled`, in ms. */
  readonly cleanupMs: number;
  /** What the body threw, if it did (the call then ended as `thrown`). */
  readonly error: string | undefined;
}

/** A guard, the corpus environment and the bookkeeping of leak events, in one child process. */
export interface CorpusRunner {
  readonly guard: ResourceGuard;
  readonly env: CorpusEnv;
  /** The guard's temp root (its per-call directories are counted by ground truth). */
  readonly tempRoot: string;
  /**
   * Runs a body in a fresh call of tool `corpus`.
   *
   * @param body - the code of the call
   * @param groundTruth - what to count (undefined: skip ground truth)
   * @param baseline - the reading to compare with (required with ground truth)
   * @returns what happened
   */
  run(
    body: (env: CorpusEnv, ctx: CallContext) => Promise<void>,
    groundTruth?: {
      readonly options: GroundTruthOptions;
      readonly baseline: GroundTruth;
      /** How long to let things settle after the cleanup (default 2000 ms). */
      readonly settleMs?: number;
    },
  ): Promise<CorpusCall>;
  /**
   * Ground-truth options for a case: the temp root always, the process marker when it starts processes (requests
   * in flight never: they come and go with any I/O).
   */
  optionsFor(processes: boolean | undefined): GroundTruthOptions;
  /** A steady reading (nothing opening or closing), outside any call, after closing shared leftovers. */
  baseline(options: GroundTruthOptions): Promise<GroundTruth>;
  close(): Promise<void>;
}

/**
 * Creates the guard (all probes on, default cleanup timings) and the corpus environment.
 *
 * @param core - the core module
 * @returns the runner
 */
export async function createCorpusRunner(core: Core): Promise<CorpusRunner> {
  const tempRoot = mkdtempSync(join(tmpdir(), 'mcp-resource-guard-corpus-root-'));
  const guard = core.createResourceGuard({ tempRoot });
  const env = await createCorpusEnv(core, guard);
  const leaks = new Map<string, LeakEvent[]>();
  guard.on('leak', (event) => {
    const list = leaks.get(event.callId) ?? [];
    list.push(event);
    leaks.set(event.callId, list);
  });
  return {
    guard,
    env,
    tempRoot,
    optionsFor: (processes) => ({
      requests: false,
      dir: tempRoot,
      processMarker: processes === true ? env.marker : undefined,
    }),
    async baseline(options) {
      await closeSharedLeftovers();
      return steadyReading({ ...options, stepMs: 10, repeats: 2 });
    },
    async run(body, groundTruth) {
      const call = core.tryAdmit(guard, { toolName: 'corpus' }) ?? (await guard.admit({ toolName: 'corpus' }));
      let error: string | undefined;
      try {
        await call.run(() => body(env, call));
      } catch (e) {
        const cause = (e as { cause?: { code?: unknown } }).cause?.code;
        error = `${e instanceof Error ? e.message : String(e)}${cause === undefined ? '' : ` (${String(cause)})`}`;
      }
      const atEnd = groundTruth === undefined ? undefined : readGroundTruth(groundTruth.options);
      const started = performance.now();
      call.end(error === undefined ? 'ok' : 'thrown');
      const cleanup = await call.settled;
      const cleanupMs = performance.now() - started;
      const remaining =
        groundTruth === undefined
          ? undefined
          : await settleTo(groundTruth.baseline, {
              ...groundTruth.options,
              timeoutMs: groundTruth.settleMs ?? 2000,
              stepMs: 5,
              repeats: 1,
            });
      const events = leaks.get(call.callId) ?? [];
      leaks.delete(call.callId);
      const guardKinds: Record<string, number> = {};
      let guardLeaked = 0;
      for (const event of events) {
        guardLeaked += event.total;
        for (const [kind, n] of Object.entries(event.handles)) guardKinds[kind] = (guardKinds[kind] ?? 0) + (n ?? 0);
      }
      return {
        callId: call.callId,
        guardLeaked,
        guardKinds,
        leakEvent: events.length > 0,
        cleanup,
        atEnd: atEnd === undefined || groundTruth === undefined ? undefined : excess(groundTruth.baseline, atEnd),
        remaining,
        cleanupMs,
        error,
      };
    },
    async close() {
      await closeSharedLeftovers();
      await guard.close();
      await env.close();
      rmSync(tempRoot, { recursive: true, force: true });
    },
  };
}
