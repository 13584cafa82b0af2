// Tests that look inside a call (its handles, its stop) admit it as the guard's own record of it.
import type { ResourceGuard, StartCallInit } from '../../src/index.js';
import type { TrackedCall } from '../../src/internal.js';

/** Admits a call and returns it as the guard's `TrackedCall` (what `admit()` returns at run time). */
export async function admitTracked(guard: ResourceGuard, init: StartCallInit): Promise<TrackedCall> {
  return (await guard.admit(init)) as TrackedCall;
}
