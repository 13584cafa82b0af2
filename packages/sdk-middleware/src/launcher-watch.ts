/**
 * In a server started by `mcp-resource-guard run`: when the launcher is gone (killed with SIGKILL, so that it
 * could not stop the server itself), the server is asked to stop (SIGTERM to itself), so that no process is left
 * behind the client.
 */

import { LAUNCHER_PID_ENV } from './guarded-launch.js';

/** How often the launcher is looked for. */
const WATCH_INTERVAL_MS = 1000;

/**
 * Watches the launcher named by `MCP_RESOURCE_GUARD_LAUNCHER_PID`, if any, for the life of the process.
 *
 * @param env - the environment (default `process.env`)
 */
export function watchLauncher(env: Readonly<Record<string, string | undefined>> = process.env): void {
  const pid = Number(env[LAUNCHER_PID_ENV]);
  if (!Number.isSafeInteger(pid) || pid <= 1) return;
  const timer = setInterval(() => {
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') return;
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, WATCH_INTERVAL_MS);
  timer.unref();
}
