/** Attributes files to calls: FileHandles, descriptors from fs.open/openSync, read/write streams, watchers. */

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { fdCloser, fileHandleCloser, streamCloser, watcherCloser } from '../handle-closers.js';
import type { ToolCall } from '../tool-call.js';
import { attribute, currentCall, release } from './attribution.js';

type Callback = (...args: unknown[]) => void;
type AnyFn = (...args: never[]) => unknown;

/** Descriptors opened inside calls, by number: the owner and whether the fd is still the one it opened. */
const descriptors = new Map<number, { call: ToolCall; key: object; open: boolean }>();

function pathLabel(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return path.pathname;
  if (Buffer.isBuffer(path)) return path.toString();
  return undefined;
}

function trackDescriptor(fd: number, call: ToolCall, path: unknown, closeSync: (fd: number) => void): void {
  const key = {};
  const entry = { call, key, open: true };
  descriptors.set(fd, entry);
  attribute(
    key,
    'file',
    fdCloser(
      () => {
        entry.open = false;
        descriptors.delete(fd);
        closeSync(fd);
      },
      () => entry.open,
    ),
    pathLabel(path),
    call,
  );
}

function forgetDescriptor(fd: unknown): void {
  if (typeof fd !== 'number') return;
  const entry = descriptors.get(fd);
  if (entry === undefined) return;
  entry.open = false;
  descriptors.delete(fd);
  release(entry.key);
}

/** A stream opens its own descriptor: the stream, not the descriptor, is the handle to close. */
function adoptStreamDescriptor(stream: NodeJS.EventEmitter): void {
  stream.once('open', (fd: number) => {
    const entry = descriptors.get(fd);
    if (entry === undefined) return;
    descriptors.delete(fd);
    release(entry.key);
  });
}

/** Wraps `fs.createReadStream` / `createWriteStream`: the stream is the call's handle, not its descriptor. */
function streamFactory(create: AnyFn): AnyFn {
  return function createStream(this: unknown, ...args: unknown[]): unknown {
    const stream = create.apply(this, args as never[]) as fs.ReadStream;
    if (attribute(stream, 'file', streamCloser(stream), pathLabel(args[0]))) {
      adoptStreamDescriptor(stream);
      stream.once('close', () => release(stream));
    }
    return stream;
  };
}

/**
 * Installs the file probe; returns the function that uninstalls it.
 *
 * @returns uninstall
 */
export function installFsProbe(): () => void {
  const original = {
    open: fs.open,
    openSync: fs.openSync,
    close: fs.close,
    closeSync: fs.closeSync,
    promisesOpen: fs.promises.open,
    createReadStream: fs.createReadStream,
    createWriteStream: fs.createWriteStream,
    watch: fs.watch,
  };
  const closeSync = original.closeSync;

  const patched = {
    open: function open(this: unknown, path: unknown, ...rest: unknown[]): void {
      const call = currentCall();
      const last = rest.length - 1;
      const cb = rest[last];
      if (call !== undefined && typeof cb === 'function') {
        rest[last] = (error: unknown, fd: number) => {
          if (error == null && typeof fd === 'number') trackDescriptor(fd, call, path, closeSync);
          (cb as Callback)(error, fd);
        };
      }
      (original.open as AnyFn).apply(this, [path, ...rest] as never[]);
    },
    openSync: function openSync(this: unknown, path: unknown, ...rest: unknown[]): number {
      const fd = (original.openSync as AnyFn).apply(this, [path, ...rest] as never[]) as number;
      const call = currentCall();
      if (call !== undefined) trackDescriptor(fd, call, path, closeSync);
      return fd;
    },
    close: function close(this: unknown, fd: unknown, ...rest: unknown[]): void {
      forgetDescriptor(fd);
      (original.close as AnyFn).apply(this, [fd, ...rest] as never[]);
    },
    closeSync: function closeSync(this: unknown, fd: unknown): void {
      forgetDescriptor(fd);
      (original.closeSync as AnyFn).call(this, fd as never);
    },
    promisesOpen: async function open(this: unknown, ...args: unknown[]): Promise<fs.promises.FileHandle> {
      const call = currentCall();
      const handle = (await (original.promisesOpen as AnyFn).apply(this, args as never[])) as fs.promises.FileHandle;
      if (call !== undefined && attribute(handle, 'file', fileHandleCloser(handle), pathLabel(args[0]), call)) {
        // FileHandle emits 'close' (it is an EventEmitter at run time, though not in its typings).
        (handle as unknown as NodeJS.EventEmitter).once('close', () => release(handle));
      }
      return handle;
    },
    createReadStream: streamFactory(original.createReadStream as AnyFn),
    createWriteStream: streamFactory(original.createWriteStream as AnyFn),
    watch: function watch(this: unknown, ...args: unknown[]): fs.FSWatcher {
      const watcher = (original.watch as AnyFn).apply(this, args as never[]) as fs.FSWatcher;
      if (attribute(watcher, 'watcher', watcherCloser(watcher), pathLabel(args[0]))) {
        watcher.once('close', () => release(watcher));
        // Its 'close' event comes a turn later: closed by the tool means released now.
        const close = watcher.close;
        watcher.close = function closeReleased(this: fs.FSWatcher): void {
          release(watcher);
          close.call(this);
        };
      }
      return watcher;
    },
  };

  const mutable = fs as unknown as Record<string, unknown>;
  const promises = fs.promises as unknown as Record<string, unknown>;
  mutable.open = patched.open;
  mutable.openSync = patched.openSync;
  mutable.close = patched.close;
  mutable.closeSync = patched.closeSync;
  mutable.createReadStream = patched.createReadStream;
  mutable.createWriteStream = patched.createWriteStream;
  mutable.watch = patched.watch;
  promises.open = patched.promisesOpen;
  syncBuiltinESMExports();

  return () => {
    mutable.open = original.open;
    mutable.openSync = original.openSync;
    mutable.close = original.close;
    mutable.closeSync = original.closeSync;
    mutable.createReadStream = original.createReadStream;
    mutable.createWriteStream = original.createWriteStream;
    mutable.watch = original.watch;
    promises.open = original.promisesOpen;
    syncBuiltinESMExports();
  };
}
