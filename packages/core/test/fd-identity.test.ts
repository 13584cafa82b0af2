// A descriptor number is only a name: when a tool closes its descriptor in a way the probe does not see,
// the kernel hands the same number to the next open. Cleanup of the first call must never close what the
// number names by then: another session's file, or the server's own.
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CleanupReport, createResourceGuard, type ResourceGuard } from '../src/index.js';
import { admitTracked } from './support/tracked.js';

// Captured before any guard exists, as a library loaded before the guard would have it: the probe never
// sees a close made through it.
const unseenCloseSync = fs.closeSync;

const dir = fs.mkdtempSync(join(tmpdir(), 'guard-fd-identity-'));
const fileA = join(dir, 'a.txt');
const fileB = join(dir, 'b.txt');
fs.writeFileSync(fileA, 'file of session s1');
fs.writeFileSync(fileB, 'file of session s2');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

/**
 * Opens `path` until the kernel hands out `fd` (it gives the lowest free number, and something else in the
 * process may have freed a lower one meanwhile); closes the other descriptors it got on the way. Called in
 * the same synchronous stretch as the close that freed `fd`; even so, an open running on another thread
 * (libuv's pool, serving the test runner's own file reads) can take the number first.
 *
 * @returns `fd`, or undefined when something else holds it now
 */
function openAs(fd: number, path: string): number | undefined {
  const others: number[] = [];
  let got = fs.openSync(path, 'r');
  while (got < fd) {
    others.push(got);
    got = fs.openSync(path, 'r');
  }
  if (got !== fd) others.push(got);
  for (const other of others) fs.closeSync(other);
  return got === fd ? fd : undefined;
}

/** Whether `fd` is open on `path` (the number may be free, or reused by the process for something else). */
function namesFile(fd: number, path: string): boolean {
  try {
    const [open, file] = [fs.fstatSync(fd), fs.statSync(path)];
    return open.dev === file.dev && open.ino === file.ino;
  } catch {
    return false;
  }
}

function readAll(fd: number): string {
  const buffer = Buffer.alloc(64);
  return buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString();
}

/**
 * Call A (session s1) opens a descriptor and closes it behind the probe's back; `reopen` then runs at once,
 * given the free number. Tried again with a new call A while another thread takes the number first.
 */
async function openThenCloseUnseen(
  guard: ResourceGuard,
  reopen: (fd: number) => number | undefined,
): Promise<{ reopened: number; end(): Promise<CleanupReport | undefined> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const a = await admitTracked(guard, { toolName: 'reader', sessionId: 's1' });
    const fd = a.run(() => fs.openSync(fileA, 'r'));
    expect(a.handles.countByKind()).toEqual({ file: 1 });
    unseenCloseSync(fd);
    const reopened = reopen(fd);
    const end = async () => {
      a.end('ok');
      return a.settled;
    };
    if (reopened !== undefined) return { reopened, end };
    await end(); // the number is another thread's now: the cleanup leaves it alone (as tested below)
  }
  throw new Error('another thread took the freed descriptor number in each of 20 attempts');
}

describe('descriptor numbers reused after a close the probe did not see', () => {
  it("another session's call opening the same number takes it over: the first call's cleanup leaves it alone", async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 50 } });
    try {
      const b = await admitTracked(guard, { toolName: 'reader', sessionId: 's2' });
      const a = await openThenCloseUnseen(guard, (fd) => b.run(() => openAs(fd, fileB)));
      const fdB = a.reopened;
      expect(b.handles.countByKind()).toEqual({ file: 1 });

      const reportA = await a.end();
      expect(reportA).toBeUndefined(); // A holds nothing any more: the number is B's
      expect(readAll(fdB)).toBe('file of session s2');

      b.end('ok');
      const reportB = await b.settled;
      expect(reportB?.closed).toEqual({ file: 1 });
      expect(namesFile(fdB, fileB)).toBe(false);
    } finally {
      await guard.close();
    }
  });

  it("the server's own descriptor opened under the same number outside any call is never closed by the call's cleanup", async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 50 } });
    try {
      // Opened outside any call: the server's.
      const a = await openThenCloseUnseen(guard, (fd) => openAs(fd, fileB));
      const serverFd = a.reopened;

      const reportA = await a.end();
      // The call still counted its descriptor as open (it never saw the close); cleanup finds that the
      // number names another file now and closes nothing.
      expect(reportA?.survived).toBe(0);
      expect(readAll(serverFd)).toBe('file of session s2');
      fs.closeSync(serverFd);
    } finally {
      await guard.close();
    }
  });

  it('a descriptor still naming the file the call opened is closed by cleanup as before', async () => {
    const guard = createResourceGuard({ cleanup: { graceMs: 50 } });
    try {
      const call = await admitTracked(guard, { toolName: 'reader', sessionId: 's1' });
      const fd = call.run(() => fs.openSync(fileA, 'r'));
      expect(namesFile(fd, fileA)).toBe(true);
      call.end('ok');
      const report = await call.settled;
      expect(report?.closed).toEqual({ file: 1 });
      expect(namesFile(fd, fileA)).toBe(false);
    } finally {
      await guard.close();
    }
  });
});
