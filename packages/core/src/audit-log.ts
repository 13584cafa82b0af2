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
 * guard.audit().filter((e) => e.action === 'cleanup').forEach((e) => console.error(e.tool, e.cleanup?.durationMs));
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
 * const entry: AuditEntry = { time: Date.now(), action: 'warn', tool: 'search', scope: 'call', level: 'warn', resource: 'memoryMb' };
 * ```
 */
export interface AuditEntry {
  /** Wall-clock time, milliseconds since the epoch. */
  readonly time: number;
  readonly action: AuditAction;
  readonly tool?: string | undefined;
  readonly callId?: string | undefined;
  readonly sessionId?: string | undefined;
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
 * const sink: AuditSink = { write: (e) => process.stderr.write(`${JSON.stringify(e)}\n`) };
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
 * import { MemoryAuditSink } from '@mcp-resource-guard/core';
 * const sink = new MemoryAuditSink(500);
 * const guard = createResourceGuard({ audit: { sink } });
 * console.error(sink.entries().length);
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
 * import { jsonLinesAuditSink } from '@mcp-resource-guard/core';
 * createResourceGuard({ audit: { sink: jsonLinesAuditSink() } });
 * ```
 */
export function jsonLinesAuditSink(stream: { write(chunk: string): unknown } = process.stderr): AuditSink {
  return {
    write(entry: AuditEntry): void {
      stream.write(`${JSON.stringify(entry)}\n`);
    },
  };
}
