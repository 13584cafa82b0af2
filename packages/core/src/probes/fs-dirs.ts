/** Attributes directory handles (`fs.Dir` from opendir, opendirSync, fs.promises.opendir) to calls: each holds a descriptor until closed. */

import type { Dir } from 'node:fs';
import type { TrackedCall } from '../tool-call.js';
import { attribute, release } from './attribution.js';
import { followIterator } from './cancellable.js';

type AnyFn = (...args: unknown[]) => unknown;

/** After a close attempt the Dir is closed, unless it refused because a read was in flight. */
function closedAfter(error: unknown): boolean {
  return (error as { code?: unknown } | null | undefined)?.code !== 'ERR_DIR_CONCURRENT_OPERATION';
}

function defineOwn(target: object, key: string | symbol, value: AnyFn): void {
  Object.defineProperty(target, key, { value, writable: true, configurable: true });
}

/**
 * Makes a Dir opened inside a call the call's: a file handle until the tool closes it (`close()`,
 * `closeSync()`, the end of its async iteration, `using` / `await using`), closed by cleanup otherwise.
 * Node keeps a Dir's closed state private, so the instance gets its own closing methods, which report
 * to the call; nothing changes for Dirs opened outside calls.
 *
 * @param dir - the Dir
 * @param call - the call that opened it
 * @param label - its path, for reports
 * @example
 * ```ts
 * const dir = fs.opendirSync(path);
 * trackDir(dir, call, path);
 * ```
 */
export function trackDir(dir: Dir, call: TrackedCall, label: string | undefined): void {
  let closed = false;
  let closedByGuard = false;
  const markClosed = (): void => {
    if (closed) return;
    closed = true;
    release(dir);
  };
  const settled = (error: unknown): void => {
    if (closedAfter(error)) markClosed();
  };
  const closer = {
    close: async () => {
      if (closed) return;
      closedByGuard = true;
      // Waits for a read in flight, then closes.
      await dir.close().catch(() => undefined);
    },
    isClosed: () => closed,
  };
  if (!attribute(dir, 'file', closer, label, call)) return;

  const proto = Object.getPrototypeOf(dir) as Record<string | symbol, AnyFn>;
  defineOwn(dir, 'close', function close(this: Dir, callback?: unknown): unknown {
    if (typeof callback === 'function') {
      return proto.close?.call(this, (error: unknown) => {
        settled(error);
        (callback as AnyFn)(error);
      });
    }
    const result = proto.close?.call(this, callback);
    if (!(result instanceof Promise)) return result;
    return result.then(markClosed, (error: unknown) => {
      settled(error);
      throw error;
    });
  });
  defineOwn(dir, 'closeSync', function closeSync(this: Dir): unknown {
    try {
      const result = proto.closeSync?.call(this);
      markClosed();
      return result;
    } catch (error) {
      settled(error);
      throw error;
    }
  });
  const asyncDispose = proto[Symbol.asyncDispose];
  if (asyncDispose !== undefined) {
    defineOwn(dir, Symbol.asyncDispose, function dispose(this: Dir): unknown {
      return (asyncDispose.call(this) as Promise<void>).finally(markClosed);
    });
  }
  const entries = proto.entries;
  if (entries !== undefined) {
    const iterate = function iterate(this: Dir): AsyncGenerator<unknown> {
      return followIterator(entries.call(this) as AsyncGenerator<unknown>, markClosed, () => closedByGuard);
    };
    defineOwn(dir, 'entries', iterate);
    defineOwn(dir, Symbol.asyncIterator, iterate);
  }
}
