/**
 * The soak's calls: the tools every soak server registers (trivial, the leak corpus's leaky bodies and their
 * clean counterparts, temp files, failures, a call the client cancels, a call stopped at its time limit), the
 * ledger in which the tools note which calls left something open, and the seeded draw of the next call.
 */

import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { join } from 'node:path';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';
import { type CallLedger, CallMark } from './call-ledger.js';
import type { Core } from './core.js';
import type { CorpusEnv, LeakCase } from './leak-corpus.js';

/** The tool stopped at its time limit, and that limit (per call). */
export const HANG_TOOL = 'hang';
export const HANG_LIMIT_MS = 30;

/** How the client expects a call to end. */
export type Expectation = 'ok' | 'error' | 'cancel';

/** One drawn call. */
export interface SoakCall {
  readonly tool: string;
  readonly args: Record<string, unknown>;
  readonly expect: Expectation;
  /** For `ok`: the text the answer must carry. */
  readonly text?: string;
  /** For `cancel`: the client aborts the request after this long. */
  readonly abortAfterMs?: number;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** Resolves on the signal's abort or after `ms` (a timer of no call, so that it is never the call's leak). */
function abortedOrAfter(signal: AbortSignal, ms: number, core: Core): Promise<void> {
  return new Promise((resolve) => {
    const timer = core.runShared(() => setTimeout(resolve, ms));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** The soak's tools other than the corpus's two; a call's ledger label is its corpus entry, or 100 + its index here. */
const OTHER_TOOLS = ['echo', 'temp_files', 'throws', 'rejects', 'cancel_me', HANG_TOOL] as const;
const CORPUS_LABELS = 100;

/**
 * What a ledger label stands for.
 *
 * @param label - from {@link CallLedger.labelOf}
 * @param cases - the corpus entries in use
 * @returns the tool, or the corpus entry's name
 */
export function describeLabel(label: number, cases: readonly LeakCase[]): string {
  if (label < 0) return 'unknown';
  return label < CORPUS_LABELS ? `corpus: ${cases[label]?.name}` : (OTHER_TOOLS[label - CORPUS_LABELS] ?? 'unknown');
}

/**
 * Registers the soak's tools on a server. The tools mark in `ledger` each call that ends holding something
 * (`LeftOpen`) or only its temp dir (`TempOnly`), and label every call with what it ran.
 *
 * @param server - a new server (behind the guard)
 * @param env - the leak corpus's environment
 * @param cases - the leak corpus entries this machine can run (at most 100)
 * @param ledger - the run's ledger
 * @param core - the core module (for the call context and `runShared`)
 */
export function registerSoakTools(
  server: McpServer,
  env: CorpusEnv,
  cases: readonly LeakCase[],
  ledger: CallLedger,
  core: Core,
): void {
  const context = (label: number | (typeof OTHER_TOOLS)[number]) => {
    const ctx = core.getCallContext();
    ledger.label(ctx.callId, typeof label === 'number' ? label : CORPUS_LABELS + OTHER_TOOLS.indexOf(label));
    return ctx;
  };
  const entry = {
    index: z
      .number()
      .int()
      .min(0)
      .max(cases.length - 1),
  };
  server.registerTool('echo', { inputSchema: { text: z.string() } }, ({ text: t }) => {
    context('echo');
    return text(t);
  });
  server.registerTool('corpus_leak', { inputSchema: entry }, async ({ index }) => {
    const ctx = context(index);
    await cases[index]!.leak(env, ctx);
    ledger.mark(ctx.callId, CallMark.LeftOpen);
    return text('leaked');
  });
  server.registerTool('corpus_clean', { inputSchema: entry }, async ({ index }) => {
    await cases[index]!.clean(env, context(index));
    return text('clean');
  });
  server.registerTool('temp_files', {}, async () => {
    const ctx = context('temp_files');
    for (let i = 0; i < 3; i++) await fsp.writeFile(join(ctx.tempDir(), `f${i}`), 'soak'.repeat(256));
    ledger.mark(ctx.callId, CallMark.TempOnly);
    return text('written');
  });
  server.registerTool('throws', {}, async () => {
    const ctx = context('throws');
    await fsp.open(env.file, 'r');
    ledger.mark(ctx.callId, CallMark.LeftOpen);
    throw new Error('soak failure');
  });
  server.registerTool('rejects', {}, () => {
    context('rejects');
    return Promise.reject('a plain string');
  });
  server.registerTool('cancel_me', {}, async () => {
    const ctx = context('cancel_me');
    // Checked and opened in one tick: a cancel that came first leaves nothing, one that comes later finds a file.
    if (ctx.signal.aborted) return text('cancelled before it started');
    fs.openSync(env.file, 'r');
    ledger.mark(ctx.callId, CallMark.LeftOpen);
    await abortedOrAfter(ctx.signal, 5000, core);
    return text('not cancelled');
  });
  server.registerTool(HANG_TOOL, {}, async () => {
    const ctx = context(HANG_TOOL);
    fs.openSync(env.file, 'r');
    ledger.mark(ctx.callId, CallMark.LeftOpen);
    await new Promise((resolve) => core.runShared(() => setTimeout(resolve, 100))); // ignores its signal
    return text('too late');
  });
}

/** An index drawn with probability proportional to its weight. */
function weightedIndex(random: () => number, weights: readonly number[]): number {
  let r = random() * weights.reduce((a, b) => a + b, 0);
  for (let i = 0; i < weights.length - 1; i++) {
    r -= weights[i]!;
    if (r < 0) return i;
  }
  return weights.length - 1;
}

/** Draw weights (out of 100). Process-starting corpus entries are drawn a quarter as often as the others. */
const WEIGHTS = {
  echo: 45,
  corpus_clean: 18,
  corpus_leak: 18,
  temp_files: 5,
  throws: 4,
  rejects: 3,
  cancel_me: 4,
  [HANG_TOOL]: 3,
} as const;

/**
 * A seeded draw of soak calls.
 *
 * @param random - a PRNG (same seed, same calls)
 * @param cases - the leak corpus entries this machine can run
 * @returns a function drawing the next call
 */
export function soakCallDraw(random: () => number, cases: readonly LeakCase[]): () => SoakCall {
  const corpusWeights = cases.map((c) => (c.processes === true ? 1 : 4));
  const corpusIndex = (): number => weightedIndex(random, corpusWeights);
  const tools = Object.keys(WEIGHTS);
  const toolWeights = Object.values(WEIGHTS);
  let serial = 0;
  return () => {
    const tool = tools[weightedIndex(random, toolWeights)]!;
    switch (tool) {
      case 'echo': {
        const t = `soak ${serial++}`;
        return { tool, args: { text: t }, expect: 'ok', text: t };
      }
      case 'corpus_leak':
        return { tool, args: { index: corpusIndex() }, expect: 'ok', text: 'leaked' };
      case 'corpus_clean':
        return { tool, args: { index: corpusIndex() }, expect: 'ok', text: 'clean' };
      case 'temp_files':
        return { tool, args: {}, expect: 'ok', text: 'written' };
      case 'cancel_me':
        return { tool, args: {}, expect: 'cancel', abortAfterMs: 2 + Math.floor(random() * 10) };
      default:
        return { tool, args: {}, expect: 'error' };
    }
  };
}
