import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { sleep } from './sleep.js';

/** `gc()`: the global one under `--expose-gc`, else one exposed now. */
function collector(): () => void {
  const global = (globalThis as { gc?: () => void }).gc;
  if (global !== undefined) return global;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/**
 * Collects garbage and waits for V8 to finish freeing it: array buffers are swept after the collection, on another
 * thread, and their memory leaves the heap's figures only then. Twice, 50 ms apart.
 *
 * @returns once done
 */
export async function settleHeap(): Promise<void> {
  const gc = collector();
  for (let i = 0; i < 2; i++) {
    gc();
    await sleep(50);
  }
}
