/** The kinds of handle a call can hold, which resource each counts toward, and the cleanup step that closes it. */

/**
 * A kind of handle a call can hold open.
 *
 * @example
 * ```ts
 * import { HandleKind } from '@mcp-resource-guard/core';
 * guard.on('leak', (e) => console.error(e.kinds[HandleKind.File] ?? 0, 'files leaked'));
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
 * import { CLEANUP_STEPS } from '@mcp-resource-guard/core';
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

/** The name of a cleanup step. */
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
 * countsAsFile('watcher'); // true
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
 * countsAsNetwork('server'); // true
 * ```
 */
export function countsAsNetwork(kind: HandleKind): boolean {
  return NETWORK_KINDS.has(kind);
}
