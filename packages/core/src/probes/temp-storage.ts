/** Per-call temp directories: created owner-only under the guard's root, measured, removed at cleanup. */

import {
  accessSync,
  constants,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  realpathSync,
  rmdirSync,
  type Stats,
  statSync,
} from 'node:fs';
import { lstat, opendir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { ErrorCode, ResourceGuardError } from '../errors.js';
import type { HandleCloser } from '../handle-registry.js';
import type { TrackedCall } from '../tool-call.js';
import type { UsageSource } from '../usage-source.js';

const MB = 1024 * 1024;
/** Entries visited at most per measurement, so that a huge tree cannot stall the sampler. */
const MAX_ENTRIES = 100_000;
/** Write permission for group or others. */
const SHARED_WRITE = 0o022;

function rootError(root: string, problem: string, hint: string, cause?: unknown): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.InvalidConfig,
    message: `The temp root ${problem}`,
    hint,
    path: 'tempRoot',
    value: root,
    cause,
  });
}

function errnoOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/**
 * Refuses an existing root the guard must not use. The root is where per-call directories are created
 * and, at cleanup, removed: whoever can write it, or can point it elsewhere, could make the guard create
 * or delete files in a place of their choosing. So the leaf must be a real directory (a symbolic link
 * is refused: another user could repoint it), owned by the server's user, writable by no one else, and
 * writable by the server.
 *
 * A root writable by group or others is refused, not repaired with chmod: whatever another user already
 * planted in it stays there after a chmod, a chmod of a directory the owner chose could break whatever
 * else shares it, and a silent change of permissions is not something an option should do. (Mode and
 * owner are POSIX notions: on Windows only the link and directory checks apply.)
 */
function checkExistingRoot(configured: string, path: string, st: Stats): void {
  if (st.isSymbolicLink()) {
    throw rootError(
      configured,
      'is a symbolic link',
      'Give tempRoot the real path of a directory: the guard never uses a link as its root, which another user could point elsewhere.',
    );
  }
  if (!st.isDirectory()) {
    throw rootError(
      configured,
      'exists and is not a directory',
      'Give tempRoot a directory, or a path that does not exist yet.',
    );
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw rootError(
      configured,
      `is owned by another user (uid ${st.uid}; the server runs as uid ${uid})`,
      'Give tempRoot a directory owned by the user the server runs as, or a path that does not exist yet (the guard creates it with mode 0700).',
    );
  }
  if (process.platform !== 'win32' && (st.mode & SHARED_WRITE) !== 0) {
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    throw rootError(
      configured,
      `is writable by group or others (mode ${mode})`,
      "Give tempRoot a private directory instead: a path that does not exist yet, inside a directory only the server's user can write (under its home directory, for example); the guard creates it with mode 0700. Leave a shared directory such as /tmp as it is.",
    );
  }
  try {
    accessSync(path, constants.W_OK | constants.X_OK);
  } catch (cause) {
    throw rootError(
      configured,
      'is not writable by the server',
      'Give tempRoot a directory the server can write.',
      cause,
    );
  }
}

/**
 * Checks, without creating or changing anything, that the guard can use `root` as its temp root: if it
 * exists, it must be a real directory (not a symbolic link) owned by the server's user, writable by it
 * and by no one else; if it does not, and `mustBeCreatable` is set, its nearest existing ancestor must
 * be a directory the server can write. Ancestors may be symbolic links (`/tmp` is one on macOS).
 *
 * This runs at construction, so that a bad root fails there rather than at the first `tempDir()`; the
 * root is still created only at the first `tempDir()`, where {@link prepareTempRoot} checks it again
 * (another user may have created it in between).
 *
 * @param root - the root, an absolute path
 * @param mustBeCreatable - whether a root that does not exist must be creatable now
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` at `tempRoot`, saying what is wrong
 * @example
 * ```ts
 * checkTempRoot('/var/lib/my-server/tmp', true); // throws if it is a link, someone else's, or world-writable
 * ```
 */
export function checkTempRoot(root: string, mustBeCreatable: boolean): void {
  const leaf = resolve(root);
  let st: Stats | undefined;
  try {
    st = lstatSync(leaf);
  } catch (cause) {
    const code = errnoOf(cause);
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw rootError(root, 'cannot be examined', 'Give tempRoot a directory the server can create and write.', cause);
    }
  }
  if (st !== undefined) {
    checkExistingRoot(root, leaf, st);
    return;
  }
  if (!mustBeCreatable) return;
  for (let dir = dirname(leaf); ; dir = dirname(dir)) {
    let ancestor: Stats | undefined;
    try {
      ancestor = statSync(dir);
    } catch (cause) {
      const code = errnoOf(cause);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        throw rootError(
          root,
          `cannot be created: ${dir} cannot be examined`,
          'Give tempRoot a path under a directory the server can write.',
          cause,
        );
      }
    }
    if (ancestor !== undefined) {
      if (!ancestor.isDirectory()) {
        throw rootError(
          root,
          `cannot be created: ${dir} is not a directory`,
          'Give tempRoot a path under a directory the server can write.',
        );
      }
      try {
        accessSync(dir, constants.W_OK | constants.X_OK);
      } catch (cause) {
        throw rootError(
          root,
          `cannot be created: ${dir} is not writable by the server`,
          'Give tempRoot a path under a directory the server can write.',
          cause,
        );
      }
      return;
    }
    if (dirname(dir) === dir) return;
  }
}

/**
 * Creates the temp root if needed (mode 0700, ancestors too) and returns its real path, after checking
 * it as {@link checkTempRoot} does: an existing root that is a symbolic link, another user's, or
 * writable by group or others is refused, never used or chmod-ed. The parent is resolved with
 * `realpath` (it may legitimately be a link); the leaf itself must be a real directory. Called at every
 * `tempDir()`: with the real path an earlier call returned (`known`), a root still there is only
 * checked again (one `lstat`, one `access`), so one swapped for a link or opened to other users is
 * refused; a root removed meanwhile (by another guard's `close()`) is created again.
 *
 * @param root - the configured root
 * @param known - the real path an earlier call returned, if any
 * @returns its real path
 * @throws {@link ResourceGuardError} `INVALID_CONFIG` at `tempRoot` when it cannot be created or used
 * @example
 * ```ts
 * const real = prepareTempRoot('/tmp/my-server-tmp'); // created 0700 if it did not exist
 * ```
 */
export function prepareTempRoot(root: string, known?: string): string {
  if (known !== undefined) {
    let st: Stats | undefined;
    try {
      st = lstatSync(known);
    } catch (cause) {
      if (errnoOf(cause) !== 'ENOENT') {
        throw rootError(
          root,
          'cannot be examined',
          'Give tempRoot a directory the server can create and write.',
          cause,
        );
      }
    }
    if (st !== undefined) {
      checkExistingRoot(root, known, st);
      return known;
    }
  }
  const leaf = resolve(root);
  let real: string;
  try {
    const parent = dirname(leaf);
    mkdirSync(parent, { recursive: true, mode: 0o700 });
    real = parent === leaf ? leaf : join(realpathSync(parent), basename(leaf));
    try {
      // 0700 less the umask: a umask can only remove bits, so never more than owner-only.
      mkdirSync(real, { mode: 0o700 });
    } catch (error) {
      if (errnoOf(error) !== 'EEXIST') throw error;
    }
  } catch (cause) {
    throw rootError(root, 'cannot be created', 'Give tempRoot a directory the server can create and write.', cause);
  }
  // lstat, not stat: a link planted at the leaf (before or after it was created) is refused.
  let st: Stats;
  try {
    st = lstatSync(real);
  } catch (cause) {
    throw rootError(root, 'cannot be examined', 'Give tempRoot a directory the server can create and write.', cause);
  }
  checkExistingRoot(root, real, st);
  return real;
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
export function tempStorageSource(dirOf: (call: TrackedCall) => string | undefined): UsageSource<TrackedCall> {
  const measuring = new WeakSet<TrackedCall>();
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
