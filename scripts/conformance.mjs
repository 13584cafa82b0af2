#!/usr/bin/env node
// The MCP conformance suite (@modelcontextprotocol/conformance, every server scenario: --suite all) against our
// conformance server (examples/conformance-server) twice: bare, and with the resource guard installed. Fails
// unless both runs give every scenario the same outcome and every check the same status, at least one scenario
// passes, every scenario the suite lists ran, and the guard really saw the calls. Prints a summary table and
// one JSON line. Builds nothing: run `npx --yes pnpm@10.34.8 build` first.
//
//   node scripts/conformance.mjs [--node <node ≥ 22 for the suite>] [--keep]
//
// The servers run on this Node; the suite needs Node ≥ 22 (it imports fs.globSync), hence --node (default: this
// Node). --keep leaves the suite's checks.json files in place and prints where.
//
// A scenario passes when none of its checks is FAILURE or WARNING (the suite's own rule for --expected-failures);
// "warning" when some check is WARNING and none FAILURE; "fail" otherwise.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SERVER = join(ROOT, 'examples/conformance-server/dist/main.js');
const SUITE = join(ROOT, 'node_modules/@modelcontextprotocol/conformance/dist/index.js');
const VARIANTS = ['bare', 'guarded'];

const { values } = parseArgs({
  options: { node: { type: 'string', default: process.execPath }, keep: { type: 'boolean', default: false } },
  strict: true,
});

/** Runs a command to its end; resolves with its exit code and stdout (stderr passes through). */
function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks = [];
    child.stdout.on('data', (chunk) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Starts the conformance server; resolves once it prints its URL. */
function startServer(variant) {
  const child = spawn(process.execPath, [SERVER, ...(variant === 'guarded' ? ['--guarded'] : [])], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const messages = [];
  const waiters = [];
  lines.on('line', (line) => {
    const message = JSON.parse(line);
    messages.push(message);
    for (const waiter of waiters.splice(0)) waiter();
  });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const next = async (index) => {
    while (messages.length <= index) {
      const status = await Promise.race([exited, new Promise((resolve) => waiters.push(() => resolve(undefined)))]);
      if (status !== undefined && messages.length <= index) {
        throw new Error(`the ${variant} server exited (${JSON.stringify(status)}) before answering`);
      }
    }
    return messages[index];
  };
  return next(0).then(({ url }) => ({
    url,
    async stop() {
      child.kill('SIGTERM');
      const closing = await next(1);
      const status = await exited;
      if (status.code !== 0) throw new Error(`the ${variant} server exited with ${JSON.stringify(status)}`);
      return closing;
    },
  }));
}

/** Scenario name → its checks, from the suite's output directory (`server-<scenario>-<timestamp>/checks.json`). */
function readChecks(dir) {
  const byScenario = new Map();
  for (const name of readdirSync(dir)) {
    const scenario = /^server-(.+)-\d{4}-\d\d-\d\dT[\d-]+Z$/.exec(name)?.[1];
    if (scenario === undefined) continue;
    byScenario.set(scenario, JSON.parse(readFileSync(join(dir, name, 'checks.json'), 'utf8')));
  }
  return byScenario;
}

function outcome(checks) {
  if (checks.some((c) => c.status === 'FAILURE')) return 'fail';
  if (checks.some((c) => c.status === 'WARNING')) return 'warning';
  return 'pass';
}

/** The statuses of the checks that are verdicts (not INFO), as `id=STATUS` in order. */
const verdicts = (checks) => checks.filter((c) => c.status !== 'INFO').map((c) => `${c.id}=${c.status}`);
const problems = (checks) =>
  checks.filter((c) => c.status === 'FAILURE' || c.status === 'WARNING').map((c) => `${c.id}: ${c.errorMessage}`);

async function main() {
  const listed = (await run(values.node, [SUITE, 'list', '--server'])).stdout
    .split('\n')
    .map((line) => /^\s+- (\S+)/.exec(line)?.[1])
    .filter((name) => name !== undefined);
  if (listed.length === 0) throw new Error(`the suite listed no server scenario (is ${values.node} Node ≥ 22?)`);

  const work = mkdtempSync(join(tmpdir(), 'conformance-'));
  const results = {};
  try {
    for (const variant of VARIANTS) {
      const server = await startServer(variant);
      const out = join(work, variant);
      const suite = await run(values.node, [SUITE, 'server', '--url', server.url, '--suite', 'all', '-o', out]);
      const closing = await server.stop();
      results[variant] = { checks: readChecks(out), guardCalls: closing.guardCalls, suiteExit: suite.code };
    }
  } finally {
    if (values.keep) console.error(`checks kept in ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }

  const errors = [];
  const rows = [];
  const summary = { scenarios: listed.length };
  for (const variant of VARIANTS) {
    const { checks } = results[variant];
    const missing = listed.filter((s) => !checks.has(s));
    if (missing.length > 0) errors.push(`${variant}: scenarios that did not run: ${missing.join(', ')}`);
    const by = (o) => listed.filter((s) => checks.has(s) && outcome(checks.get(s)) === o);
    summary[variant] = { passed: by('pass').length, warning: by('warning'), failed: by('fail') };
    if (by('pass').length === 0) errors.push(`${variant}: no scenario passed`);
  }
  const guardCalls = results.guarded.guardCalls;
  summary.guardCalls = guardCalls;
  if (!(guardCalls > 0)) errors.push(`the guard recorded no tool call (${guardCalls}): was it installed?`);

  for (const scenario of listed) {
    const [bare, guarded] = VARIANTS.map((v) => results[v].checks.get(scenario) ?? []);
    const same = outcome(bare) === outcome(guarded) && verdicts(bare).join() === verdicts(guarded).join();
    if (!same) {
      errors.push(
        `${scenario}: bare ${outcome(bare)} [${verdicts(bare).join(', ')}], guarded ${outcome(guarded)} [${verdicts(guarded).join(', ')}]`,
      );
    }
    rows.push(
      `${scenario.padEnd(32)} ${outcome(bare).padEnd(8)} ${outcome(guarded).padEnd(8)} ${same ? '' : 'DIFFERENT '}` +
        (outcome(bare) === 'pass' ? '' : problems(bare).join('; ')),
    );
  }

  console.log(`${'scenario'.padEnd(32)} ${'bare'.padEnd(8)} ${'guarded'.padEnd(8)} why not passed`);
  for (const row of rows) console.log(row);
  console.log(
    `conformance: ${summary.bare.passed}/${listed.length} scenarios pass bare, ${summary.guarded.passed}/${listed.length} guarded` +
      ` (the guard recorded ${guardCalls} tool calls)`,
  );
  console.log(JSON.stringify(summary));
  for (const error of errors) console.error(`CONFORMANCE: ${error}`);
  return errors.length === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
