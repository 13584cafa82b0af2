/**
 * Every guard of the process, as it is made and those made before: core publishes each new guard on a
 * `node:diagnostics_channel` channel (shared by name by every copy of core in the process) and keeps the live ones
 * in a process-wide list. Subscribing first and reading the list second misses none; a guard seen twice is
 * reported once.
 */

import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { GUARD_CREATED_CHANNEL, liveGuards } from '@mcp-resource-guard/core';
import type { GuardMetricsSource } from './guard-metrics.js';

function isGuard(value: unknown): value is GuardMetricsSource {
  const v = value as Partial<GuardMetricsSource> | null;
  return typeof v === 'object' && v !== null && typeof v.on === 'function' && typeof v.snapshot === 'function';
}

/**
 * Calls `found` with every guard alive now and every guard made from now on, once each.
 *
 * @param found - told of each guard
 * @returns a function that stops watching for new guards
 * @example
 * ```ts
 * const stop = discoverGuards((guard) => instrumentGuard(guard));
 * ```
 */
export function discoverGuards(found: (guard: GuardMetricsSource) => void): () => void {
  const seen = new WeakSet<object>();
  const report = (guard: unknown): void => {
    if (!isGuard(guard) || seen.has(guard)) return;
    seen.add(guard);
    found(guard);
  };
  const onMessage = (message: unknown): void => report((message as { guard?: unknown } | null)?.guard);
  subscribe(GUARD_CREATED_CHANNEL, onMessage);
  for (const guard of liveGuards()) report(guard);
  return () => {
    unsubscribe(GUARD_CREATED_CHANNEL, onMessage);
  };
}
