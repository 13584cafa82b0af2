/**
 * Attributes timers to calls: setTimeout, setInterval and setImmediate, as callbacks and from
 * `node:timers/promises` (with `scheduler.wait` / `scheduler.yield`). Timeouts and intervals still
 * pending when the call ends are leaks, cleared by cleanup. Unref'd timers are counted while the call runs and
 * released, not cleared, when it ends (see `isShared` below). An immediate is only counted while pending (no
 * handle, closer or map entry: it runs on the next turn anyway), unless it is a link of a self-rescheduling chain,
 * which is tracked as a handle and stopped after its call.
 */

import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import type { HandleCloser } from '../handle-registry.js';
import type { TrackedCall } from '../tool-call.js';
import { attribute, currentCall, release } from './attribution.js';
import { wrapCancellable } from './cancellable.js';

type AnyFn = (...args: unknown[]) => unknown;
interface TimerLike {
  hasRef?(): boolean;
}

interface TimerEntry {
  pending: boolean;
  /** An immediate that its own callback (or a long chain of immediates) scheduled again: a loop, not a turn. */
  chained: boolean;
}

/**
 * The callback of the call's immediate that is running, if any, and how many immediates scheduled from
 * immediates led to it: an immediate scheduled from it with the same callback, or at the end of a long chain of
 * immediates scheduled from immediates, is a self-rescheduling loop. Scheduling from the promise continuations
 * that follow it does not count (they run after it returned).
 */
let runningCallback: unknown;
let runningDepth = -1;
/**
 * On an immediate counted (not tracked) for a call: that call, until it runs or is cleared. A property of the
 * Immediate itself, not a WeakMap entry: most immediates of a call are of this kind (libraries resume work with
 * them, `await new Promise(setImmediate)` yields to the loop), and cost no handle, closer or map entry.
 */
const COUNTED = Symbol('mcp-resource-guard.counted-immediate');

interface CountedImmediate {
  [COUNTED]?: TrackedCall | undefined;
}

/** Uncounts an immediate that ran or was cleared, if it was counted. */
function uncount(immediate: CountedImmediate): void {
  const call = immediate[COUNTED];
  if (call === undefined) return;
  immediate[COUNTED] = undefined;
  call.handles.countImmediate(-1);
}
/** Links of immediates scheduled from immediates, with different callbacks, that make a loop. */
const CHAIN_DEPTH = 16;

const promisifyCustom: symbol = promisify.custom;

/** Runs an immediate's callback as the running immediate (for chain detection). */
function runImmediate(self: unknown, callback: AnyFn, depth: number, args: unknown[]): unknown {
  const outerCallback = runningCallback;
  const outerDepth = runningDepth;
  runningCallback = callback;
  runningDepth = depth;
  try {
    return callback.apply(self, args);
  } finally {
    runningCallback = outerCallback;
    runningDepth = outerDepth;
  }
}

/** Pending state of each attributed timer, by the timer object Node returns. */
const entries = new WeakMap<object, TimerEntry>();

function closer(
  timer: TimerLike & object,
  entry: TimerEntry,
  clear: (t: unknown) => void,
  kind: 'timer' | 'interval' | 'immediate',
): HandleCloser {
  return {
    close: () => {
      if (entry.pending) clear(timer);
      entry.pending = false;
    },
    isClosed: () => !entry.pending,
    // An unref'd timer does not keep the process alive: not the call's to close. An immediate runs on
    // the next turn of the loop anyway, and libraries (undici) resume their own work with one: counted
    // while the call runs, never cleared; unless it is a link of a self-rescheduling chain, which would
    // run on for ever after the call.
    isShared: () => (kind === 'immediate' ? !entry.chained : typeof timer.hasRef === 'function' && !timer.hasRef()),
  };
}

/**
 * Installs the timer probe; returns the function that uninstalls it.
 *
 * @returns uninstall
 */
export function installTimerProbe(): () => void {
  const g = globalThis as unknown as Record<string, AnyFn>;
  const t = timers as unknown as Record<string, AnyFn>;
  const original = {
    setTimeout: g.setTimeout as AnyFn,
    setInterval: g.setInterval as AnyFn,
    setImmediate: g.setImmediate as AnyFn,
    clearTimeout: g.clearTimeout as AnyFn,
    clearInterval: g.clearInterval as AnyFn,
    clearImmediate: g.clearImmediate as AnyFn,
  };
  const moduleOriginal = {
    setTimeout: t.setTimeout as AnyFn,
    setInterval: t.setInterval as AnyFn,
    setImmediate: t.setImmediate as AnyFn,
    clearTimeout: t.clearTimeout as AnyFn,
    clearInterval: t.clearInterval as AnyFn,
    clearImmediate: t.clearImmediate as AnyFn,
  };

  const schedule = (create: AnyFn, clear: AnyFn, kind: 'timer' | 'interval' | 'immediate', repeats: boolean): AnyFn =>
    function scheduled(this: unknown, callback: unknown, ...rest: unknown[]): unknown {
      const call = currentCall();
      if (call === undefined || typeof callback !== 'function') return create.call(this, callback, ...rest);
      const inImmediate = kind === 'immediate' && runningDepth >= 0;
      const depth = inImmediate ? runningDepth + 1 : 0;
      const chained = inImmediate && (runningCallback === callback || depth >= CHAIN_DEPTH);
      if (kind === 'immediate' && !chained) return countImmediate(create, this, call, callback as AnyFn, depth, rest);
      const entry: TimerEntry = { pending: true, chained };
      // A loop that outlived its call (its first turn was scheduled before the end, and released as any
      // immediate): its next turn never runs. It stays pending, so the guard reports it as a late leak. A tool
      // whose leak policy is `report` keeps its background work: the loop runs on.
      const stopped = chained && call.ended && call.leakPolicy === 'close';
      let timer: object | undefined;
      const run = function (this: unknown, ...args: unknown[]): unknown {
        if (stopped) return undefined;
        if (!repeats) {
          entry.pending = false;
          if (timer !== undefined) release(timer);
        }
        if (kind !== 'immediate') return (callback as AnyFn).apply(this, args);
        return runImmediate(this, callback as AnyFn, depth, args);
      };
      timer = create.call(this, run, ...rest) as object;
      entries.set(timer, entry);
      attribute(
        timer,
        kind,
        closer(timer, entry, (x) => clear.call(globalThis, x), kind),
        undefined,
        call,
      );
      return timer;
    };

  /** A single immediate (not a link of a chain): counted while pending, its callback run as a possible chain's start. */
  const countImmediate = (
    create: AnyFn,
    self: unknown,
    call: TrackedCall,
    callback: AnyFn,
    depth: number,
    rest: unknown[],
  ): unknown => {
    // After its call ended, an immediate is nothing of the call's: it runs on the next turn.
    const counted = !call.ended;
    let immediate: CountedImmediate | undefined;
    const run = function (this: unknown, ...args: unknown[]): unknown {
      if (immediate !== undefined) uncount(immediate);
      return runImmediate(this, callback, depth, args);
    };
    immediate = create.call(self, run, ...rest) as CountedImmediate;
    if (counted) {
      immediate[COUNTED] = call;
      call.handles.countImmediate(1);
    }
    return immediate;
  };

  const cancel = (clear: AnyFn): AnyFn =>
    function cancelled(this: unknown, timer: unknown): unknown {
      if (typeof timer === 'object' && timer !== null) {
        uncount(timer as CountedImmediate);
        const entry = entries.get(timer);
        if (entry !== undefined) {
          entry.pending = false;
          release(timer);
        }
      }
      return clear.call(this, timer);
    };

  const patched = {
    setTimeout: schedule(original.setTimeout, original.clearTimeout, 'timer', false),
    setInterval: schedule(original.setInterval, original.clearInterval, 'interval', true),
    setImmediate: schedule(original.setImmediate, original.clearImmediate, 'immediate', false),
    clearTimeout: cancel(original.clearTimeout),
    clearInterval: cancel(original.clearInterval),
    clearImmediate: cancel(original.clearImmediate),
  };
  // util.promisify(setTimeout) and friends rely on a custom symbol carried by the original functions: a
  // getter that reads `timers/promises` when asked, so it finds the wrapped promise timers below.
  for (const name of ['setTimeout', 'setImmediate'] as const) {
    const custom = Object.getOwnPropertyDescriptor(original[name], promisifyCustom);
    if (custom !== undefined) Object.defineProperty(patched[name], promisifyCustom, custom);
  }
  for (const [name, fn] of Object.entries(patched)) {
    g[name] = fn;
    t[name] = fn;
  }

  const tp = timersPromises as unknown as Record<string, AnyFn>;
  const promiseOriginal = { setTimeout: tp.setTimeout, setInterval: tp.setInterval, setImmediate: tp.setImmediate };
  const promisePatched = {
    setTimeout: wrapCancellable(tp.setTimeout as AnyFn, { kind: 'timer', optionsAt: 2, unrefable: true }),
    setInterval: wrapCancellable(tp.setInterval as AnyFn, {
      kind: 'interval',
      optionsAt: 2,
      unrefable: true,
      iterates: true,
    }),
    // Immediates get no signal: counted while pending, never cancelled, like callback immediates.
    setImmediate: wrapCancellable(tp.setImmediate as AnyFn, { kind: 'immediate', optionsAt: 1, cancels: false }),
  };
  Object.assign(tp, promisePatched);
  // scheduler.wait / scheduler.yield call the module's own functions: the instance gets its own methods.
  const scheduler = timersPromises.scheduler as unknown as Record<string, unknown>;
  Object.defineProperties(scheduler, {
    wait: {
      value: (delay: unknown, options?: unknown) => promisePatched.setTimeout(delay, undefined, options),
      configurable: true,
      writable: true,
    },
    yield: { value: () => promisePatched.setImmediate(), configurable: true, writable: true },
  });
  syncBuiltinESMExports();
  return () => {
    for (const [name, fn] of Object.entries(original)) g[name] = fn;
    for (const [name, fn] of Object.entries(moduleOriginal)) t[name] = fn;
    Object.assign(tp, promiseOriginal);
    delete scheduler.wait;
    delete scheduler.yield;
    syncBuiltinESMExports();
  };
}
