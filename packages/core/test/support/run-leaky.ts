// Tests of what a call leaves run its body in a call of their own and read what the guard made of it.
import type { ResourceGuard } from '../../src/index.js';
import type { TrackedCall } from '../../src/internal.js';
import { admitTracked } from './tracked.js';

/** Admits a call, runs `leak` in it, ends it, and waits for its cleanup. */
export async function runLeaky(guard: ResourceGuard, toolName: string, leak: (call: TrackedCall) => Promise<unknown>) {
  const call = await admitTracked(guard, { toolName });
  await call.run(() => leak(call));
  const during = call.usage();
  const handles = call.handles.countByKind();
  const record = call.end('ok');
  const report = await call.settled;
  return { call, during, handles, record, report };
}
