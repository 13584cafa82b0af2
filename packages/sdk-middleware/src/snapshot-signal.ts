/**
 * A snapshot of the guard on demand, without code: `kill -USR2 <pid>` writes it as one JSON line to stderr, or
 * to the file `MCP_RESOURCE_GUARD_SNAPSHOT_FILE` names (rewritten at each signal). Never stdout.
 */

import { writeFileSync, writeSync } from 'node:fs';
import { SNAPSHOT_FILE_ENV } from './env-config.js';
import type { ResourceMiddleware } from './resource-middleware.js';

/** The signal that asks for a snapshot (`SIGUSR1` is Node's inspector's). */
export const SNAPSHOT_SIGNAL = 'SIGUSR2';

/**
 * Writes the guard's snapshot on each `SIGUSR2`, for the life of the process.
 *
 * @param guard - the guard
 * @param file - where to write it; stderr when undefined (default: `MCP_RESOURCE_GUARD_SNAPSHOT_FILE`)
 */
export function snapshotOnSignal(
  guard: ResourceMiddleware,
  file: string | undefined = process.env[SNAPSHOT_FILE_ENV],
): void {
  process.on(SNAPSHOT_SIGNAL, () => {
    try {
      const line = `${JSON.stringify({ time: new Date().toISOString(), pid: process.pid, snapshot: guard.snapshot() })}\n`;
      if (file === undefined || file === '') writeSync(2, line);
      else writeFileSync(file, line, { mode: 0o600 });
    } catch (error) {
      guard.guard.reportInternalError('snapshot-signal', error);
    }
  });
}
