/** Per-call temp directories: created owner-only under the guard's root, measured, removed at cleanup. */

import { existsSync, mkdirSync, mkdtempSync, realpathSync, rmdirSync } from 'node:fs';
import { lstat, opendir, rm } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { ErrorCode, ResourceGuardError } from '../errors.js';
import type { HandleCloser } from '../handle-registry.js';
import type { ToolCall } from '../tool-call.js';
import type { UsageSource } from '../usage-source.js';

const MB = 1024 * 1024;
/** Entries visited at most per measurement, so that a huge tree cannot stall the sampler. */
const MAX_ENTRIES = 100_000;

/**
 * Creates the temp root once, owner-only, and returns its real path.
 *
 * @param root - the configured root
 * @returns its real path
 */
export function prepareTempRoot(root: string): string {
  try {
    mkdirSync(root, { recursive: true, mode: 0o700 });
    return realpathSync(root);
  } catch (cause) {
    throw new ResourceGuardError({
      code: ErrorCode.InvalidConfig,
      message: 'The temp root cannot be created',
      hint: 'Give tempRoot a directory the server can create and write.',
      path: 'tempRoot',
      value: root,
      cause,
    });
  }
}

/**
 * Creates a call's temp directory (mode 0700) under `root`.
 *
 * @param root - the real path of the temp root
 * @param callId - the call
 * @returns the directory
 */
export function createCallTempDir(root: string, callId: string): string {
  return mkdtempSync(join(root, `call-${callId}-`));
}

/**
 * Removes a call's temp directory, only if it still resolves inside the root (the tool may have
 * replaced it with a symlink; `rm` never follows links inside it).
 *
 * @param dir - the directory the guard created
 * @param root - the real path of the temp root
 * @returns its closer
 */
export function tempDirCloser(dir: string, root: string): HandleCloser {
  let removed = false;
  return {
    close: async () => {
      let real: string;
      try {
        real = realpathSync(dir);
      } catch {
        removed = true; // already gone
        return;
      }
      if (!real.startsWith(root + sep)) {
        throw new Error(`refusing to remove ${dir}: it resolves outside the temp root`);
      }
      await rm(dir, { recursive: true, force: true, maxRetries: 2 });
      removed = true;
    },
    isClosed: () => removed || !existsSync(dir),
  };
}

/**
 * Apparent size of a directory tree in bytes (symlinks count as themselves, never followed).
 *
 * @param dir - the directory
 * @returns the total size
 */
export async function directorySize(dir: string): Promise<number> {
  let total = 0;
  let visited = 0;
  const stack = [dir];
  while (stack.length > 0 && visited < MAX_ENTRIES) {
    const current = stack.pop() as string;
    let handle: Awaited<ReturnType<typeof opendir>>;
    try {
      handle = await opendir(current);
    } catch {
      continue;
    }
    for await (const entry of handle) {
      visited++;
      const path = join(current, entry.name);
      if (entry.isDirectory()) stack.push(path);
      else {
        try {
          total += (await lstat(path)).size;
        } catch {
          // removed meanwhile
        }
      }
      if (visited >= MAX_ENTRIES) break;
    }
  }
  return total;
}

/**
 * A usage source that measures each call's temp directory (asynchronously; a measurement lands on a
 * later sample, and only one runs per call at a time).
 *
 * @param dirOf - the call's temp directory, if it made one
 * @returns the source
 */
export function tempStorageSource(dirOf: (call: ToolCall) => string | undefined): UsageSource {
  const measuring = new WeakSet<ToolCall>();
  return {
    name: 'temp-storage',
    sample(calls) {
      for (const call of calls) {
        const dir = dirOf(call);
        if (dir === undefined || measuring.has(call) || call.ended) continue;
        measuring.add(call);
        directorySize(dir).then(
          (bytes) => {
            measuring.delete(call);
            if (!call.ended) call.measure('tempStorageMb', bytes / MB);
          },
          () => measuring.delete(call),
        );
      }
    },
  };
}

/**
 * Removes the temp root if it is empty (other guards may still use it: then it stays).
 *
 * @param root - the real path of the temp root
 */
export function removeTempRootIfEmpty(root: string): void {
  try {
    rmdirSync(root);
  } catch {
    // not empty, or already gone
  }
}
