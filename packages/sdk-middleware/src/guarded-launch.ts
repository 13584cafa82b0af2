/**
 * Runs a server command with the attach preloaded, as `mcp-resource-guard run` does: stdout and stderr are the
 * server's own (inherited, byte for byte), stdin is relayed so that its end is seen, signals are forwarded, the
 * launcher exits with the server's status, and nothing the server started is left behind when the client goes
 * away (stdin ends, the launcher is signalled, or the launcher itself dies).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { descendantsOf } from '@mcp-resource-guard/core/internal';

/** Set by the launcher for the processes it starts: its pid, which the attach watches (see `launcher-watch.ts`). */
export const LAUNCHER_PID_ENV = 'MCP_RESOURCE_GUARD_LAUNCHER_PID';

/** How a launch goes. */
export interface LaunchOptions {
  /** The command and its arguments. */
  readonly command: string;
  readonly args: readonly string[];
  /** The environment of the server (the launcher adds the preload to `NODE_OPTIONS`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** How long the server has to exit by itself after its stdin ends, or after SIGTERM, before the next step. */
  readonly graceMs: number;
  /** The preload module to add to `NODE_OPTIONS`. */
  readonly preload: URL;
}

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Adds `--import <preload>` to a `NODE_OPTIONS` value, once. The preload is given as its file URL, which has no
 * spaces to quote (a path with spaces is percent-encoded once).
 *
 * @param nodeOptions - the current value
 * @param preload - the preload module's URL
 * @returns the new value
 */
export function withPreload(nodeOptions: string | undefined, preload: URL): string {
  const flag = `--import=${preload.href}`;
  const current = nodeOptions?.trim() ?? '';
  if (current.includes(flag)) return current;
  return current === '' ? flag : `${current} ${flag}`;
}

/** Signals the server's process group and every process below it (some leave the group). */
function signalTree(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined) return;
  let pids: number[] = [];
  try {
    pids = descendantsOf(pid);
  } catch {
    // Not Linux, or /proc unreadable: the group is signalled all the same.
  }
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // Already gone.
    }
  }
}

/**
 * Runs the server and resolves with the status the launcher should exit with: the server's exit code, or
 * 128 + the signal number that ended it.
 *
 * @param options - the command, environment and grace period
 * @returns the exit status
 */
export function launchGuarded(options: LaunchOptions): Promise<number> {
  const env = {
    ...options.env,
    NODE_OPTIONS: withPreload(options.env.NODE_OPTIONS, options.preload),
    [LAUNCHER_PID_ENV]: String(process.pid),
  };
  const child = spawn(options.command, [...options.args], {
    env,
    // stdout and stderr are the server's own; stdin is relayed, so that its end is seen here too.
    stdio: ['pipe', 'inherit', 'inherit'],
    // Its own process group: stopping it stops what it started.
    detached: true,
  });
  let stopping: NodeJS.Timeout | undefined;
  const stop = (first: NodeJS.Signals): void => {
    if (stopping !== undefined) return;
    signalTree(child, first);
    stopping = setTimeout(() => signalTree(child, 'SIGKILL'), options.graceMs);
  };
  // The client closed the server's stdin: the server should exit; if it has not within the grace, it is stopped.
  process.stdin.on('end', () => {
    child.stdin?.end();
    if (stopping === undefined) stopping = setTimeout(() => stop('SIGTERM'), options.graceMs);
  });
  process.stdin.pipe(child.stdin as NodeJS.WritableStream, { end: false });
  // A server that exits while the client is still writing: nothing more to relay.
  child.stdin?.on('error', () => {});
  const forwarders = FORWARDED.map((signal) => {
    const forward = (): void => {
      if (stopping !== undefined) clearTimeout(stopping);
      stopping = undefined;
      stop(signal);
    };
    process.on(signal, forward);
    return [signal, forward] as const;
  });
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`mcp-resource-guard: cannot run ${options.command}: ${error.message}\n`);
      resolve(127);
    });
    child.on('exit', (code, signal) => {
      if (stopping !== undefined) clearTimeout(stopping);
      // What it started and left behind goes with it.
      signalTree(child, 'SIGKILL');
      for (const [name, forward] of forwarders) process.off(name, forward);
      process.stdin.unpipe(child.stdin as NodeJS.WritableStream);
      process.stdin.destroy();
      const number = signal === null ? 0 : constants.signals[signal];
      resolve(code ?? 128 + number);
    });
  });
}
