/**
 * `@mcp-resource-guard/core/testing`: helpers for testing code that uses the guard, with time under the
 * test's control.
 */

export { flush, type ManualTime, manualTime } from './manual-time.js';
