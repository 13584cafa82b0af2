/**
 * Node's own timer functions, captured when this module loads, before any probe wraps the globals:
 * the guard's internal timers (sampling, cleanup bounds, admission waits) must never be attributed to a call.
 */

/** The original `setTimeout`. */
export const nativeSetTimeout: typeof setTimeout = globalThis.setTimeout;
/** The original `clearTimeout`. */
export const nativeClearTimeout: typeof clearTimeout = globalThis.clearTimeout;
