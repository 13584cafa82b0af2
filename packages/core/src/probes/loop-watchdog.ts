/**
 * A watchdog thread that sees the main event loop blocked. The main thread beats a heartbeat in shared
 * memory and writes the id of the call whose code is running; a worker checks the beat. A block is
 * reported when the loop comes back (the main thread cannot do anything while blocked) and, only if
 * configured, ends the process from the worker (SIGKILL, exit status 137) after writing one audit line
 * synchronously to stderr, for a supervisor to restart it.
 */

import { Worker } from 'node:worker_threads';
import { cpuSlices } from '../cpu-slices.js';
import { nativeClearTimeout, nativeSetTimeout } from '../native-timers.js';

/** Slot 0 of the shared Int32Array: the heartbeat (slot 1, the running call, is written by the slice clock). */
const BEAT = 0;

/**
 * A block of the event loop, reported when the loop runs again.
 *
 * @example
 * ```ts
 * guard.on('blocked', (e) => console.error(`loop blocked ${e.durationMs} ms by call ${e.callId ?? '?'}`));
 * ```
 */
export interface LoopBlock {
  /** How long the loop was blocked, in milliseconds (to the watchdog's check interval). */
  readonly durationMs: number;
  /** The call whose code was running when the block was seen, if the CPU probe knew it. */
  readonly callId: string | undefined;
}

/** Options of the watchdog. */
export interface WatchdogSettings {
  readonly thresholdMs: number;
  readonly exitProcess: boolean;
}

// An ES module loaded from a data: URL, so that it runs the same whatever the host's module type.
const WORKER_SOURCE = `
import { parentPort, workerData } from 'node:worker_threads';
import { writeSync } from 'node:fs';
const state = new Int32Array(workerData.buffer);
const { thresholdMs, exitProcess } = workerData;
const step = Math.max(5, Math.floor(thresholdMs / 4));
let last = Atomics.load(state, 0);
let lastChange = Date.now();
let blockedSince = 0;
let blockedCall = 0;
// Atomics.wait sleeps the thread outright between checks: cheaper than an event-loop timer. Slot 2 is
// never written; the main thread ends the worker with terminate().
function check() {
  const beat = Atomics.load(state, 0);
  const now = Date.now();
  if (beat !== last) {
    if (blockedSince !== 0) {
      parentPort.postMessage({ durationMs: now - blockedSince + thresholdMs, callId: blockedCall });
      blockedSince = 0;
    }
    last = beat;
    lastChange = now;
    return;
  }
  if (blockedSince === 0 && now - lastChange >= thresholdMs) {
    blockedSince = now;
    blockedCall = Atomics.load(state, 1);
    if (exitProcess) {
      writeSync(2, JSON.stringify({ time: now, action: 'blocked_loop', detail: 'event loop blocked ' + (now - lastChange) + ' ms' + (blockedCall ? ' by call ' + blockedCall : '') + '; exiting (SIGKILL) for a supervisor to restart' }) + '\\n');
      process.kill(process.pid, 'SIGKILL');
    }
  }
}
for (;;) {
  Atomics.wait(state, 2, 0, step);
  check();
}
`;

interface SharedWatchdog {
  readonly listeners: Set<(block: LoopBlock) => void>;
  readonly errorListeners: Set<(error: unknown) => void>;
  readonly stop: () => void;
}

const shared = new Map<string, SharedWatchdog>();

/**
 * Subscribes to the process's watchdog with these settings, starting it if needed; the returned
 * function unsubscribes, and the last one to leave stops it.
 *
 * @param settings - threshold and exit behaviour
 * @param onBlock - called on the main thread when a block has ended
 * @returns unsubscribe
 */
export function watchLoop(
  settings: WatchdogSettings,
  onBlock: (block: LoopBlock) => void,
  onError: (error: unknown) => void,
): () => void {
  const key = `${settings.thresholdMs}:${settings.exitProcess}`;
  let entry = shared.get(key);
  if (entry === undefined) {
    const listeners = new Set<(block: LoopBlock) => void>();
    const errorListeners = new Set<(error: unknown) => void>();
    const stop = startLoopWatchdog(
      settings,
      (block) => {
        for (const listener of listeners) listener(block);
      },
      (error) => {
        for (const listener of errorListeners) listener(error);
      },
    );
    entry = { listeners, errorListeners, stop };
    shared.set(key, entry);
  }
  const current = entry;
  current.listeners.add(onBlock);
  current.errorListeners.add(onError);
  return () => {
    current.listeners.delete(onBlock);
    current.errorListeners.delete(onError);
    if (current.listeners.size === 0 && shared.get(key) === current) {
      shared.delete(key);
      current.stop();
    }
  };
}

function startLoopWatchdog(
  settings: WatchdogSettings,
  onBlock: (block: LoopBlock) => void,
  onError: (error: unknown) => void,
): () => void {
  const buffer = new SharedArrayBuffer(12);
  const state = new Int32Array(buffer);
  // No execArgv and an empty environment: the user's preloads (`--import`, or `NODE_OPTIONS`, which a worker reads
  // again from its environment) are for the main thread, and one that throws in a worker would end the watchdog.
  const worker = new Worker(new URL(`data:text/javascript,${encodeURIComponent(WORKER_SOURCE)}`), {
    workerData: { buffer, thresholdMs: settings.thresholdMs, exitProcess: settings.exitProcess },
    execArgv: [],
    env: {},
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 },
    stdout: false,
    stderr: false,
  });
  worker.on('message', (message: { durationMs: number; callId: number }) => {
    onBlock({ durationMs: message.durationMs, callId: message.callId === 0 ? undefined : String(message.callId) });
  });
  // The watchdog is best effort: its failure is reported, never thrown into the server.
  worker.on('error', onError);
  // After the listeners: a 'message' listener added to an unref'd worker refs it again, and the process would
  // no longer exit on its own (a stdio server at the end of its stdin).
  worker.unref();
  const interval = Math.max(5, Math.floor(settings.thresholdMs / 4));
  let timer: NodeJS.Timeout | undefined;
  const beat = (): void => {
    Atomics.add(state, BEAT, 1);
    timer = nativeSetTimeout(beat, interval);
    timer.unref();
  };
  beat();
  cpuSlices.watchdog = state;
  return () => {
    if (timer !== undefined) nativeClearTimeout(timer);
    if (cpuSlices.watchdog === state) cpuSlices.watchdog = undefined;
    void worker.terminate();
  };
}
