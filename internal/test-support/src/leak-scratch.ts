import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LeakEnv } from './leak-corpus.js';

/** The files of a {@link LeakEnv}, in a directory of their own. */
export interface LeakScratch extends Pick<LeakEnv, 'dir' | 'file' | 'forkScript' | 'marker'> {
  /** Removes the directory. */
  remove(): void;
}

/**
 * Makes a scratch directory with a 64 KiB file and the fork script of the leak corpus, and a marker for the processes
 * it starts (`29.0<pid>1`: a sleep of about 29 s, unique to this process). Watches the directory once, so that libuv
 * opens the one inotify descriptor it keeps per loop now, before any baseline. Call it outside any guarded call.
 *
 * @param prefix - the start of the directory's name, in the system's temp dir
 * @returns the scratch files
 */
export function leakScratch(prefix: string): LeakScratch {
  const dir = fs.mkdtempSync(join(tmpdir(), prefix));
  const file = join(dir, 'data.bin');
  fs.writeFileSync(file, Buffer.alloc(64 * 1024, 0x61));
  const forkScript = join(dir, 'idle.cjs');
  fs.writeFileSync(forkScript, "setInterval(() => {}, 1000);\nprocess.send('ready');\n");
  fs.watch(dir).close();
  return {
    dir,
    file,
    forkScript,
    marker: `29.0${process.pid}1`,
    remove: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}
