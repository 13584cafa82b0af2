/**
 * Attributes timers to calls: setTimeout, setInterval and setImmediate, as callbacks and from
 * `node:timers/promises` (with `scheduler.wait` / `scheduler.yield`). Timeouts and intervals still
 * pending when the call ends are leaks, cleared by cleanup. Unref'd timers and immediates are counted
 * while the call runs and released, not cleared, when it ends (see `isShared` below).
 */

import { syncBuiltinESMExports } from 'node:module';
import timers from 'node:timers';
import timersPromises from 'node:timers/promises';
import { promisify } from 'node:util';
import type { HandleCloser } from '../handle-registry.js';
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
 * The attributed immediate whose callback is running, if any: an immediate scheduled from it with the same
 * callback, or at the end of a long chain of immediates scheduled from immediates, is a self-rescheduling loop.
 * Scheduling from the promise continuations that follow it does not count (they run after it returned).
 */
let runningImmediate: { callback: unknown; depth: number } | undefined;
/** Links of immediates scheduled from immediates, with different callbacks, that make a loop. */
const CHAIN_DEPTH = 16;

const promisifyCustom: symbol = promisify.custom;

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
      const parent = kind === 'immediate' ? runningImmediate : undefined;
      const depth = parent === undefined ? 0 : parent.depth + 1;
      const chained = parent !== undefined && (parent.callback === callback || depth >= CHAIN_DEPTH);
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
        const outer = runningImmediate;
        runningImmediate = { callback, depth };
        try {
          return (callback as AnyFn).apply(this, args);
        } finally {
          runningImmediate = outer;
        }
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

  const cancel = (clear: AnyFn): AnyFn =>
    function cancelled(this: unknown, timer: unknown): unknown {
      if (typeof timer === 'object' && timer !== null) {
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
