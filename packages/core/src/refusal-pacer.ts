/**
 * Holds back the answer to a call refused at once, so that a client retrying without heeding its
 * retry-after hint costs the server one refusal per hold for each call it keeps in flight, not one per
 * round trip.
 */

import type { Scheduler } from './scheduler.js';

/** Held refusals of one guard; released at once when the guard closes or the client gives up. */
export class RefusalPacer {
  readonly #delayMs: number;
  readonly #max: number;
  readonly #scheduler: Scheduler;
  readonly #held = new Set<() => void>();

  /**
   * @param delayMs - how long a refusal is held; 0 answers at once
   * @param max - how many may be held at once; more are answered at once
   * @param scheduler - the guard's timer
   */
  constructor(delayMs: number, max: number, scheduler: Scheduler) {
    this.#delayMs = delayMs;
    this.#max = max;
    this.#scheduler = scheduler;
  }

  /** Refusals held now. */
  get held(): number {
    return this.#held.size;
  }

  /**
   * Rejects with `error` after the hold, or at once when holding is off or full, or when `signal` aborts
   * (the client gave up: nothing to slow down any more).
   *
   * @param error - the refusal
   * @param signal - the call's transport signal
   * @returns a promise that rejects with `error`
   */
  refuse(error: unknown, signal: AbortSignal | undefined): Promise<never> {
    if (this.#delayMs === 0 || this.#held.size >= this.#max || signal?.aborted) return Promise.reject(error);
    return new Promise<never>((_, reject) => {
      const release = (): void => {
        if (!this.#held.delete(release)) return;
        cancelTimer();
        signal?.removeEventListener('abort', release);
        reject(error);
      };
      const cancelTimer = this.#scheduler.schedule(release, this.#delayMs);
      signal?.addEventListener('abort', release, { once: true });
      this.#held.add(release);
    });
  }

  /** Answers every held refusal now (the guard is closing). */
  releaseAll(): void {
    for (const release of [...this.#held]) release();
  }
}
