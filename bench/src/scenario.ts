/** The contract between the runner, the scenarios and the child processes that measure them. */

import type { Spread } from './stats.js';

/** A JSON value, as it crosses the process boundary and lands in the results files. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
/** A JSON object. */
export type JsonObject = { readonly [key: string]: Json };

/** The two configurations every overhead scenario compares. */
export type Variant = 'bare' | 'guarded';

/** How a child drives calls: warm-up, then timed batches, with `concurrency` calls in flight. */
export interface LoopSettings {
  readonly warmupMs: number;
  readonly batchMs: number;
  readonly batches: number;
  readonly concurrency: number;
}

/** What the parent asks a child to measure (passed as JSON in argv). */
export interface ChildRequest {
  readonly scenario: string;
  readonly variant: Variant;
  /** Scenario-specific parameters (tool count, calibrated CPU work, ...). */
  readonly params: JsonObject;
  readonly loop: LoopSettings;
}

/** What a child prints on stdout: one JSON object, nothing else. */
export interface VariantSample {
  readonly variant: Variant;
  /** Median over the timed batches of wall-clock microseconds per completed call. */
  readonly microsPerCall: number;
  readonly batchMicrosPerCall: readonly number[];
  /**
   * Median over the timed batches of process CPU time (user + system, all threads) per completed call:
   * less disturbed than wall time by other load on a shared machine.
   */
  readonly cpuMicrosPerCall: number;
  readonly batchCpuMicrosPerCall: readonly number[];
  /** Calls completed in the timed batches. */
  readonly calls: number;
  /** Calls completed in the whole loop, warm-up included (to normalise a profile of the child). */
  readonly totalCalls: number;
  /** Calls the guard recorded (guarded variant; a check that the guard really ran), else null. */
  readonly guardCalls: number | null;
  /** CPU time of the whole child process when the loop ended, start-up included. */
  readonly processCpuMicros: number;
}

/** A child's sample, with what the runner saw of the machine while the child ran. */
export interface ChildResult extends VariantSample {
  /**
   * CPU cores that other processes kept busy, on average, while the child ran (machine busy time
   * from /proc/stat minus the child's own CPU time, over its wall time); null off Linux.
   */
  readonly backgroundCores: number | null;
}

/** A figure the product cannot produce yet: `value` is null and `reason` says what it waits for. */
export interface NotMeasured {
  readonly value: null;
  readonly reason: string;
}

/**
 * The entry for a figure that needs a feature the product does not have yet.
 *
 * @param feature - what it needs
 * @returns `{ value: null, reason: 'not implemented yet: needs <feature>' }`
 */
export function notImplemented(feature: string): NotMeasured {
  return { value: null, reason: `not implemented yet: needs ${feature}` };
}

/** Bare vs guarded, from alternated child processes. Microseconds are wall clock per completed call. */
export interface OverheadResult {
  /** 1e6 / median over rounds of bare µs per call. */
  readonly bareCallsPerSec: number;
  readonly guardedCallsPerSec: number;
  /** Guarded throughput / bare throughput: the median over rounds of bare µs / guarded µs. */
  readonly ratio: number;
  /** Median over rounds of (guarded µs per call − bare µs per call), each round's two children paired. */
  readonly addedMicrosP50: number;
  readonly bareMicrosPerCall: number;
  readonly guardedMicrosPerCall: number;
  /** Median over rounds of (guarded − bare) process CPU µs per call: the guard's cost, less exposed to other load. */
  readonly addedCpuMicrosP50: number;
  readonly bareCpuMicrosPerCall: number;
  readonly guardedCpuMicrosPerCall: number;
  /** Spread over rounds (each round's value is the median of that child's timed batches). */
  readonly spread: {
    readonly bareCallsPerSec: Spread;
    readonly guardedCallsPerSec: Spread;
    readonly ratio: Spread;
    readonly addedMicros: Spread;
    readonly addedCpuMicros: Spread;
  };
  /** CPU cores other processes kept busy while the children ran (over all children); null off Linux. */
  readonly backgroundCores: Spread | null;
  readonly rounds: number;
  /** Per round, in run order. */
  readonly samples: {
    readonly bareMicrosPerCall: readonly number[];
    readonly guardedMicrosPerCall: readonly number[];
    readonly bareCpuMicrosPerCall: readonly number[];
    readonly guardedCpuMicrosPerCall: readonly number[];
  };
  readonly settings: { readonly loop: LoopSettings; readonly params: JsonObject };
  readonly measuredAt: string;
  /** Wall-clock seconds the comparison took, child start-up included. */
  readonly seconds: number;
}

/** Named sub-results (e.g. `scale.tools1`, `scale.sessions`). */
export interface ResultGroup {
  readonly [part: string]: ScenarioResult;
}

/**
 * Figures of a scenario that is not a bare-vs-guarded comparison (cleanup latency, rates, ...): plain
 * JSON, with {@link NotMeasured} entries for figures that cannot be produced.
 */
export type FigureResult = JsonObject;

/** What a scenario contributes to the results file under its name. */
export type ScenarioResult = OverheadResult | NotMeasured | ResultGroup | FigureResult;

/**
 * Whether a result is a bare-vs-guarded comparison.
 *
 * @param result - a scenario result (or part of one), as read from JSON
 * @returns true for an {@link OverheadResult}
 */
export function isOverhead(result: unknown): result is OverheadResult {
  return typeof result === 'object' && result !== null && typeof (result as OverheadResult).addedMicrosP50 === 'number';
}

/**
 * Whether a result stands for a figure the product cannot produce yet.
 *
 * @param result - a scenario result (or part of one), as read from JSON
 * @returns true for a {@link NotMeasured}
 */
export function isNotMeasured(result: unknown): result is NotMeasured {
  return (
    typeof result === 'object' &&
    result !== null &&
    (result as NotMeasured).value === null &&
    typeof (result as NotMeasured).reason === 'string'
  );
}

/**
 * A measurement that is not a bare-vs-guarded timing loop (cleanup latency, leak corpus, CPU
 * attribution, ...): the child runs the scenario's `task` and prints what it returns.
 */
export interface TaskRequest {
  readonly scenario: string;
  /** Which task of the scenario (a scenario may have several, e.g. `bare` and `guarded`). */
  readonly task: string;
  readonly params: JsonObject;
}

/** What a child running a task prints on stdout: one JSON object. */
export interface TaskEnvelope {
  readonly result: JsonObject;
  /** CPU time of the whole child process when the task ended, start-up included. */
  readonly processCpuMicros: number;
}

/** A task's result, with what the runner saw of the machine while the child ran. */
export interface TaskResult {
  readonly result: JsonObject;
  /** CPU cores other processes kept busy, on average, while the child ran (as for {@link ChildResult}). */
  readonly backgroundCores: number | null;
  /** Wall-clock seconds of the child, start-up included. */
  readonly seconds: number;
}

/** How a task child is started. */
export interface TaskOptions {
  /** Node options for this child, before the script (e.g. `--expose-gc`). */
  readonly nodeOptions?: readonly string[];
  /** Killed after this long (default 300 s). */
  readonly timeoutMs?: number;
}

/** What the runner gives a scenario. */
export interface RunContext {
  /** Fewer rounds and shorter batches: a smoke test of the harness, not a measurement. */
  readonly quick: boolean;
  /** Progress for the terminal (stderr). */
  log(message: string): void;
  /** Runs one variant in a fresh child process and returns its sample. */
  runChild(request: ChildRequest): Promise<ChildResult>;
  /** Runs one task of a scenario in a fresh child process and returns what it printed. */
  runTask(request: TaskRequest, options?: TaskOptions): Promise<TaskResult>;
}

/**
 * One benchmark scenario, in one file under `scenarios/`. `run` executes in the runner and spawns
 * children; `measure` executes in a child (one process per variant and round).
 */
export interface Scenario {
  readonly name: string;
  /** One line for BENCHMARKS.md. */
  readonly description: string;
  /** One line per sub-figure, by dotted name (e.g. `scale.sessions`), for BENCHMARKS.md. */
  readonly figures?: Readonly<Record<string, string>>;
  /** Runs only when named with `--scenario` (a long run); a full run keeps its previous result. */
  readonly onRequest?: boolean;
  run(ctx: RunContext): Promise<ScenarioResult>;
  measure?(request: ChildRequest): Promise<VariantSample>;
  /** Executes in a child started by {@link RunContext.runTask}; returns what the runner gets back. */
  task?(request: TaskRequest): Promise<JsonObject>;
  /** Headline lines for the terminal summary (default: bare-vs-guarded lines, or nothing). */
  summarize?(result: ScenarioResult): string[];
}
