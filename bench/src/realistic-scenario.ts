/**
 * The three overhead scenarios of the realistic tool (~1 ms of CPU, 10 awaits, a small file read) differ
 * only in how calls reach the server: this builds each from its transport.
 */

import type { ResourceMiddlewareOptions } from '@mcp-resource-guard/sdk-middleware';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { compareBareGuarded } from './compare.js';
import { callTool, type ServerFactory, serverFactory } from './mcp-fixtures.js';
import { measureCalls } from './measure.js';
import {
  type ChildRequest,
  type LoopSettings,
  OverheadResult,
  type Scenario,
  type Variant,
  type VariantSample,
} from './scenario.js';

/** The guard's probe switches, as the middleware options take them. */
type ProbeOptions = NonNullable<ResourceMiddlewareOptions['probes']>;

import { createTempFile, REALISTIC_TOOL, registerRealisticTool, spinIterationsPerMs } from './work.js';

/** How one scenario drives the realistic tool on servers the factory makes. */
export type RealisticDriver = (factory: ServerFactory, variant: Variant, loop: LoopSettings) => Promise<VariantSample>;

/**
 * A bare-vs-guarded scenario of the realistic tool.
 *
 * @param name - the scenario name
 * @param description - what it measures
 * @param loops - the loop settings, full and quick
 * @param drive - connects to servers from the factory and measures
 * @returns the scenario
 */
export function realisticScenario(
  name: string,
  description: string,
  loops: { readonly full: LoopSettings; readonly quick: LoopSettings },
  drive: RealisticDriver,
): Scenario<OverheadResult> {
  return {
    name,
    description,
    result: OverheadResult,
    run: (ctx) =>
      compareBareGuarded(ctx, {
        scenario: name,
        label: name,
        params: { spinIterations: spinIterationsPerMs() },
        loop: ctx.quick ? loops.quick : loops.full,
        rounds: ctx.quick ? 2 : 12,
      }),
    overheads: (result) => [[name, result]],
    measure: realisticMeasure(drive),
  };
}

/**
 * What a child of a realistic-tool scenario does: builds the server (bare or guarded) and measures with `drive`.
 *
 * @param drive - connects to servers from the factory and measures
 * @returns the scenario's `measure`
 */
export function realisticMeasure(drive: RealisticDriver): (request: ChildRequest) => Promise<VariantSample> {
  return async (request) => {
    const spinIterations = Number(request.params.spinIterations);
    const file = await createTempFile();
    // `params.probes`, when given, chooses the guard's probes (the per-probe cost scenario).
    const probes = request.params.probes as ProbeOptions | undefined;
    const factory = await serverFactory(
      request.variant,
      (server) => registerRealisticTool(server, { spinIterations, file: file.path }),
      probes === undefined ? {} : { probes },
    );
    try {
      return await drive(factory, request.variant, request.loop);
    } finally {
      await factory.close();
      await file.remove();
    }
  };
}

/**
 * Times calls of the realistic tool made by a client in this process.
 *
 * @param client - a connected SDK client
 * @param factory - the factory of the server it is connected to
 * @param variant - bare or guarded
 * @param loop - the loop settings
 * @returns the sample
 */
export function measureRealisticCalls(
  client: Client,
  factory: ServerFactory,
  variant: Variant,
  loop: LoopSettings,
): Promise<VariantSample> {
  let id = 0;
  return measureCalls(
    variant,
    () => callTool(client, REALISTIC_TOOL, { id: id++ }),
    loop,
    () => factory.guardCalls(),
  );
}
