// An isolated tool's handler (run in a worker thread by `isolated()`): allocates without end, synchronously, on the JS
// heap. Its worker's heap is capped at the call's memory limit (plus the worker's own allowance): it is stopped there.
export default function memoryBomb(): never {
  const kept: number[][] = [];
  while (true) kept.push(new Array<number>(100_000).fill(kept.length));
}
