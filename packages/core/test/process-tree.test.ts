// Cleanup of a child process whose tree keeps growing while it is being closed: a grandchild forked
// between a scan of the tree and the signal must not survive. Real processes; the processes of a tree are
// found (as ground truth, whatever their parent now) by a marker in their environment.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import {
  markedProcessList,
  settleTo,
  processState as stateOf,
  steadyReading,
  until,
} from '@mcp-resource-guard/test-support';
import { afterEach, describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';
import { ProcessTree } from '../src/process-tree.js';
import { runLeaky } from './support/run-leaky.js';

const MARKER = 'GUARD_PROCESS_TREE_TEST';

/** Running processes (zombies excluded) whose environment holds `MARKER=<id>`. */
function marked(id: string): number[] {
  return markedProcessList(`${MARKER}=${id}\0`, 'environ').map((p) => p.pid);
}

/** Waits until no marked process runs (a killed process needs a moment to die), 3 s at the most. */
function noSurvivors(id: string): Promise<void> {
  return until(() => marked(id).length === 0, {
    what: () => `every process of ${id} to end (running: ${marked(id).join(' ')})`,
    timeoutMs: 3000,
    intervalMs: 50,
  });
}

/** Waits until `pid` is stopped (state `T`), asking every millisecond. */
function stopped(pid: number): Promise<void> {
  return until(() => stateOf(pid) === 'T', { what: `process ${pid} to stop`, intervalMs: 1 });
}

const started: string[] = [];
afterEach(() => {
  // Never leave a forking tree behind, whatever the test found.
  for (const id of started.splice(0)) for (const pid of marked(id)) process.kill(pid, 'SIGKILL');
});

// Each forks about 1500 grandchildren, one every millisecond or so, for as long as it lives; the last column
// is how the child may end: dash blocks every signal around fork(), and if caught there it gets SIGKILL.
const forkers: [string, string, string[], NodeJS.Signals[]][] = [
  ['a shell', 'sh', ['-c', 'i=0; while [ $i -lt 1500 ]; do sleep 30 & i=$((i+1)); done; wait'], ['SIGTERM', 'SIGKILL']],
  [
    'a shell that ignores SIGTERM, with a sub-shell forking too',
    'sh',
    [
      '-c',
      "trap '' TERM; (i=0; while [ $i -lt 700 ]; do sleep 30 & i=$((i+1)); done; wait) & " +
        'i=0; while [ $i -lt 700 ]; do sleep 30 & i=$((i+1)); done; wait',
    ],
    ['SIGKILL'],
  ],
  [
    'a node child',
    process.execPath,
    [
      '-e',
      "const { spawn } = require('node:child_process'); let n = 0;" +
        "const t = setInterval(() => { spawn('sleep', ['30'], { stdio: 'ignore' }); if (++n >= 1500) clearInterval(t); }, 1);",
    ],
    ['SIGTERM'],
  ],
];

describe('a child process whose tree keeps growing during cleanup', () => {
  it.each(forkers)('%s: no process of the tree survives cleanup', async (_name, command, args, endings) => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    started.push(id);
    const guard = createResourceGuard({ cleanup: { graceMs: 100 } });
    const baseline = await steadyReading();
    let child: ReturnType<typeof spawn> | undefined;
    const { handles, report } = await runLeaky(guard, 'forker', async () => {
      child = spawn(command, args, { env: { ...process.env, [MARKER]: id }, stdio: 'ignore' });
      // Forking is under way when the call ends.
      await until(() => marked(id).length >= 20, { what: `20 processes of ${id}`, timeoutMs: 10_000, intervalMs: 5 });
    });
    expect(handles).toEqual({ child_process: 1 });
    expect(report?.closed).toEqual({ child_process: 1 });
    expect(report?.survived).toBe(0);
    expect(endings).toContain(child?.signalCode);
    await noSurvivors(id);
    expect((await settleTo(baseline)).items).toEqual({});
    await guard.close();
  });
});

function cmdlineOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1');
  } catch {
    return '';
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

describe('freezing a tree (ProcessTree)', () => {
  // A fork under way when the stop arrives completes, and the child appears, only after the stop was sent: the
  // check that every process has stopped must come before the scan for children, never after it, or a shell
  // stopped just after forking passes the check with its child unseen. The kernel's window is microseconds
  // wide; here it is played out between the two steps of the first freeze round: the shell, stopped, is
  // continued, forks, and is stopped again.
  it('catches a child forked between the two steps of a freeze round', async () => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    started.push(id);
    const shell = spawn('sh', ['-c', 'kill -STOP $$; sleep 30'], {
      env: { ...process.env, [MARKER]: id },
      stdio: 'ignore',
    });
    await once(shell, 'spawn');
    const pid = shell.pid ?? 0;
    await stopped(pid);
    const exited = once(shell, 'exit');
    let forked = false;
    const forkBetweenSteps = (): void => {
      if (forked) return;
      forked = true;
      process.kill(pid, 'SIGCONT');
      const deadline = performance.now() + 5000;
      while (childrenOf(pid).length === 0 && performance.now() < deadline);
      process.kill(pid, 'SIGSTOP');
      while (stateOf(pid) !== 'T' && performance.now() < deadline);
    };
    const result = await new ProcessTree(pid, forkBetweenSteps).signal('SIGKILL');
    expect(forked).toBe(true);
    expect(result).toEqual({ signalled: 2, killedBlocking: 0, frozen: true });
    await exited;
    await noSurvivors(id);
  });

  // dash (and posix_spawn) start a command with vfork(): the parent waits in the kernel, unstoppable, until
  // its child has exec'd. A child stopped before its exec holds the parent there: the freeze must count that
  // parent as frozen, not spin until its budget runs out, and the SIGTERM must still end both.
  it('freezes a shell held in vfork() by a child stopped before its exec, and ends both', async () => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    started.push(id);
    let caught: { shell: number; child: number; exited: Promise<unknown> } | undefined;
    for (let attempt = 0; attempt < 100 && caught === undefined; attempt++) {
      const shell = spawn('sh', ['-c', 'sleep 30'], { env: { ...process.env, [MARKER]: id }, stdio: 'ignore' });
      await once(shell, 'spawn');
      const pid = shell.pid ?? 0;
      const exited = once(shell, 'exit');
      for (let poll = 0; poll < 100_000; poll++) {
        const [forked] = childrenOf(pid);
        if (forked === undefined) continue;
        process.kill(forked, 'SIGSTOP');
        while (stateOf(forked) !== 'T' && stateOf(forked) !== undefined);
        // Caught before its exec if, stopped, it still runs the shell's image.
        if (cmdlineOf(forked).startsWith('sh\0') && stateOf(pid) === 'D')
          caught = { shell: pid, child: forked, exited };
        break;
      }
      if (caught === undefined) {
        shell.kill('SIGKILL');
        for (const p of marked(id)) process.kill(p, 'SIGKILL');
        await exited;
      }
    }
    if (caught === undefined) throw new Error('never caught a vfork child before its exec in 100 attempts');
    await stopped(caught.child);
    expect(stateOf(caught.shell)).toBe('D');
    // Where the kernel names the vfork wait (wchan), the tree is known frozen; elsewhere it is signalled
    // after the freeze budget, frozen or not.
    const wchanNamesVfork = /^(kernel_clone|_do_fork|do_fork|wait_for_vfork_done)$/.test(
      readFileSync(`/proc/${caught.shell}/wchan`, 'utf8').trim(),
    );
    const result = await new ProcessTree(caught.shell).signal('SIGTERM');
    // dash blocks every signal around vfork(), in the parent, and in the child until it is about to exec: the
    // parent gets SIGKILL, and so does the child if it was stopped before that.
    expect(result).toMatchObject({ signalled: 2, frozen: wchanNamesVfork || result.frozen });
    expect(result.killedBlocking).toBeGreaterThanOrEqual(1);
    await caught.exited;
    await noSurvivors(id);
  });

  // A process stopped with the signal blocked would, once continued, run on: fork, then die of the signal
  // when it unblocks it, leaving its child re-parented to init (dash does exactly this around vfork()). Here
  // perl blocks SIGTERM, stops itself where it is about to fork, and would fork as soon as it is continued.
  it('sends SIGKILL to a process that blocks the signal, before it can fork when continued', async () => {
    const id = `${process.pid}-${Math.random().toString(36).slice(2)}`;
    started.push(id);
    const script =
      'use POSIX; sigprocmask(SIG_BLOCK, POSIX::SigSet->new(SIGTERM)); kill "STOP", $$; ' +
      'if (fork() == 0) { exec "sleep", "30" } sigprocmask(SIG_UNBLOCK, POSIX::SigSet->new(SIGTERM)); sleep 30';
    const perl = spawn('perl', ['-e', script], { env: { ...process.env, [MARKER]: id }, stdio: 'ignore' });
    await once(perl, 'spawn');
    const pid = perl.pid ?? 0;
    await stopped(pid);
    const exited = once(perl, 'exit');
    const result = await new ProcessTree(pid).signal('SIGTERM');
    await exited;
    await noSurvivors(id);
    expect(perl.signalCode).toBe('SIGKILL');
    expect(result).toEqual({ signalled: 1, killedBlocking: 1, frozen: true });
  });
});
