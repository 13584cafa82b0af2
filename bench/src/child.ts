/**
 * The child process entry: `node dist/child.js '<ChildRequest JSON>'` measures one variant of one
 * scenario and prints one JSON object (a VariantSample) on stdout; `node dist/child.js --task
 * '<TaskRequest JSON>'` runs one task of a scenario and prints a TaskEnvelope. Logs only to stderr.
 */

import type { ChildRequest, TaskEnvelope, TaskRequest } from './scenario.js';
import { findScenario } from './scenarios/index.js';

function parseRequest(arg: string | undefined): ChildRequest {
  if (arg === undefined) throw new Error("usage: node dist/child.js '<ChildRequest JSON>'");
  const request = JSON.parse(arg) as ChildRequest;
  if (request.variant !== 'bare' && request.variant !== 'guarded') {
    throw new Error(`unknown variant: ${String(request.variant)}`);
  }
  return request;
}

function parseTask(arg: string | undefined): TaskRequest {
  if (arg === undefined) throw new Error("usage: node dist/child.js --task '<TaskRequest JSON>'");
  const request = JSON.parse(arg) as TaskRequest;
  if (typeof request.scenario !== 'string' || typeof request.task !== 'string') {
    throw new Error(`not a task request: ${arg.slice(0, 200)}`);
  }
  return request;
}

async function runTask(arg: string | undefined): Promise<void> {
  const request = parseTask(arg);
  const scenario = findScenario(request.scenario);
  if (scenario?.task === undefined) throw new Error(`no scenario runs tasks in a child: ${request.scenario}`);
  const result = await scenario.task(request);
  const cpu = process.cpuUsage();
  const envelope: TaskEnvelope = { result, processCpuMicros: cpu.user + cpu.system };
  await new Promise<void>((resolve) => process.stdout.write(`${JSON.stringify(envelope)}\n`, () => resolve()));
}

async function main(): Promise<void> {
  if (process.argv[2] === '--task') {
    await runTask(process.argv[3]);
    return;
  }
  const request = parseRequest(process.argv[2]);
  const scenario = findScenario(request.scenario);
  if (scenario?.measure === undefined) throw new Error(`no scenario measures in a child: ${request.scenario}`);
  const sample = await scenario.measure(request);
  process.stdout.write(`${JSON.stringify(sample)}\n`);
}

main().then(
  () => {
    // A task may leave things behind on purpose (a leak corpus); the answer is out, so leave now.
    if (process.argv[2] === '--task') process.exit(process.exitCode ?? 0);
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
    if (process.argv[2] === '--task') process.exit(1);
  },
);
