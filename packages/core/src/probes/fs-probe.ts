/**
 * Attributes files to calls: FileHandles, descriptors from fs.open/openSync, directory handles
 * (opendir), read/write streams, and watchers (fs.watch, fs.watchFile, fs.promises.watch).
 */

import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fdCloser, fileHandleCloser, streamCloser, watcherCloser } from '../handle-closers.js';
import type { HandleCloser } from '../handle-registry.js';
import type { TrackedCall } from '../tool-call.js';
import { attribute, currentCall, release } from './attribution.js';
import { wrapCancellable } from './cancellable.js';
import { trackDir } from './fs-dirs.js';

type Callback = (...args: unknown[]) => void;
type AnyFn = (...args: never[]) => unknown;

/** Descriptors opened inside calls, by number: the owner and whether the fd is still the one it opened. */
const descriptors = new Map<number, { call: TrackedCall; key: object; open: boolean }>();

/** Node's own fstatSync, taken at load: nothing the guard does here goes through a patched function. */
const nativeFstatSync = fs.fstatSync;

/** What a descriptor refers to: device and inode, or undefined if it is not open. */
function identityOf(fd: number): string | undefined {
  try {
    const stat = nativeFstatSync(fd, { bigint: true });
    return `${stat.dev}:${stat.ino}`;
  } catch {
    return undefined;
  }
}

function pathLabel(path: unknown): string | undefined {
  if (typeof path === 'string') return path;
  if (path instanceof URL) return path.pathname;
  if (Buffer.isBuffer(path)) return path.toString();
  return undefined;
}

/**
 * Attributes a descriptor number to the call that opened it. A number is only a name: if the tool
 * closes it in a way the probe does not see (a function captured before the guard loaded, a native
 * addon, `new net.Socket({ fd })`), the kernel gives the same number to the next open, which may be
 * another call's, or the server's. So the file it names is remembered (device and inode), and cleanup
 * closes the number only while it still names that file; a number seen opened again inside a call
 * is taken from its previous owner at once.
 */
function trackDescriptor(fd: number, call: TrackedCall, path: unknown, closeSync: (fd: number) => void): void {
  forgetDescriptor(fd);
  const key = {};
  const entry = { call, key, open: true };
  const identity = identityOf(fd);
  descriptors.set(fd, entry);
  attribute(
    key,
    'file',
    fdCloser(
      () => {
        entry.open = false;
        if (descriptors.get(fd) === entry) descriptors.delete(fd);
        // Closed behind the probe's back (and perhaps reused since): not this call's to close any more.
        if (identity !== undefined && identityOf(fd) === identity) closeSync(fd);
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

/**
 * Wraps `fs.createReadStream` / `createWriteStream`: the stream is the call's handle, not its descriptor. A
 * stream that closes itself (`autoClose`, the default) is released at its end ('end' read, 'finish' written):
 * its descriptor is being closed then, a turn before 'close', and a tool that answers at the end leaks nothing.
 */
function streamFactory(create: AnyFn, endEvent: 'end' | 'finish'): AnyFn {
  return function createStream(this: unknown, ...args: unknown[]): unknown {
    const stream = create.apply(this, args as never[]) as fs.ReadStream;
    if (attribute(stream, 'file', streamCloser(stream), pathLabel(args[0]))) {
      adoptStreamDescriptor(stream);
      const released = (): void => {
        release(stream);
      };
      stream.once('close', released);
      if ((stream as { autoClose?: boolean }).autoClose !== false) stream.once(endEvent, released);
    }
    return stream;
  };
}

/** A whole-file operation given a descriptor or a FileHandle opens nothing of its own. */
const opensNothing = (args: readonly unknown[]): boolean => typeof args[0] === 'number' || isFileHandle(args[0]);

function isFileHandle(value: unknown): boolean {
  return typeof value === 'object' && value !== null && typeof (value as { fd?: unknown }).fd === 'number';
}

/**
 * `readFile`, `writeFile`, `appendFile` (callback and promise forms) open their descriptor inside Node: it is
 * counted as the call's file while the operation runs, and closed at cleanup by aborting the operation.
 */
function wholeFile(original: AnyFn, optionsAt: number, callback: boolean): AnyFn {
  const wrapped = wrapCancellable(original as (...args: unknown[]) => unknown, {
    kind: 'file',
    optionsAt,
    callback,
    encodingOptions: true,
    opensNothing,
    label: (args) => pathLabel(args[0]),
  });
  return function wholeFileOperation(this: unknown, ...args: unknown[]): unknown {
    // `fs.appendFile` calls `fs.writeFile`: one operation, one descriptor.
    if (wholeFileDepth > 0) return (original as (...a: unknown[]) => unknown).apply(this, args);
    wholeFileDepth++;
    try {
      return wrapped.apply(this, args);
    } finally {
      wholeFileDepth--;
    }
  };
}

/** Whole-file operations being started (synchronously) right now. */
let wholeFileDepth = 0;

/** What the call adopts of a successful open: the result, the call, and the path it was opened with. */
type Adopt = (result: never, call: TrackedCall, path: unknown) => void;

/** Wraps a callback-style opener (`fs.open`, `fs.opendir`): inside a call, its result is adopted. */
function callbackOpener(original: AnyFn, adopt: Adopt): AnyFn {
  return function open(this: unknown, path: unknown, ...rest: unknown[]): unknown {
    const call = currentCall();
    const last = rest.length - 1;
    const cb = rest[last];
    if (call !== undefined && typeof cb === 'function') {
      rest[last] = (error: unknown, result: unknown) => {
        if (error == null && result !== undefined) adopt(result as never, call, path);
        (cb as Callback)(error, result);
      };
    }
    return original.apply(this, [path, ...rest] as never[]);
  };
}

/** Wraps a synchronous opener (`fs.openSync`, `fs.opendirSync`). */
function syncOpener(original: AnyFn, adopt: Adopt): AnyFn {
  return function openSync(this: unknown, path: unknown, ...rest: unknown[]): unknown {
    const result = original.apply(this, [path, ...rest] as never[]);
    const call = currentCall();
    if (call !== undefined) adopt(result as never, call, path);
    return result;
  };
}

/** Wraps a promise opener (`fs.promises.open`, `fs.promises.opendir`); the call is the one that asked. */
function promiseOpener(original: AnyFn, adopt: Adopt): AnyFn {
  return async function open(this: unknown, path: unknown, ...rest: unknown[]): Promise<unknown> {
    const call = currentCall();
    const result = await original.apply(this, [path, ...rest] as never[]);
    if (call !== undefined) adopt(result as never, call, path);
    return result;
  };
}

function adoptFileHandle(handle: fs.promises.FileHandle, call: TrackedCall, path: unknown): void {
  if (attribute(handle, 'file', fileHandleCloser(handle), pathLabel(path), call)) {
    // FileHandle emits 'close' (it is an EventEmitter at run time, though not in its typings).
    (handle as unknown as NodeJS.EventEmitter).once('close', () => release(handle));
  }
}

function adoptDir(dir: fs.Dir, call: TrackedCall, path: unknown): void {
  trackDir(dir, call, pathLabel(path));
}

/** One call's listener on a (shared) `fs.watchFile` StatWatcher. */
interface StatListener {
  readonly watcher: fs.StatWatcher;
  readonly listener: Callback;
  /** The watched path as Node keys it (resolved), so that cleanup unwatches the same file. */
  readonly path: string;
}

/** The calls' listeners on each StatWatcher. */
const statListeners = new WeakMap<fs.StatWatcher, Set<StatListener>>();

function listening(entry: StatListener, stopped: boolean): boolean {
  return !stopped && entry.watcher.listeners('change').includes(entry.listener);
}

/** Releases what no longer listens (the tool unwatched the file or stopped the watcher). */
function sweepStatListeners(watcher: fs.StatWatcher, stopped: boolean): void {
  const entries = statListeners.get(watcher);
  if (entries === undefined) return;
  for (const entry of entries) {
    if (listening(entry, stopped)) continue;
    entries.delete(entry);
    release(entry);
  }
}

/**
 * `fs.watchFile` shares one StatWatcher per file among all its listeners: the call's handle is its
 * listener, closed with `fs.unwatchFile(path, listener)` (which stops the watcher with its last listener).
 */
function adoptStatListener(
  watcher: fs.StatWatcher,
  listener: Callback,
  filename: unknown,
  unwatchFile: (path: string, listener: Callback) => void,
): void {
  const path = filename instanceof URL ? fileURLToPath(filename) : resolve(String(filename));
  const entry: StatListener = { watcher, listener, path };
  const closer: HandleCloser = {
    close: () => {
      if (listening(entry, false)) unwatchFile(path, listener);
      sweepStatListeners(watcher, false);
    },
    isClosed: () => !statListeners.get(watcher)?.has(entry),
  };
  if (!attribute(entry, 'watcher', closer, pathLabel(filename))) return;
  let entries = statListeners.get(watcher);
  if (entries === undefined) {
    entries = new Set();
    statListeners.set(watcher, entries);
    watcher.on('removeListener', (event: string) => {
      if (event === 'change') sweepStatListeners(watcher, false);
    });
    watcher.once('stop', () => sweepStatListeners(watcher, true));
  }
  entries.add(entry);
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
    opendir: fs.opendir,
    opendirSync: fs.opendirSync,
    createReadStream: fs.createReadStream,
    createWriteStream: fs.createWriteStream,
    readFile: fs.readFile,
    writeFile: fs.writeFile,
    appendFile: fs.appendFile,
    watch: fs.watch,
    watchFile: fs.watchFile,
  };
  const promisesOriginal = {
    open: fs.promises.open,
    opendir: fs.promises.opendir,
    readFile: fs.promises.readFile,
    writeFile: fs.promises.writeFile,
    appendFile: fs.promises.appendFile,
    watch: fs.promises.watch,
  };
  const closeSync = original.closeSync;
  const unwatchFile = fs.unwatchFile;
  const adoptDescriptor = (fd: number, call: TrackedCall, path: unknown): void => {
    if (typeof fd === 'number') trackDescriptor(fd, call, path, closeSync);
  };

  const patched = {
    open: callbackOpener(original.open as AnyFn, adoptDescriptor),
    openSync: syncOpener(original.openSync as AnyFn, adoptDescriptor),
    close: function close(this: unknown, fd: unknown, ...rest: unknown[]): void {
      forgetDescriptor(fd);
      (original.close as AnyFn).apply(this, [fd, ...rest] as never[]);
    },
    closeSync: function closeSync(this: unknown, fd: unknown): void {
      forgetDescriptor(fd);
      (original.closeSync as AnyFn).call(this, fd as never);
    },
    opendir: callbackOpener(original.opendir as AnyFn, adoptDir),
    opendirSync: syncOpener(original.opendirSync as AnyFn, adoptDir),
    createReadStream: streamFactory(original.createReadStream as AnyFn, 'end'),
    createWriteStream: streamFactory(original.createWriteStream as AnyFn, 'finish'),
    readFile: wholeFile(original.readFile as AnyFn, 1, true),
    writeFile: wholeFile(original.writeFile as AnyFn, 2, true),
    appendFile: wholeFile(original.appendFile as AnyFn, 2, true),
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
    watchFile: function watchFile(this: unknown, ...args: unknown[]): fs.StatWatcher {
      const watcher = (original.watchFile as AnyFn).apply(this, args as never[]) as fs.StatWatcher;
      if (currentCall() === undefined) return watcher;
      const listener = args.findLast((arg) => typeof arg === 'function') as Callback | undefined;
      if (listener !== undefined) {
        adoptStatListener(watcher, listener, args[0], unwatchFile as (path: string, listener: Callback) => void);
      }
      return watcher;
    },
  };
  const promisesPatched = {
    open: promiseOpener(promisesOriginal.open as AnyFn, adoptFileHandle),
    opendir: promiseOpener(promisesOriginal.opendir as AnyFn, adoptDir),
    readFile: wholeFile(promisesOriginal.readFile as AnyFn, 1, false),
    writeFile: wholeFile(promisesOriginal.writeFile as AnyFn, 2, false),
    appendFile: wholeFile(promisesOriginal.appendFile as AnyFn, 2, false),
    watch: wrapCancellable(promisesOriginal.watch as (...args: unknown[]) => unknown, {
      kind: 'watcher',
      optionsAt: 1,
      iterates: true,
      label: (args) => pathLabel(args[0]),
    }),
  };

  Object.assign(fs, patched);
  Object.assign(fs.promises, promisesPatched);
  syncBuiltinESMExports();

  return () => {
    Object.assign(fs, original);
    Object.assign(fs.promises, promisesOriginal);
    syncBuiltinESMExports();
  };
}
