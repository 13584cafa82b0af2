import { sleep } from './sleep.js';

/** How {@link until} waits. */
export interface UntilOptions {
  /** What is waited for, for the error on a timeout: a phrase, or a function asked then (to show a state). */
  readonly what: string | (() => string);
  /** How long to wait before throwing (default 5000 ms). */
  readonly timeoutMs?: number;
  /** How often to ask (default 10 ms). */
  readonly intervalMs?: number;
}

/**
 * Asks `test` at once and then every `intervalMs` until it answers true; throws if it still answers false after
 * `timeoutMs`, naming what was waited for (a wait never ends silently). An error thrown by `test` ends the wait
 * with that error.
 *
 * @param test - the condition, sync or async
 * @param options - what is waited for, and how long
 * @returns once `test` answered true
 */
export async function until(test: () => boolean | Promise<boolean>, options: UntilOptions): Promise<void> {
  const { timeoutMs = 5000, intervalMs = 10 } = options;
  const deadline = performance.now() + timeoutMs;
  while (!(await test())) {
    if (performance.now() >= deadline) {
      const what = typeof options.what === 'string' ? options.what : options.what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(intervalMs);
  }
}
