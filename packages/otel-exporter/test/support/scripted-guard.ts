// A guard on manual time whose usage the test scripts (no probes, no watchdog), and an SDK meter provider
// to instrument it with; both are closed when the test finishes.
import { createResourceGuard, type ResourceGuard, type ResourceGuardOptions } from '@mcp-resource-guard/core';
import { type ManualTime, manualTime } from '@mcp-resource-guard/core/testing';
import { onTestFinished } from 'vitest';
import { type MetricsHarness, metricsHarness } from './metrics-harness.js';
import { type ScriptedUsage, scriptedUsage } from './usage-source.js';

export interface ScriptedGuard {
  readonly m: MetricsHarness;
  readonly time: ManualTime;
  readonly usage: ScriptedUsage;
  readonly guard: ResourceGuard;
}

export function scriptedGuard(options: ResourceGuardOptions = {}): ScriptedGuard {
  const m = metricsHarness();
  const time = manualTime();
  const usage = scriptedUsage();
  const guard = createResourceGuard({
    clock: time,
    scheduler: time,
    probes: false,
    watchdog: false,
    sources: [usage],
    ...options,
    // Refusals answered at once: the tests move time only where they mean to.
    throttle: { refusalDelayMs: 0, ...options.throttle },
  });
  onTestFinished(async () => {
    await guard.close();
    await m.shutdown();
  });
  return { m, time, usage, guard };
}
