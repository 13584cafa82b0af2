/** What a test sees of a promise without awaiting it. */

/** A promise's state, as of the last turn of the microtask queue. */
export interface PromiseState {
  readonly state: 'pending' | 'fulfilled' | 'rejected';
  /** Why it rejected, once it has. */
  readonly reason?: unknown;
}

/**
 * Watches `promise` settle, without waiting for it (and without leaving a rejection unhandled).
 *
 * @param promise - the promise
 * @returns its state, updated as it settles
 */
export function watchSettled(promise: Promise<unknown>): PromiseState {
  const seen: { state: PromiseState['state']; reason?: unknown } = { state: 'pending' };
  promise.then(
    () => {
      seen.state = 'fulfilled';
    },
    (reason: unknown) => {
      seen.state = 'rejected';
      seen.reason = reason;
    },
  );
  return seen;
}
