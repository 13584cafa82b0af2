/**
 * Promise and async-iterator APIs of Node that hold a handle until they settle or are aborted through
 * their `signal` option (`timers/promises`, `fs.promises.watch`), and what the tool's promise does once
 * the guard closed the handle.
 *
 * Closing one means taking its handle off the event loop (the timer cleared, the watcher closed). Its
 * promise then never settles, as the callback of a cleared timer never runs: nothing of the ended call
 * runs afterwards, and no rejection can go unhandled (settling it would either run the call's code after
 * its cleanup or reject promises nobody may be listening to). A tool that passed its own `signal` has
 * said it handles aborts: its promise rejects with Node's `AbortError`, exactly as if that signal had
 * aborted.
 */

import type { HandleKind } from '../handle-kind.js';
import type { HandleCloser } from '../handle-registry.js';
import { attribute, currentCall, release } from './attribution.js';

type AnyFn = (...args: unknown[]) => unknown;

/**
 * The guard's hold on one cancellable operation: the signal Node is given (linked to the tool's own,
 * if any), and whether the operation finished or the guard closed it.
 *
 * @example
 * ```ts
 * const link = CancelLink.forOptions(options);
 * if (link !== undefined) promise = timersPromises.setTimeout(ms, value, link.options);
 * ```
 */
export class CancelLink {
  readonly #controller = new AbortController();
  readonly #own: AbortSignal | undefined;
  readonly #onOwnAbort: (() => void) | undefined;
  /** The options to call Node with: the tool's own, with the guard's signal. */
  readonly options: Record<string, unknown>;
  #closedByGuard = false;
  #finished = false;

  private constructor(options: Record<string, unknown> | undefined, own: AbortSignal | undefined) {
    this.#own = own;
    const signal = this.#controller.signal;
    this.options = options === undefined ? { signal } : { ...options, signal };
    if (own !== undefined) {
      this.#onOwnAbort = () => this.#controller.abort(own.reason);
      own.addEventListener('abort', this.#onOwnAbort, { once: true });
    }
  }

  /**
   * A link for the options a tool passed, or `undefined` when Node must see them untouched: options
   * Node rejects anyway, or a signal of the tool's that already aborted (Node rejects at once).
   *
   * @param options - the tool's options argument
   * @returns the link, or undefined
   * @example
   * ```ts
   * CancelLink.forOptions(undefined)?.options; // { signal: AbortSignal }
   * ```
   */
  static forOptions(options: unknown, encodingString = false): CancelLink | undefined {
    if (options === undefined) return new CancelLink(undefined, undefined);
    // fs's whole-file functions take an encoding name in place of their options.
    if (encodingString && typeof options === 'string') return new CancelLink({ encoding: options }, undefined);
    if (typeof options !== 'object' || options === null) return undefined;
    const own = (options as { signal?: unknown }).signal;
    if (own === undefined) return new CancelLink(options as Record<string, unknown>, undefined);
    if (!(own instanceof AbortSignal) || own.aborted) return undefined;
    return new CancelLink(options as Record<string, unknown>, own);
  }

  /** Whether the handle is gone: the operation finished, or the guard aborted it. */
  get closed(): boolean {
    return this.#finished || this.#closedByGuard;
  }

  /** Aborts the operation on behalf of the guard (its handle is released synchronously by Node). */
  close(): void {
    if (this.closed) return;
    this.#closedByGuard = true;
    this.#controller.abort(new Error('closed by the resource guard: the tool call ended'));
  }

  /** The operation settled (or its iterator ended): forget the tool's signal. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#onOwnAbort !== undefined) this.#own?.removeEventListener('abort', this.#onOwnAbort);
  }

  /** Whether a rejection must be withheld: the guard closed it and the tool gave no signal of its own. */
  get parks(): boolean {
    return this.#closedByGuard && this.#own === undefined;
  }
}

/** A promise that never settles: what the tool is left with once the guard closed its operation. */
function parked<T>(): Promise<T> {
  return new Promise<T>(() => {
    // Never settles: nothing of the ended call runs after it, and nothing can go unhandled.
  });
}

/**
 * The promise the tool gets for a promise the guard may close: the same outcome, reported to `ended`,
 * except that a rejection is withheld (the promise never settles) when `parks()` says so.
 *
 * @param promise - Node's promise
 * @param ended - called once it settled
 * @param parks - whether to withhold a rejection
 * @returns the tool's promise
 * @example
 * ```ts
 * return follow(timersPromises.setTimeout(ms, value, link.options), () => release(key), () => link.parks);
 * ```
 */
export function follow<T>(promise: Promise<T>, ended: () => void, parks: () => boolean): Promise<T> {
  return promise.then(
    (value) => {
      ended();
      return value;
    },
    whenRejected<T>(ended, parks),
  );
}

function whenRejected<T>(ended: () => void, parks: () => boolean): (error: unknown) => Promise<T> {
  return (error) => {
    ended();
    if (parks()) return parked<T>();
    throw error;
  };
}

/**
 * The async iterator the tool gets for an async generator the guard may close: every step of `inner`,
 * with its end (done, thrown, returned) reported to `ended`, and rejections withheld when `parks()` says
 * so. It keeps the generator's prototype (`Symbol.asyncIterator`, `Symbol.asyncDispose`, its tag).
 *
 * @param inner - Node's async generator
 * @param ended - called when it ends
 * @param parks - whether to withhold a rejection
 * @returns the tool's iterator
 * @example
 * ```ts
 * const iterator = followIterator(timersPromises.setInterval(ms), () => release(key), () => link.parks);
 * for await (const _ of iterator) break;
 * ```
 */
export function followIterator<T>(
  inner: AsyncGenerator<T>,
  ended: () => void,
  parks: () => boolean,
): AsyncGenerator<T> {
  const done = (result: IteratorResult<T>): IteratorResult<T> => {
    if (result.done === true) ended();
    return result;
  };
  const method = (name: 'next' | 'return' | 'throw'): PropertyDescriptor => ({
    value: (arg?: unknown) =>
      (inner[name] as (a?: unknown) => Promise<IteratorResult<T>>)
        .call(inner, arg)
        .then(done, whenRejected<IteratorResult<T>>(ended, parks)),
    writable: true,
    configurable: true,
  });
  return Object.create(Object.getPrototypeOf(inner) as object, {
    next: method('next'),
    return: method('return'),
    throw: method('throw'),
  }) as AsyncGenerator<T>;
}

/**
 * How one cancellable Node function takes its options and what it returns.
 *
 * @example
 * ```ts
 * const api: CancellableApi = { kind: 'timer', optionsAt: 2, unrefable: true };
 * ```
 */
export interface CancellableApi {
  /** The kind of handle it holds. */
  readonly kind: HandleKind;
  /** The index of its options argument (the one with `signal`). */
  readonly optionsAt: number;
  /** Whether it returns an async generator (otherwise a promise). */
  readonly iterates?: boolean;
  /** Whether the guard cancels it (false: counted while pending, never closed). Default true. */
  readonly cancels?: boolean;
  /** Whether `ref: false` in its options makes it the process's rather than the call's. */
  readonly unrefable?: boolean;
  /** A label for reports, from its arguments. */
  readonly label?: (args: readonly unknown[]) => string | undefined;
  /** Whether its options may be an encoding name (fs's whole-file functions). Default false. */
  readonly encodingOptions?: boolean;
  /** Whether a call with these arguments opens nothing of its own (fs given a descriptor or a FileHandle). */
  readonly opensNothing?: (args: readonly unknown[]) => boolean;
  /** Whether it takes a callback last instead of returning a promise. Default false. */
  readonly callback?: boolean;
}

/**
 * Wraps a cancellable Node function: inside a call, what it opens is the call's, with a signal the guard
 * aborts at cleanup; outside a call it runs untouched.
 *
 * @param original - Node's function
 * @param api - how it takes its options and what it returns
 * @returns the wrapped function
 * @example
 * ```ts
 * timersPromises.setTimeout = wrapCancellable(original, { kind: 'timer', optionsAt: 2, unrefable: true });
 * ```
 */
export function wrapCancellable(original: AnyFn, api: CancellableApi): AnyFn {
  const { kind, optionsAt, iterates = false, cancels = true, unrefable = false, callback = false } = api;
  return function cancellable(this: unknown, ...args: unknown[]): unknown {
    const call = currentCall();
    if (call === undefined || api.opensNothing?.(args) === true) return original.apply(this, args);
    let done: ((...results: unknown[]) => void) | undefined;
    if (callback) {
      // (..., options?, callback): the options slot is made explicit, for the guard's signal.
      const last = args.length - 1;
      if (last < optionsAt || typeof args[last] !== 'function') return original.apply(this, args);
      done = args[last] as (...results: unknown[]) => void;
      if (last === optionsAt) args.splice(optionsAt, 0, undefined);
    }
    const options = args[optionsAt];
    let link: CancelLink | undefined;
    if (cancels) {
      link = CancelLink.forOptions(options, api.encodingOptions === true);
      if (link === undefined) {
        if (done !== undefined && options === undefined) args.splice(optionsAt, 1);
        return original.apply(this, args);
      }
      args[optionsAt] = link.options;
    }
    const key = {};
    let ended = false;
    const end = (): void => {
      ended = true;
      link?.finish();
      release(key);
    };
    const parks = (): boolean => link?.parks === true;
    const shared = !cancels || (unrefable && (options as { ref?: unknown } | undefined)?.ref === false);
    const closer: HandleCloser = {
      close: () => link?.close(),
      isClosed: () => ended || link?.closed === true,
      isShared: () => shared,
    };
    if (done !== undefined) {
      const cb = done;
      args[args.length - 1] = function settled(this: unknown, ...results: unknown[]): void {
        end();
        // Closed by the guard, with no signal of the tool's: the callback never runs, as with a cleared timer.
        if (results[0] != null && parks()) return;
        cb.apply(this, results);
      };
    }
    attribute(key, kind, closer, api.label?.(args), call);
    let result: unknown;
    try {
      result = original.apply(this, args);
    } catch (error) {
      end();
      throw error;
    }
    if (done !== undefined) return result;
    return iterates
      ? followIterator(result as AsyncGenerator<unknown>, end, parks)
      : follow(result as Promise<unknown>, end, parks);
  };
}
