// Cleanup of a child process whose tree keeps growing while it is being closed: a grandchild forked
// between a scan of the tree and the signal must not survive. Real processes; the processes of a tree are
// found (as ground truth, whatever their parent now) by a marker in their environment.
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';
import { excessAfterSettling, isRunning, runLeaky, takeBaseline } from './support/process-baseline.js';

const MARKER = 'GUARD_PROCESS_TREE_TEST';

/** Running processes (zombies excluded) whose environment holds `MARKER=<id>`. */
function marked(id: string): number[] {
  const needle = `${MARKER}=${id}\0`;
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isSafeInteger(pid) || pid === process.pid) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').includes(needle) && isRunning(pid)) out.push(pid);
    } catch {
      // gone, or not ours
    }
  }
  return out;
}

/** Waits until no marked process runs (a killed process needs a moment to die), 3 s at the most. */
async function survivors(id: string): Promise<number[]> {
  let left = marked(id);
  for (let waited = 0; waited < 3000 && left.length > 0; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    left = marked(id);
  }
  return left;
}

const started: string[] = [];
afterEach(() => {
  // Never leave a forking tree behind, whatever the test found.
  for (const id of started.splice(0)) for (const pid of marked(id)) process.kill(pid, 'SIGKILL');
});

// Each forks about 1500 grandchildren, one every millisecond or so, for as long as it lives.
const forkers: [string, string, string[], boolean][] = [
  ['a shell', 'sh', ['-c', 'i=0; while [ $i -lt 1500 ]; do sleep 30 & i=$((i+1)); done; wait'], false],
  [
    'a shell that ignores SIGTERM, with a sub-shell forking too',
    'sh',
    [
      '-c',
      "trap '' TERM; (i=0; while [ $i -lt 700 ]; do sleep 30 & i=$((i+1)); done; wait) & " +
        'i=0; while [ $i -lt 700 ]; do sleep 30 & i=$((i+1)); done; wait',
    ],
    true,
  ],
  [
    'a node child',
    process.execPath,
    [
      '-e',
      "const { spawn } = require('node:child_process'); let n = 0;" +
        "const t = setInterval(() => { spawn('sleep', ['30'], { stdio: 'ignore' }); if (++n >= 1500) clearInterval(t); }, 1);",
    ],
    false,
  ],
];

describe('a child process whose tree keeps growing during cleanup', () => {
  it.each(forkers)('%s: no process of the tree survives cleanup', async (_name, command, args, ignoresTerm) => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    started.push(id);
    const guard = createResourceGuard({ cleanup: { graceMs: 100 } });
    const baseline = await takeBaseline();
    let child: ReturnType<typeof spawn> | undefined;
    const { handles, report } = await runLeaky(guard, 'forker', async () => {
      child = spawn(command, args, { env: { ...process.env, [MARKER]: id }, stdio: 'ignore' });
      // Forking is under way when the call ends.
      while (marked(id).length < 20) await new Promise((r) => setTimeout(r, 5));
    });
    expect(handles).toEqual({ child_process: 1 });
    expect(report?.closed).toEqual({ child_process: 1 });
    expect(report?.survived).toBe(0);
    expect(child?.signalCode).toBe(ignoresTerm ? 'SIGKILL' : 'SIGTERM');
    expect(await survivors(id)).toEqual([]);
    expect(await excessAfterSettling(baseline)).toEqual({});
    await guard.close();
  });
});
