/**
 * The size of the JavaScript objects in the heap, from a heap snapshot: every node but V8's own (compiled code
 * and its metadata, hidden system objects, maps, synthetic roots). `process.memoryUsage().heapUsed` also counts
 * what the JIT compiles, deoptimises and keeps for inline caches, which grows for a long while after a warm-up
 * without being anything a program holds; this figure does not.
 */

import { getHeapSnapshot } from 'node:v8';

/** Node types of a heap snapshot that are V8's own, not the program's objects. */
const V8_INTERNAL = new Set(['code', 'hidden', 'synthetic', 'object shape']);

interface SnapshotJson {
  readonly snapshot: {
    readonly meta: { readonly node_fields: string[]; readonly node_types: [string[], ...unknown[]] };
  };
  readonly nodes: number[];
}

/**
 * Takes a heap snapshot and sums the self sizes of the program's objects in it.
 *
 * @returns bytes
 */
export async function heapObjectBytes(): Promise<number> {
  const chunks: string[] = [];
  for await (const chunk of getHeapSnapshot()) chunks.push(String(chunk));
  const snapshot = JSON.parse(chunks.join('')) as SnapshotJson;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const typeAt = fields.indexOf('type');
  const sizeAt = fields.indexOf('self_size');
  const { nodes } = snapshot;
  let total = 0;
  for (let i = 0; i < nodes.length; i += fields.length) {
    if (!V8_INTERNAL.has(types[nodes[i + typeAt]!] ?? '')) total += nodes[i + sizeAt]!;
  }
  return total;
}
