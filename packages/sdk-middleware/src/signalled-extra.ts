/**
 * The `extra` handed to an SDK v1 tool handler when a middleware replaced the request's signal: a copy of the
 * SDK's own (its fields, as they are when the handler starts), whose `signal` is read from the middleware when
 * the handler reads it, so that a signal nobody reads costs nothing. One shape for every call (the getter lives
 * on the prototype): copying the SDK's fields is cheaper than redefining its `signal` in place, which turned
 * each request's object into a slow dictionary.
 */

/** Where the signal comes from. */
interface SignalSource {
  readonly signal: AbortSignal;
}

/** A copy of the SDK's `extra` with the middleware's `signal`. */
export class SignalledExtra {
  readonly #source: SignalSource;

  /**
   * @param extra - the SDK's extra for this request
   * @param source - the call's context, whose `signal` the handler sees
   */
  constructor(extra: Readonly<Record<string, unknown>>, source: SignalSource) {
    this.#source = source;
    // The SDK's own `signal` lands in the setter below, which drops it.
    Object.assign(this, extra);
  }

  /** The request's signal as the middlewares made it (aborted when the guard stops the call). */
  get signal(): AbortSignal {
    return this.#source.signal;
  }

  set signal(_ignored: AbortSignal) {
    // Kept from the middleware's signal: the SDK's own is only one of its inputs.
  }
}
