/**
 * The child process entry: `node dist/child.js '<ChildRequest JSON>'`. Measures one variant of one
 * scenario and prints one JSON object (a VariantSample) on stdout; logs only to stderr.
 */

import type { ChildRequest } from './scenario.js';
import { findScenario } from './scenarios/index.js';

function parseRequest(arg: string | undefined): ChildRequest {
  if (arg === undefined) throw new Error("usage: node dist/child.js '<ChildRequest JSON>'");
  const request = JSON.parse(arg) as ChildRequest;
  if (request.variant !== 'bare' && request.variant !== 'guarded') {
    throw new Error(`unknown variant: ${String(request.variant)}`);
  }
  return request;
}

async function main(): Promise<void> {
  const request = parseRequest(process.argv[2]);
  const scenario = findScenario(request.scenario);
  if (scenario?.measure === undefined) throw new Error(`no scenario measures in a child: ${request.scenario}`);
  const sample = await scenario.measure(request);
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
