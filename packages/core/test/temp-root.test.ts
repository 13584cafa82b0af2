/**
 * The temp root and per-call temp directories: checked at construction, owner-only whatever the umask,
 * never a link or a directory other users can write, and cleanup that never deletes outside the call's
 * own directory. Real directories and real modes throughout (no mocks of node:fs).
 */

import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  type CleanupReport,
  createResourceGuard,
  getCallContext,
  type ResourceGuard,
  ResourceGuardError,
  type ResourceGuardOptions,
  type ToolCall,
} from '../src/index.js';

const base = fs.realpathSync(fs.mkdtempSync(join(tmpdir(), 'guard-temp-root-')));
const uid = process.getuid?.();
const isRoot = uid === 0;
const posix = process.platform !== 'win32';
let counter = 0;
const guards: ResourceGuard[] = [];

/** A fresh path under the test's directory (not created). */
const fresh = (name = 'p'): string => join(base, `${name}-${++counter}`);
const modeOf = (path: string): number => fs.lstatSync(path).mode & 0o7777;

function guard(options: ResourceGuardOptions = {}): ResourceGuard {
  const g = createResourceGuard({ probes: false, watchdog: false, ...options });
  guards.push(g);
  return g;
}

function configError(options: ResourceGuardOptions): ResourceGuardError {
  try {
    guard(options);
  } catch (e) {
    if (ResourceGuardError.is(e)) return e;
    throw e;
  }
  throw new Error('expected the options to be rejected');
}

/** Everything under `dir`, as relative paths, so a test can see that nothing was created. */
function listing(dir: string): string[] {
  return (fs.readdirSync(dir, { recursive: true }) as string[]).sort();
}

/** Runs `fn` in a call of `g`, ends the call, and returns what `fn` returned and the cleanup report. */
async function inCall<T>(
  g: ResourceGuard,
  fn: () => T,
  toolName = 'tmp',
): Promise<{ value: T; report: CleanupReport }> {
  const call = await g.admit({ toolName });
  const value = call.run(fn);
  call.end('ok');
  return { value, report: (await call.settled) as CleanupReport };
}

/** Another call of `g`, still in flight, whose temp dir holds keep.txt: what a tool must never reach. */
async function siblingWithFile(g: ResourceGuard): Promise<{ call: ToolCall; dir: string }> {
  const call = await g.admit({ toolName: 'other' });
  const dir = call.run(() => {
    const d = getCallContext().tempDir();
    fs.writeFileSync(join(d, 'keep.txt'), 'keep');
    return d;
  });
  return { call, dir };
}

afterEach(async () => {
  for (const g of guards.splice(0)) await g.close();
});

afterAll(() => {
  // Give back write permission where a test took it, so that the directory can be removed.
  for (const entry of listing(base)) {
    const path = join(base, entry);
    const st = fs.lstatSync(path);
    if (st.isDirectory()) fs.chmodSync(path, 0o700);
  }
  fs.rmSync(base, { recursive: true, force: true });
});

/** The error the first `tempDir()` of a call throws. */
async function tempDirError(g: ResourceGuard): Promise<ResourceGuardError> {
  const call = await g.admit({ toolName: 'tmp' });
  let caught: unknown;
  call.run(() => {
    try {
      getCallContext().tempDir();
    } catch (e) {
      caught = e;
    }
  });
  call.end('ok');
  await call.settled;
  if (!ResourceGuardError.is(caught)) throw new Error(`expected a ResourceGuardError, got ${String(caught)}`);
  return caught;
}

describe('the temp root at construction', () => {
  it('accepts a root that does not exist yet, creates nothing until tempDir(), then creates it 0700', async () => {
    const root = join(fresh('deep'), 'a', 'b', 'root');
    const before = listing(base);
    const g = guard({ tempRoot: root });
    expect(listing(base)).toEqual(before);
    const { value: dir } = await inCall(g, () => getCallContext().tempDir());
    expect(dirname(dir)).toBe(root);
    if (posix) {
      expect(modeOf(root).toString(8)).toBe('700');
      expect(modeOf(dirname(root)).toString(8)).toBe('700'); // ancestors it had to create, too
    }
  });

  it('refuses a root under a file, naming tempRoot, and creates nothing', () => {
    const file = fresh('file');
    fs.writeFileSync(file, 'x');
    const before = listing(base);
    const err = configError({ tempRoot: join(file, 'sub', 'root') });
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.path).toBe('tempRoot');
    expect(err.value).toBe(join(file, 'sub', 'root'));
    expect(err.message).toMatch(/cannot be created: .* is not a directory/);
    expect(err.hint.length).toBeGreaterThan(0);
    expect(listing(base)).toEqual(before);
  });

  it.runIf(posix && !isRoot)('refuses a root under a directory the server cannot write', () => {
    const locked = fresh('locked');
    fs.mkdirSync(locked);
    fs.chmodSync(locked, 0o500);
    const err = configError({ tempRoot: join(locked, 'root') });
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/not writable/);
    expect(fs.readdirSync(locked)).toEqual([]);
  });

  it('refuses a root that is a file', () => {
    const file = fresh('file');
    fs.writeFileSync(file, 'x');
    const err = configError({ tempRoot: file });
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/not a directory/);
  });

  it('refuses a root that is a symbolic link, even to a directory of its own, and leaves the target alone', () => {
    const target = fresh('target');
    fs.mkdirSync(target, { mode: 0o700 });
    const link = fresh('link');
    fs.symlinkSync(target, link);
    const err = configError({ tempRoot: link });
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/symbolic link/);
    expect(err.hint).toMatch(/real path/);
    expect(fs.readdirSync(target)).toEqual([]);
  });

  it('accepts a root whose parent is a symbolic link (like /tmp on macOS) and works under its real path', async () => {
    const realParent = fresh('real-parent');
    fs.mkdirSync(realParent, { mode: 0o700 });
    const linkParent = fresh('link-parent');
    fs.symlinkSync(realParent, linkParent);
    const g = guard({ tempRoot: join(linkParent, 'root') });
    const { value: dir, report } = await inCall(g, () => getCallContext().tempDir());
    expect(dirname(dir)).toBe(join(realParent, 'root'));
    expect(fs.lstatSync(join(realParent, 'root')).isDirectory()).toBe(true);
    expect(report.closed).toEqual({ temp_dir: 1 });
    expect(fs.existsSync(dir)).toBe(false);
  });

  it.runIf(posix).each([
    ['0777', 0o777],
    ['0770', 0o770],
    ['0707', 0o707],
    ['1777', 0o1777],
    ['0720', 0o720],
  ])(
    'refuses an existing root of mode %s (writable by group or others) and leaves its mode as it was',
    (_label, mode) => {
      const root = fresh('open');
      fs.mkdirSync(root);
      fs.chmodSync(root, mode);
      const err = configError({ tempRoot: root });
      expect(err.code).toBe('INVALID_CONFIG');
      expect(err.path).toBe('tempRoot');
      expect(err.message).toMatch(/writable by group or others/);
      // A private root, never a chmod (the root may be a shared directory such as /tmp).
      expect(err.hint).toMatch(/private directory/);
      expect(err.hint).not.toMatch(/chmod/);
      expect(modeOf(root)).toBe(mode);
    },
  );

  it.runIf(posix)(
    'accepts an existing root of its own that others can read but not write (0755), unchanged',
    async () => {
      const root = fresh('readable');
      fs.mkdirSync(root);
      fs.chmodSync(root, 0o755);
      const g = guard({ tempRoot: root });
      const { value: dir } = await inCall(g, () => getCallContext().tempDir());
      expect(dirname(dir)).toBe(root);
      expect(modeOf(root)).toBe(0o755);
    },
  );

  it.runIf(posix)('refuses an existing root owned by another user', () => {
    let root = '/'; // owned by root: another user, unless the tests run as root
    if (isRoot) {
      root = fresh('foreign');
      fs.mkdirSync(root);
      fs.chmodSync(root, 0o700);
      fs.chownSync(root, 65534, 65534);
    }
    const err = configError({ tempRoot: root });
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/owned by another user/);
  });
});

describe('the default root <tmpdir>/mcp-resource-guard-<pid>', () => {
  const savedTmpdir = process.env.TMPDIR;
  afterEach(() => {
    if (savedTmpdir === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = savedTmpdir;
  });

  /** Points os.tmpdir() at a fresh directory of the test's; returns it and the default root there. */
  function sharedTmp(): { tmp: string; root: string } {
    const tmp = fresh('tmp');
    fs.mkdirSync(tmp, { mode: 0o700 });
    process.env.TMPDIR = tmp;
    expect(tmpdir()).toBe(tmp);
    return { tmp, root: join(tmp, `mcp-resource-guard-${process.pid}`) };
  }

  it('refuses a link planted at the predictable name, at construction', () => {
    const { root } = sharedTmp();
    const elsewhere = fresh('elsewhere');
    fs.mkdirSync(elsewhere, { mode: 0o700 });
    fs.symlinkSync(elsewhere, root);
    const err = configError({});
    expect(err.path).toBe('tempRoot');
    expect(err.value).toBe(root);
    expect(err.message).toMatch(/symbolic link/);
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it.runIf(posix)('refuses a directory planted there that others can write, and leaves its mode', () => {
    const { root } = sharedTmp();
    fs.mkdirSync(root);
    fs.chmodSync(root, 0o777);
    const err = configError({});
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/writable by group or others/);
    expect(modeOf(root)).toBe(0o777);
  });

  // Giving a directory away needs root; without it, the configured-root test above covers the check.
  it.runIf(posix && isRoot)('refuses one planted there by another user', () => {
    const { root } = sharedTmp();
    fs.mkdirSync(root, { mode: 0o700 });
    fs.chownSync(root, 65534, 65534);
    const err = configError({});
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/owned by another user/);
  });

  it('uses an owner-only one of its own left there (another guard of the process)', async () => {
    const { root } = sharedTmp();
    fs.mkdirSync(root, { mode: 0o700 });
    const g = guard();
    const { value: dir } = await inCall(g, () => getCallContext().tempDir());
    expect(dirname(dir)).toBe(root);
  });

  it('does not require a writable tmpdir at construction; the first tempDir() says it cannot create the root', async () => {
    const file = fresh('not-a-dir');
    fs.writeFileSync(file, 'x');
    process.env.TMPDIR = file;
    const caught = await tempDirError(guard());
    expect(caught.code).toBe('INVALID_CONFIG');
    expect(caught.path).toBe('tempRoot');
    expect(caught.message).toMatch(/cannot be created/);
  });
});

describe('the temp root at tempDir(): checked again', () => {
  it('refuses a link planted at the root after construction, and creates nothing where it points', async () => {
    const root = fresh('late-link');
    const g = guard({ tempRoot: root });
    const victim = fresh('victim');
    fs.mkdirSync(victim, { mode: 0o700 });
    fs.symlinkSync(victim, root);
    const err = await tempDirError(g);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.path).toBe('tempRoot');
    expect(err.message).toMatch(/symbolic link/);
    expect(fs.readdirSync(victim)).toEqual([]);
  });

  it.runIf(posix)(
    'refuses a world-writable directory created at the root after construction, mode untouched',
    async () => {
      const root = fresh('late-open');
      const g = guard({ tempRoot: root });
      fs.mkdirSync(root);
      fs.chmodSync(root, 0o777);
      const err = await tempDirError(g);
      expect(err.message).toMatch(/writable by group or others/);
      expect(modeOf(root)).toBe(0o777);
      expect(fs.readdirSync(root)).toEqual([]);
    },
  );

  it('creates the root again when another guard sharing it removed it at close()', async () => {
    const root = fresh('shared');
    const a = guard({ tempRoot: root });
    const b = guard({ tempRoot: root });
    await inCall(b, () => getCallContext().tempDir()); // b has used the root before
    await inCall(a, () => getCallContext().tempDir());
    await a.close();
    expect(fs.existsSync(root)).toBe(false); // empty, so a removed it
    const { value: dir, report } = await inCall(b, () => getCallContext().tempDir());
    expect(dirname(dir)).toBe(root);
    expect(report.closed).toEqual({ temp_dir: 1 });
  });
});

describe('per-call directories are owner-only whatever the umask', () => {
  it.runIf(posix).each([
    ['000', 0o000],
    ['002', 0o002],
    ['022', 0o022],
    ['077', 0o077],
  ])('under umask %s: root, its new ancestors and call dirs are 0700', async (_label, mask) => {
    const root = join(fresh('umask'), 'nested', 'root');
    const g = guard({ tempRoot: root });
    const previous = process.umask(mask);
    try {
      const { value } = await inCall(g, () => {
        const dir = getCallContext().tempDir();
        return { dir, mode: modeOf(dir) };
      });
      expect(value.mode.toString(8)).toBe('700');
      expect(modeOf(root).toString(8)).toBe('700');
      expect(modeOf(dirname(root)).toString(8)).toBe('700');
      expect(modeOf(dirname(dirname(root))).toString(8)).toBe('700');
    } finally {
      process.umask(previous);
    }
  });
});

describe('cleanup never deletes outside the call’s own directory (`..` in what a tool controls)', () => {
  it('a tool name with ../ does not move the directory out of the root', async () => {
    const root = fresh('names');
    const sentinel = join(dirname(root), `sentinel-${counter}`);
    fs.writeFileSync(sentinel, 'keep');
    const g = guard({ tempRoot: root });
    const { value: dir, report } = await inCall(g, () => getCallContext().tempDir(), '../../../escape');
    expect(dirname(dir)).toBe(root);
    expect(basename(dir)).not.toContain('..');
    expect(report.closed).toEqual({ temp_dir: 1 });
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readFileSync(sentinel, 'utf8')).toBe('keep');
    expect(fs.existsSync(root)).toBe(true);
  });

  it('links named inside the directory that point to .., ../.. or a sibling call are removed, not followed', async () => {
    const root = fresh('inner-links');
    const sentinel = join(dirname(root), `sentinel-${counter}`);
    fs.writeFileSync(sentinel, 'keep');
    const g = guard({ tempRoot: root });
    const { call: other, dir: otherDir } = await siblingWithFile(g);
    const { value: dir, report } = await inCall(g, () => {
      const d = getCallContext().tempDir();
      fs.symlinkSync('..', join(d, 'up'));
      fs.symlinkSync('../..', join(d, 'up2'));
      fs.symlinkSync(join('..', basename(otherDir)), join(d, 'sibling'));
      fs.mkdirSync(join(d, 'sub'));
      fs.symlinkSync('../../..', join(d, 'sub', 'up3'));
      return d;
    });
    expect(report.closed).toEqual({ temp_dir: 1 });
    expect(report.survived).toBe(0);
    expect(fs.existsSync(dir)).toBe(false);
    expect(fs.readFileSync(join(otherDir, 'keep.txt'), 'utf8')).toBe('keep');
    expect(fs.readFileSync(sentinel, 'utf8')).toBe('keep');
    other.end('ok');
    await other.settled;
  });

  it('its directory swapped for a relative link to .. (the root) is refused; to a sibling, only the link goes', async () => {
    const root = fresh('swap');
    const g = guard({ tempRoot: root });
    const { call: other, dir: otherDir } = await siblingWithFile(g);

    const toRoot = await inCall(g, () => {
      const d = getCallContext().tempDir();
      fs.rmSync(d, { recursive: true });
      fs.symlinkSync('..', d);
      return d;
    });
    expect(toRoot.report.survived).toBe(1);
    expect(toRoot.report.errors[0]?.message).toMatch(/outside the temp root/);
    expect(fs.readFileSync(join(otherDir, 'keep.txt'), 'utf8')).toBe('keep');
    fs.unlinkSync(toRoot.value);

    const toSibling = await inCall(g, () => {
      const d = getCallContext().tempDir();
      fs.rmSync(d, { recursive: true });
      fs.symlinkSync(relative(dirname(d), otherDir), d);
      return d;
    });
    expect(toSibling.report.survived).toBe(0);
    expect(fs.existsSync(toSibling.value)).toBe(false); // the link is gone
    expect(fs.readFileSync(join(otherDir, 'keep.txt'), 'utf8')).toBe('keep'); // what it pointed to is not
    other.end('ok');
    await other.settled;
  });

  it('the root itself swapped for a link to a look-alike tree elsewhere: cleanup refuses to follow it', async () => {
    const root = fresh('root-swap');
    const g = guard({ tempRoot: root });
    const victim = fresh('lookalike');
    const { value: dir, report } = await inCall(g, () => {
      const d = getCallContext().tempDir();
      fs.renameSync(root, `${root}.moved`);
      fs.mkdirSync(join(victim, basename(d)), { recursive: true });
      fs.writeFileSync(join(victim, basename(d), 'keep.txt'), 'keep');
      fs.symlinkSync(victim, root);
      return d;
    });
    expect(report.survived).toBe(1);
    expect(report.errors[0]?.message).toMatch(/outside the temp root/);
    expect(fs.readFileSync(join(victim, basename(dir), 'keep.txt'), 'utf8')).toBe('keep');
    // And the next call is refused a directory under the swapped root.
    const call = await g.admit({ toolName: 'next' });
    expect(() => call.run(() => getCallContext().tempDir())).toThrow(/symbolic link/);
    call.end('ok');
    await call.settled;
  });
});
