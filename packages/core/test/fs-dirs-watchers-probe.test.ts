// Directory handles (fs.opendir, opendirSync, fs.promises.opendir) and the watchers fs.watchFile and
// fs.promises.watch inside calls. Real directories, real watchers, real cleanup.
import fs, { opendirSync, unwatchFile, watchFile } from 'node:fs';
import { opendir as opendirPromise, watch as watchPromise, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEAKS, type LeakEnv, leakScratch, sleep } from '@mcp-resource-guard/test-support';
import { afterAll, describe, expect, it } from 'vitest';
import { createResourceGuard } from '../src/index.js';
import { checkLeakPair } from './support/leak-pair.js';
import { runLeaky } from './support/run-leaky.js';

// Its files (and the one inotify descriptor libuv keeps per loop once a watcher is first used) come before any
// baseline.
const scratch = leakScratch('guard-fs-kinds-');
const { dir } = scratch;
for (let i = 0; i < 20; i++) fs.writeFileSync(join(dir, `f${i}.txt`), String(i));
const target = join(dir, 'f0.txt');
afterAll(() => scratch.remove());
/** What the leak corpus opens: the scratch directory, and `target` as the file watched. */
const env: LeakEnv = { ...scratch, file: target };

const tick = () => sleep(20);

/** Whether a Dir is still open: reading one entry works (it consumes that entry). */
function dirOpen(d: fs.Dir): boolean {
  try {
    d.readSync();
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_DIR_CLOSED') return false;
    throw error;
  }
}

const opendirs: [string, () => Promise<fs.Dir>][] = [
  ['fs.opendir (callback)', () => LEAKS.dir(env)],
  [
    'fs.opendirSync',
    async () => {
      await tick();
      return LEAKS.dirSync(env);
    },
  ],
  ['fs.promises.opendir, partly read', () => LEAKS.dirPromise(env)],
];

describe('directory handles: attributed, counted, closed at cleanup, back to baseline (two calls at once)', () => {
  it.each(opendirs)('%s', async (_name, open) => {
    await checkLeakPair({ open, holds: { file: 1 }, usage: { fileHandles: 1 }, isOpen: dirOpen });
  });
});

describe('watchers: attributed, counted, closed at cleanup, back to baseline (two calls at once)', () => {
  it('fs.watchFile: each call’s listener on the one StatWatcher of the file', async () => {
    await checkLeakPair({
      open: async () => {
        await tick();
        return LEAKS.watchFile(env);
      },
      holds: { watcher: 1 },
      usage: { fileHandles: 1 },
      shared: true,
      isOpen: ({ watcher, listener }) => watcher.listeners('change').includes(listener),
    });
  });

  it('fs.promises.watch, waiting for a change', async () => {
    await checkLeakPair({
      open: async () => {
        await LEAKS.watchIterator(env);
        await tick();
      },
      holds: { watcher: 1 },
      usage: { fileHandles: 1 },
    });
  });
});

describe('directory handles the tool closes, and what cleanup does to one in use', () => {
  it('releases a Dir closed by close(), closeSync(), close(callback) or a finished iteration: no leak', async () => {
    const guard = createResourceGuard();
    const open: number[] = [];
    const { during, record, report } = await runLeaky(guard, 'tidy', async (call) => {
      const counted = <T>(d: T): T => {
        open.push(call.usage().fileHandles);
        return d;
      };
      await counted(await opendirPromise(dir)).close();
      counted(opendirSync(dir)).closeSync();
      const d = counted(opendirSync(dir));
      await new Promise<void>((resolve) => d.close(() => resolve()));
      for await (const _ of counted(await opendirPromise(dir))) {
        // read to the end: the iteration closes it
      }
      for await (const _ of counted(opendirSync(dir))) break;
    });
    // Each was counted while open, and released when the tool closed it.
    expect(open).toEqual([1, 1, 1, 1, 1]);
    expect(during.fileHandles).toBe(0);
    expect(record.leaked).toEqual({});
    expect(report).toBeUndefined();
    await guard.close();
  });

  it('closes a Dir the tool is still iterating: the iteration stops without an error', async () => {
    const guard = createResourceGuard();
    let seen = 0;
    let outcome = 'pending';
    const call = await guard.admit({ toolName: 'walker' });
    call
      .run(async () => {
        for await (const _ of await opendirPromise(dir, { bufferSize: 1 })) {
          seen++;
          await new Promise((r) => setTimeout(r, 10));
        }
      })
      .then(
        () => {
          outcome = 'done';
        },
        () => {
          outcome = 'failed';
        },
      );
    await new Promise((r) => setTimeout(r, 35));
    call.end('cancelled');
    // The Dir, and the tool's own pending setTimeout.
    expect((await call.settled)?.closed).toMatchObject({ file: 1 });
    const after = seen;
    await new Promise((r) => setTimeout(r, 60));
    expect(seen).toBeLessThanOrEqual(after + 1);
    expect(seen).toBeLessThan(20);
    expect(outcome).toBe('pending');
    await guard.close();
  });
});

describe('watchers the tool stops', () => {
  it('releases fs.watchFile listeners removed with fs.unwatchFile, and fs.promises.watch iterations ended', async () => {
    const guard = createResourceGuard();
    const own = new AbortController();
    const { during, record } = await runLeaky(guard, 'tidy', async () => {
      const one = () => {};
      const two = () => {};
      watchFile(target, one);
      watchFile(target, two);
      unwatchFile(target, one);
      unwatchFile(target);
      const changes = watchPromise(dir, { signal: own.signal })[Symbol.asyncIterator]();
      const next = changes.next();
      own.abort();
      await expect(next).rejects.toMatchObject({ name: 'AbortError' });
      const more = watchPromise(dir)[Symbol.asyncIterator]();
      const first = more.next();
      await tick();
      await writeFile(join(dir, 'touched.txt'), 'x');
      await first;
      await more.return?.(undefined);
    });
    expect(during.fileHandles).toBe(0);
    expect(record.leaked).toEqual({});
    await guard.close();
  });
});
