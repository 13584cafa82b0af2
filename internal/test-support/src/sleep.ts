/**
 * A promise resolved after `ms`. Inside a guarded call its timer is the call's (and fired by the time the
 * promise resolves): call it outside any call where that matters.
 *
 * @param ms - the delay
 * @returns the promise
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
