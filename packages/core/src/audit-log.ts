/** Structured audit entries, a pluggable sink, and the default bounded in-memory sink. */

import type { CleanupReport } from './cleanup.js';
import type { LimitLevel } from './limit-level.js';
import type { ResourceLimits } from './resource-limits.js';
import type { ResourceSnapshot } from './resource-snapshot.js';
import type { ResourceName, ResourceUsage } from './resource-usage.js';

/**
 * What the guard did (or saw) that an operator may need to reconstruct later.
 *
 * @example
 * ```ts
 * import { type AuditAction, createResourceGuard } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard();
 * // ... later, e.g. from a diagnostics endpoint: what the guard did, by action.
 * const counts = new Map<AuditAction, number>();
 * for (const entry of guard.audit()) counts.set(entry.action, (counts.get(entry.action) ?? 0) + 1);
 * console.error(`cleanups: ${counts.get('cleanup') ?? 0}, leaks: ${counts.get('leak') ?? 0}`);
 * ```
 */
export type AuditAction =
  | 'warn'
  | 'throttle'
  | 'unthrottle'
  | 'reject'
  | 'cleanup'
  | 'leak'
  | 'emergency'
  | 'recovery'
  | 'state'
  | 'blocked_loop'
  | 'internal_error';

/**
 * One audit entry.
 *
 * @example
 * ```ts
 * import type { AuditEntry } from '@mcp-resource-guard/core';
 * // One log line per entry.
 * function format(e: AuditEntry): string {
 *   const fields = [e.action, e.scope ?? '-', e.tool ?? '-', e.level ?? '', e.resource ?? '', e.detail ?? ''];
 *   return `${new Date(e.time).toISOString()} ${fields.join(' ')}`;
 * }
 * const entry: AuditEntry = { time: Date.now(), action: 'warn', tool: 'search', scope: 'call', resource: 'memoryMb' };
 * console.error(format(entry));
 * ```
 */
export interface AuditEntry {
  /** Wall-clock time, milliseconds since the epoch. */
  readonly time: number;
  readonly action: AuditAction;
  readonly tool?: string | undefined;
  readonly callId?: string | undefined;
  readonly sessionId?: string | undefined;
  /** The task of a task-augmented call. */
  readonly taskId?: string | undefined;
  /** Which scope's limit was involved: a call, a tool (all its calls), a session, the process. */
  readonly scope?: 'call' | 'tool' | 'session' | 'process' | undefined;
  readonly level?: LimitLevel | undefined;
  readonly resource?: ResourceName | undefined;
  readonly usage?: ResourceUsage | undefined;
  readonly limits?: ResourceLimits | undefined;
  /** A short free-text detail (a state transition, an error message). */
  readonly detail?: string | undefined;
  readonly cleanup?: CleanupReport | undefined;
  /** The resource snapshot taken before a cleanup or recovery action. */
  readonly snapshot?: ResourceSnapshot | undefined;
}

/**
 * Where audit entries go. A sink must not throw; if it does, the guard counts an internal error.
 *
 * @example
 * ```ts
 * import { type AuditSink, createResourceGuard } from '@mcp-resource-guard/core';
 * // Only what an operator acts on, as JSON lines on stderr (stdout belongs to the stdio transport).
 * const sink: AuditSink = {
 *   write(entry) {
 *     if (entry.action === 'emergency' || entry.action === 'leak') process.stderr.write(`${JSON.stringify(entry)}\n`);
 *   },
 * };
 * const guard = createResourceGuard({ audit: { sink } });
 * ```
 */
export interface AuditSink {
  write(entry: AuditEntry): void;
}

/**
 * The default sink: keeps the most recent entries in memory (a ring buffer) and never writes to stdout,
 * which the stdio transport owns.
 *
 * @example
 * ```ts
 * import { createResourceGuard, MemoryAuditSink } from '@mcp-resource-guard/core';
 * const sink = new MemoryAuditSink(500);
 * const guard = createResourceGuard({ audit: { sink } });
 * // ... later: the last 500 entries, oldest first.
 * const cleanups = sink.entries().filter((e) => e.action === 'cleanup');
 * console.error(`${cleanups.length} cleanups, last: ${cleanups.at(-1)?.detail ?? 'none'}`);
 * ```
 */
export class MemoryAuditSink implements AuditSink {
  readonly #capacity: number;
  readonly #ring: (AuditEntry | undefined)[];
  #next = 0;
  #count = 0;

  /**
   * @param capacity - how many entries to keep (oldest dropped first)
   */
  constructor(capacity = 1000) {
    this.#capacity = Math.max(1, Math.floor(capacity));
    this.#ring = new Array(this.#capacity);
  }

  write(entry: AuditEntry): void {
    this.#ring[this.#next] = entry;
    this.#next = (this.#next + 1) % this.#capacity;
    if (this.#count < this.#capacity) this.#count++;
  }

  /** @returns the kept entries, oldest first */
  entries(): AuditEntry[] {
    const out: AuditEntry[] = [];
    const start = (this.#next - this.#count + this.#capacity) % this.#capacity;
    for (let i = 0; i < this.#count; i++) out.push(this.#ring[(start + i) % this.#capacity] as AuditEntry);
    return out;
  }
}

/**
 * A sink that writes one JSON line per entry to a stream (stderr by default).
 *
 * @param stream - where to write; must not be stdout for a stdio server
 * @returns the sink
 * @example
 * ```ts
 * import { createWriteStream } from 'node:fs';
 * import { createResourceGuard, jsonLinesAuditSink } from '@mcp-resource-guard/core';
 * // To stderr:
 * createResourceGuard({ audit: { sink: jsonLinesAuditSink() } });
 * // Or appended to a file:
 * createResourceGuard({ audit: { sink: jsonLinesAuditSink(createWriteStream('audit.jsonl', { flags: 'a' })) } });
 * ```
 */
export function jsonLinesAuditSink(stream: { write(chunk: string): unknown } = process.stderr): AuditSink {
  return {
    write(entry: AuditEntry): void {
      stream.write(`${JSON.stringify(entry)}\n`);
    },
  };
}
