/** Attributes child processes (spawn, exec, fork and their trees) and worker threads to calls. */

import type { ChildProcess } from 'node:child_process';
import dc from 'node:diagnostics_channel';
import type { Worker } from 'node:worker_threads';
import { childProcessCloser, workerCloser } from '../handle-closers.js';
import type { TrackedCall } from '../tool-call.js';
import { attribute, ownerOf, release } from './attribution.js';

const childrenByCall = new WeakMap<TrackedCall, Set<ChildProcess>>();

/**
 * The live child processes a call started.
 *
 * @param call - the call
 * @returns its children still running
 */
export function childrenOf(call: TrackedCall): ReadonlySet<ChildProcess> | undefined {
  return childrenByCall.get(call);
}

/**
 * Installs the process probe; returns the function that uninstalls it.
 *
 * @returns uninstall
 */
export function installProcessProbe(): () => void {
  const onChild = (message: unknown): void => {
    const child = (message as { process: ChildProcess }).process;
    if (attribute(child, 'child_process', childProcessCloser(child), child.spawnfile)) {
      const call = ownerOf(child);
      if (call !== undefined) {
        let set = childrenByCall.get(call);
        if (set === undefined) {
          set = new Set();
          childrenByCall.set(call, set);
        }
        set.add(child);
      }
      const done = (): void => {
        release(child);
        if (call !== undefined) childrenByCall.get(call)?.delete(child);
      };
      child.once('exit', done);
      // A spawn that failed (ENOENT) emits 'error' and never 'exit'.
      child.once('error', () => {
        if (child.pid === undefined) done();
      });
    }
  };
  const onWorker = (message: unknown): void => {
    const worker = (message as { worker: Worker }).worker;
    if (attribute(worker, 'worker', workerCloser(worker), `worker ${worker.threadId}`)) {
      worker.once('exit', () => release(worker));
    }
  };
  dc.subscribe('child_process', onChild);
  dc.subscribe('worker_threads', onWorker);
  return () => {
    dc.unsubscribe('child_process', onChild);
    dc.unsubscribe('worker_threads', onWorker);
  };
}
