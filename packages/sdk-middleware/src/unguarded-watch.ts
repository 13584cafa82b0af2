/**
 * Says so when a process answers as an MCP server on stdio although no SDK server was seen (the SDK bundled into
 * the server's own code, where the attach cannot reach it): the first writes to stdout are looked at until one
 * carries an `initialize` result (`"serverInfo"`), then stdout is left alone. The bytes are never changed.
 */

import type { AttachStats } from './auto-attach.js';

/** Writes looked at before stdout is left alone. */
const WRITES_WATCHED = 32;

/**
 * Watches the first writes to stdout for an `initialize` result.
 *
 * @param stats - what the attach has done, read when one is seen
 * @param warn - called once when a server answered and none was seen to guard
 */
export function watchForUnguardedServer(stats: () => AttachStats, warn: (message: string) => void): void {
  // process.stdout is made on first use: it is wrapped then, so that a process that never writes gets no handle.
  const descriptor = Object.getOwnPropertyDescriptor(process, 'stdout');
  const get = descriptor?.get;
  if (get === undefined || descriptor?.configurable !== true) return;
  Object.defineProperty(process, 'stdout', {
    configurable: true,
    enumerable: descriptor.enumerable ?? false,
    get(): NodeJS.WriteStream {
      const stdout = get.call(process) as NodeJS.WriteStream;
      Object.defineProperty(process, 'stdout', descriptor);
      watchWrites(stdout, stats, warn);
      return stdout;
    },
  });
}

function watchWrites(stdout: NodeJS.WriteStream, stats: () => AttachStats, warn: (message: string) => void): void {
  const original = stdout.write;
  let left = WRITES_WATCHED;
  const restore = (): void => {
    if (stdout.write === watching) stdout.write = original;
  };
  const watching = function write(this: unknown, chunk: unknown, ...rest: unknown[]): boolean {
    try {
      const text =
        typeof chunk === 'string' ? chunk : chunk instanceof Uint8Array ? Buffer.from(chunk).toString('latin1') : '';
      if (text.includes('"serverInfo"')) {
        restore();
        const { guarded, selfGuarded } = stats();
        if (guarded === 0 && selfGuarded === 0) {
          warn(
            'an MCP server answered on stdio, but no SDK server was seen to guard (is the SDK bundled into the server?): it runs unguarded',
          );
        }
      } else if (--left <= 0) {
        restore();
      }
    } catch {
      restore();
    }
    return (original as (...a: unknown[]) => boolean).call(stdout, chunk, ...rest);
  } as typeof stdout.write;
  stdout.write = watching;
}
