/** Every scenario, in the order they run and appear in the results. Add a new one here. */

import type { Scenario } from '../scenario.js';
import { cleanup } from './cleanup.js';
import { cpuAttribution } from './cpu-attribution.js';
import { falsePositiveRate } from './false-positive-rate.js';
import { floodIsolation } from './flood-isolation.js';
import { isolation } from './isolation.js';
import { leakDetection } from './leak-detection.js';
import { memoryAttribution } from './memory-attribution.js';
import { overheadHttp } from './overhead-http.js';
import { overheadHttpServer } from './overhead-http-server.js';
import { overheadProbes } from './overhead-probes.js';
import { overheadRealistic } from './overhead-realistic.js';
import { overheadTrivial } from './overhead-trivial.js';
import { pendingScenarios } from './pending.js';
import { reclamationRate } from './reclamation-rate.js';
import { recoveryRate } from './recovery-rate.js';
import { sampler } from './sampler.js';
import { scale } from './scale.js';
import { soak } from './soak.js';

/** Each scenario's result type is its own: only its own methods are handed its results. */
export const scenarios: readonly Scenario<unknown>[] = [
  overheadTrivial,
  overheadRealistic,
  overheadHttp,
  overheadHttpServer,
  overheadProbes,
  cleanup,
  reclamationRate,
  falsePositiveRate,
  leakDetection,
  recoveryRate,
  ...pendingScenarios,
  cpuAttribution,
  memoryAttribution,
  sampler,
  scale,
  floodIsolation,
  isolation,
  soak,
];

/**
 * The scenario of that name.
 *
 * @param name - e.g. `overhead.trivial`
 * @returns the scenario, or undefined
 */
export function findScenario(name: string): Scenario<unknown> | undefined {
  return scenarios.find((s) => s.name === name);
}
