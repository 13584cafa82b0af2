/**
 * Every guard alive in the process, whichever copy of this package created it: each is published on a
 * `node:diagnostics_channel` channel as it is created, and held weakly in a process-wide list until it is
 * closed, so that an observer that comes later (an OpenTelemetry instrumentation enabled after the server
 * started) finds the guards made before it.
 */

import { channel } from 'node:diagnostics_channel';

/**
 * The `node:diagnostics_channel` channel on which each new guard is published, as `{ guard }`, by every copy of
 * this package. Channels are shared by name across the process, so a subscriber sees the guards of every copy.
 * Guards made before the subscription are in `liveGuards()`.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel';
 * import { GUARD_CREATED_CHANNEL, type ResourceGuard } from '@mcp-resource-guard/core';
 * subscribe(GUARD_CREATED_CHANNEL, (message) => {
 *   const { guard } = message as { guard: ResourceGuard };
 *   guard.on('call', (r) => console.error(r.toolName, r.outcome));
 * });
 * ```
 */
export const GUARD_CREATED_CHANNEL = 'mcp-resource-guard:guard-created';

/** The process-wide list, shared by every copy of this package through a global symbol. */
const REGISTRY = Symbol.for('@mcp-resource-guard/live-guards');

type GlobalWithRegistry = typeof globalThis & { [REGISTRY]?: Set<WeakRef<object>> };

function registry(): Set<WeakRef<object>> {
  const holder = globalThis as GlobalWithRegistry;
  let set = holder[REGISTRY];
  if (set === undefined) {
    set = new Set();
    Object.defineProperty(holder, REGISTRY, { value: set, configurable: true });
  }
  return set;
}

const created = channel(GUARD_CREATED_CHANNEL);

/**
 * Publishes a new guard: on the channel (when it has subscribers) and in the process-wide list.
 *
 * @param guard - the guard, just made
 * @returns its entry in the list, for {@link forgetGuard}
 */
export function announceGuard(guard: object): WeakRef<object> {
  const ref = new WeakRef(guard);
  registry().add(ref);
  if (created.hasSubscribers) created.publish({ guard });
  return ref;
}

/**
 * Takes a closed guard out of the process-wide list.
 *
 * @param ref - what {@link announceGuard} returned
 */
export function forgetGuard(ref: WeakRef<object>): void {
  registry().delete(ref);
}

/**
 * The guards alive in the process and not closed, from every copy of this package, oldest first; `liveGuards()`
 * (resource-guard.ts) is its public, typed face.
 *
 * @returns the guards
 */
export function registeredGuards(): object[] {
  const guards: object[] = [];
  const set = registry();
  for (const ref of set) {
    const guard = ref.deref();
    if (guard === undefined) set.delete(ref);
    else guards.push(guard);
  }
  return guards;
}
