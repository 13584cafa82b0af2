#!/usr/bin/env node
/**
 * The soak, from the command line: `node --expose-gc bench/dist/soak.js [--calls N] [--max-seconds S]
 * [--concurrency C] [--seed N] [--allow-known-issues]` (`pnpm soak` builds first). Prints one JSON summary on stdout, progress on
 * stderr; exits 1 when a check failed (see soak-run.ts), 2 on a usage error.
 */

import { parseArgs } from 'node:util';
import { runSoak } from './soak-run.js';

const USAGE = `usage: node --expose-gc bench/dist/soak.js [options]
  --calls <n>         calls of the measured run, after the warm-up (default 100000)
  --max-seconds <s>   stop issuing calls after this long, even short of --calls (default 1800)
  --concurrency <n>   calls in flight (default 16)
  --seed <n>          seed of the call draw (default 1)
  --allow-known-issues   report, without failing, what two bugs the soak found (since fixed) left behind`;

function positive(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new RangeError(`--${name} must be a positive integer, not ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      'max-seconds': { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      'allow-known-issues': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  let options: Parameters<typeof runSoak>[0];
  try {
    options = {
      calls: positive('calls', values.calls, 100_000),
      maxSeconds: positive('max-seconds', values['max-seconds'], 1800),
      concurrency: positive('concurrency', values.concurrency, 16),
      seed: positive('seed', values.seed, 1),
      allowKnownIssues: values['allow-known-issues'],
      log: (message) => console.error(`[soak ${process.version}] ${message}`),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const summary = await runSoak(options);
  console.log(JSON.stringify(summary));
  for (const warning of summary.warnings) console.error(`soak warning: ${warning}`);
  for (const failure of summary.failures) console.error(`SOAK FAILED: ${failure}`);
  return summary.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
