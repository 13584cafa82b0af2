/**
 * The contract between the runner, the scenarios and the child processes that measure them, and the shapes of
 * what crosses the process boundary and lands in the results files (zod schemas, each with its type of the same
 * name: the results files are checked against them when read back).
 */

import * as z from 'zod';
import { Spread } from './stats.js';

/** A JSON value, as it crosses the process boundary and lands in the results files. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };
export const Json: z.ZodType<Json> = z.lazy(() =>
  z.union([z.null(), z.boolean(), z.number(), z.string(), z.array(Json), z.record(z.string(), Json)]),
);
/** A JSON object. */
export type JsonObject = { readonly [key: string]: Json };
export const JsonObject: z.ZodType<JsonObject> = z.record(z.string(), Json);

/** The two configurations every overhead scenario compares. */
export type Variant = 'bare' | 'guarded';

/** How a child drives calls: warm-up, then timed batches, with `concurrency` calls in flight. */
export const LoopSettings = z.object({
  warmupMs: z.number(),
  batchMs: z.number(),
  batches: z.number(),
  concurrency: z.number(),
});
export type LoopSettings = z.infer<typeof LoopSettings>;

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
export const NotMeasured = z.object({ value: z.null(), reason: z.string() });
export type NotMeasured = z.infer<typeof NotMeasured>;

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
export const OverheadResult = z.object({
  /** 1e6 / median over rounds of bare µs per call. */
  bareCallsPerSec: z.number(),
  guardedCallsPerSec: z.number(),
  /** Guarded throughput / bare throughput: the median over rounds of bare µs / guarded µs. */
  ratio: z.number(),
  /** Median over rounds of (guarded µs per call − bare µs per call), each round's two children paired. */
  addedMicrosP50: z.number(),
  bareMicrosPerCall: z.number(),
  guardedMicrosPerCall: z.number(),
  /** Median over rounds of (guarded − bare) process CPU µs per call: the guard's cost, less exposed to other load. */
  addedCpuMicrosP50: z.number(),
  bareCpuMicrosPerCall: z.number(),
  guardedCpuMicrosPerCall: z.number(),
  /** Spread over rounds (each round's value is the median of that child's timed batches). */
  spread: z.object({
    bareCallsPerSec: Spread,
    guardedCallsPerSec: Spread,
    ratio: Spread,
    addedMicros: Spread,
    addedCpuMicros: Spread,
  }),
  /** CPU cores other processes kept busy while the children ran (over all children); null off Linux. */
  backgroundCores: Spread.nullable(),
  rounds: z.number(),
  /** Per round, in run order. */
  samples: z.object({
    bareMicrosPerCall: z.array(z.number()),
    guardedMicrosPerCall: z.array(z.number()),
    bareCpuMicrosPerCall: z.array(z.number()),
    guardedCpuMicrosPerCall: z.array(z.number()),
  }),
  settings: z.object({ loop: LoopSettings, params: JsonObject }),
  measuredAt: z.string(),
  /** Wall-clock seconds the comparison took, child start-up included. */
  seconds: z.number(),
});
export type OverheadResult = z.infer<typeof OverheadResult>;

/** A figure of a scenario's result under its dotted name (e.g. `scale.tools1`). */
export type Figure<T> = readonly [name: string, value: T];

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
  /** What the scenario's `task` returned. */
  readonly result: unknown;
  /** CPU time of the whole child process when the task ended, start-up included. */
  readonly processCpuMicros: number;
}

/** A task child as the runner saw it, recorded beside its result. */
export const ChildRun = z.object({
  /** CPU cores other processes kept busy, on average, while the child ran (as for {@link ChildResult}). */
  backgroundCores: z.number().nullable(),
  /** Wall-clock seconds of the child, start-up included. */
  seconds: z.number(),
});
export type ChildRun = z.infer<typeof ChildRun>;

/** A task's result, checked against the shape the runner expects, with the child's run. */
export type TaskResult<T> = ChildRun & { readonly result: T };

/** What a scenario that runs one task records beside the task's result: the child's run, and when. */
export const TaskRun = ChildRun.extend({ measuredAt: z.string() });
export type TaskRun = z.infer<typeof TaskRun>;

/**
 * A task's result with the run recorded beside it, as a scenario that runs one task returns it.
 *
 * @param run - what {@link RunContext.runTask} returned
 * @returns the task's result, the other load, the child's wall time and the time now
 */
export function withTaskRun<T extends object>(run: TaskResult<T>): T & TaskRun {
  return {
    ...run.result,
    backgroundCores: run.backgroundCores,
    seconds: run.seconds,
    measuredAt: new Date().toISOString(),
  };
}

/**
 * The shape of the result of a scenario measured in several children, one after the other: its headline figures
 * (the medians over the children, see {@link runInChildren}), each child's figures with its run, the settings, and when.
 *
 * @param headlines - the headline figures, which each child also returns
 * @param child - what a child returns
 * @param settings - what the children were asked to do
 * @returns the shape
 */
export function inChildren<H extends z.core.$ZodShape, C extends z.core.$ZodShape, S extends z.ZodType>(
  headlines: z.ZodObject<H>,
  child: z.ZodObject<C>,
  settings: S,
) {
  return headlines.extend({ rounds: z.array(child.extend(ChildRun.shape)), settings, measuredAt: z.string() });
}

/**
 * Runs a task in `rounds` fresh children, one after the other.
 *
 * @param ctx - the runner's context
 * @param rounds - how many children
 * @param request - the task
 * @param output - the shape of what the task returns
 * @param options - how each child is started
 * @param describe - a child's progress line
 * @returns each child's result with its run, in run order
 */
export async function runInChildren<T extends object>(
  ctx: RunContext,
  rounds: number,
  request: TaskRequest,
  output: z.ZodType<T>,
  options: TaskOptions,
  describe: (child: T & ChildRun) => string,
): Promise<(T & ChildRun)[]> {
  const children: (T & ChildRun)[] = [];
  for (let r = 0; r < rounds; r++) {
    const { result, backgroundCores, seconds } = await ctx.runTask(request, output, options);
    const child = { ...result, backgroundCores, seconds };
    children.push(child);
    ctx.log(`${request.scenario} round ${r + 1}/${rounds}: ${describe(child)}`);
  }
  return children;
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
  /**
   * Runs one task of a scenario in a fresh child process and returns what it printed, checked against `output`
   * (the shape of what the task returns).
   */
  runTask<T>(request: TaskRequest, output: z.ZodType<T>, options?: TaskOptions): Promise<TaskResult<T>>;
}

/**
 * One benchmark scenario, in one file under `scenarios/`, whose result (what `run` returns and the results file
 * holds under its name) is an `R`. `run` executes in the runner and spawns children; `measure` and `task` execute
 * in a child (one process per variant and round, or per task).
 */
export interface Scenario<R> {
  readonly name: string;
  /** One line for BENCHMARKS.md. */
  readonly description: string;
  /** One line per sub-figure, by dotted name (e.g. `scale.sessions`), for BENCHMARKS.md. */
  readonly figures?: Readonly<Record<string, string>>;
  /** Runs only when named with `--scenario` (a long run); a full run keeps its previous result. */
  readonly onRequest?: boolean;
  /** The shape of a result: what the results file is checked against when it is read back. */
  readonly result: z.ZodType<R>;
  run(ctx: RunContext): Promise<R>;
  /** The bare-vs-guarded comparisons in a result, by figure name: the overhead tables and the summary show them. */
  overheads?(result: R): readonly Figure<OverheadResult>[];
  /** The figures in a result that the product cannot produce yet. */
  notMeasured?(result: R): readonly Figure<NotMeasured>[];
  measure?(request: ChildRequest): Promise<VariantSample>;
  /** Executes in a child started by {@link RunContext.runTask}; returns what the runner gets back. */
  task?(request: TaskRequest): Promise<unknown>;
  /** Headline lines for the terminal summary, after a line per comparison and per figure not measured. */
  summarize?(result: R): string[];
}

/**
 * A value read from a child or a results file, checked against its shape.
 *
 * @param shape - what it should be
 * @param value - what was read
 * @param what - names it in the error (e.g. `task cleanup/latency`)
 * @returns the value, typed
 * @throws when it is not of that shape, with every place where it is not
 */
export function checked<T>(shape: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = shape.safeParse(value);
  if (!parsed.success) throw new Error(`${what} is not of the expected shape:\n${z.prettifyError(parsed.error)}`);
  return parsed.data;
}
