/** The kinds of handle a call can hold, which resource each counts toward, and the cleanup step that closes it. */

/**
 * A kind of handle a call can hold open.
 *
 * @example
 * ```ts
 * import { createResourceGuard, HandleKind } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * guard.on('leak', (e) => {
 *   const children = e.handles[HandleKind.ChildProcess] ?? 0;
 *   if (children > 0) console.error(`${e.tool} left ${children} child processes running`);
 * });
 * ```
 */
export const HandleKind = {
  File: 'file',
  Watcher: 'watcher',
  Socket: 'socket',
  Server: 'server',
  Udp: 'udp',
  Timer: 'timer',
  Interval: 'interval',
  Immediate: 'immediate',
  ChildProcess: 'child_process',
  Worker: 'worker',
  TempDir: 'temp_dir',
  Memory: 'memory',
  Custom: 'custom',
} as const;

/** The union of {@link HandleKind} values. */
export type HandleKind = (typeof HandleKind)[keyof typeof HandleKind];

/**
 * The specification's cleanup sequence: files, then network, then memory (and custom disposables),
 * then CPU (timers, processes, workers), then temp storage.
 *
 * @example
 * ```ts
 * import { CLEANUP_STEPS } from '@mcp-resource-guard/core/internal';
 * CLEANUP_STEPS.map((s) => s.name); // ['files', 'network', 'memory', 'cpu', 'temp']
 * ```
 */
export const CLEANUP_STEPS: readonly { readonly name: CleanupStepName; readonly kinds: readonly HandleKind[] }[] =
  Object.freeze([
    { name: 'files', kinds: ['file', 'watcher'] },
    { name: 'network', kinds: ['socket', 'server', 'udp'] },
    { name: 'memory', kinds: ['memory', 'custom'] },
    { name: 'cpu', kinds: ['timer', 'interval', 'immediate', 'child_process', 'worker'] },
    { name: 'temp', kinds: ['temp_dir'] },
  ]);

/**
 * The name of a cleanup step.
 *
 * @example
 * ```ts
 * import { type CleanupStepName, createResourceGuard } from '@mcp-resource-guard/core';
 * // The slowest run of each cleanup step so far.
 * const slowest = new Map<CleanupStepName, number>();
 * createResourceGuard().on('cleanup', (r) => {
 *   for (const step of r.steps) slowest.set(step.name, Math.max(slowest.get(step.name) ?? 0, step.durationMs));
 * });
 * ```
 */
export type CleanupStepName = 'files' | 'network' | 'memory' | 'cpu' | 'temp';

const FILE_KINDS: ReadonlySet<HandleKind> = new Set<HandleKind>(['file', 'watcher']);
const NETWORK_KINDS: ReadonlySet<HandleKind> = new Set<HandleKind>(['socket', 'server', 'udp']);

/**
 * Whether a kind counts toward `fileHandles`.
 *
 * @param kind - the handle kind
 * @returns true for files and watchers
 * @example
 * ```ts
 * import { createResourceGuard, type HandleKind } from '@mcp-resource-guard/core';
 * import { countsAsFile } from '@mcp-resource-guard/core/internal';
 * countsAsFile('watcher'); // true
 * createResourceGuard().on('leak', (e) => {
 *   const held = Object.entries(e.handles) as [HandleKind, number][];
 *   const files = held.filter(([kind]) => countsAsFile(kind)).reduce((sum, [, n]) => sum + n, 0);
 *   if (files > 0) console.error(`${e.tool} leaked ${files} file handles`);
 * });
 * ```
 */
export function countsAsFile(kind: HandleKind): boolean {
  return FILE_KINDS.has(kind);
}

/**
 * Whether a kind counts toward `networkConnections`.
 *
 * @param kind - the handle kind
 * @returns true for sockets, servers and UDP sockets
 * @example
 * ```ts
 * import { countsAsNetwork } from '@mcp-resource-guard/core/internal';
 * countsAsNetwork('server'); // true
 * countsAsNetwork('timer'); // false
 * ```
 */
export function countsAsNetwork(kind: HandleKind): boolean {
  return NETWORK_KINDS.has(kind);
}
