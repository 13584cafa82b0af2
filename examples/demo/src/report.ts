// Renders the guard's events as one-line log entries, and its snapshot as a per-tool table and a summary.
import type { AuditEntry, CallRecord, GuardEvents, GuardSnapshot } from '@mcp-resource-guard/core';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [pad(header, widths), rule, ...rows.map((r) => pad(r, widths))].join('\n');
}

const f1 = (n: number) => n.toFixed(1);

/** One line for a guard event, or undefined for events not worth a line. */
export function eventLine<K extends keyof GuardEvents>(name: K, event: GuardEvents[K]): string | undefined {
  const e = event as unknown as Record<string, unknown>;
  switch (name) {
    case 'limit': {
      const l = event as GuardEvents['limit'];
      if (l.level === undefined) return `limit: ${l.tool ?? l.scope} ${l.resource} back below its thresholds`;
      return `limit: ${l.scope} ${l.tool ?? ''} ${l.resource} ${l.previous ?? 'ok'} → ${l.level} (${f1(l.usage)} of ${l.limit}, samples ${l.samples.map(f1).join(', ')})`;
    }
    case 'throttle':
      return `throttle: ${e.scope} ${e.key} ${e.action}${e.retryAfterMs === undefined ? '' : ` (retry after ${e.retryAfterMs} ms)`}`;
    case 'cleanup': {
      const c = event as GuardEvents['cleanup'];
      const task = c.taskId === undefined ? '' : ` (task ${c.taskId.slice(0, 8)}…)`;
      return `cleanup: ${c.toolName} call ${c.callId}${task} (${c.reason}): closed ${c.attempted - c.survived}/${c.attempted} in ${c.durationMs.toFixed(1)} ms`;
    }
    case 'leak':
      return `leak: ${e.tool} call ${e.callId} held ${JSON.stringify(e.handles)} at its end`;
    case 'emergency':
      return `emergency: ${e.tool ?? e.scope} deactivated for ${e.coolDownMs} ms (${e.resource} ${f1(e.usage as number)} of ${e.limit})`;
    case 'recovery':
      return `recovery: ${e.tool} ${e.success ? 'succeeded' : 'failed'} (${e.via})`;
    case 'state':
      return `state: ${e.tool} ${e.from} → ${e.to} (${e.reason})`;
    case 'blocked':
      return `blocked: event loop blocked ~${e.durationMs} ms by ${e.tool ?? 'unknown code'}`;
    default:
      return undefined;
  }
}

/** Usage per tool: percentiles of finished calls, limit entries, leaks and cleanups. */
export function toolTable(snapshot: GuardSnapshot): string {
  const header = [
    'tool',
    'state',
    'calls',
    'ok',
    'err',
    'timeout',
    'limit',
    'cancel',
    'refused',
    'ms p50',
    'ms p99',
    'cpu ms p99',
    'MiB peak',
    'levels w/t/c/e',
    'leaked',
    'closed',
    'cleanup ms max',
  ];
  const rows = Object.entries(snapshot.tools)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, t]) => [
      name,
      t.state,
      String(t.calls),
      String(t.outcomes.ok),
      String(t.outcomes.tool_error + t.outcomes.thrown),
      String(t.outcomes.timeout),
      String(t.outcomes.limit),
      String(t.outcomes.cancelled),
      String(t.rejected),
      f1(t.history.executionTimeMs.p50),
      f1(t.history.executionTimeMs.p99),
      f1(t.history.cpuTimeMs.p99),
      f1(t.history.memoryMb.peak),
      `${t.levelEntries.warn}/${t.levelEntries.throttle}/${t.levelEntries.cleanup}/${t.levelEntries.emergency}`,
      String(Object.values(t.leaks.handles).reduce((a, b) => a + (b ?? 0), 0)),
      `${t.cleanups.handlesClosed}${t.cleanups.handlesSurvived > 0 ? ` (${t.cleanups.handlesSurvived} left)` : ''}`,
      f1(t.cleanups.maxDurationMs),
    ]);
  return table(header, rows);
}

/** The closing summary: limit events by level, cleanups, leaks, recovery, audit. */
export function finalReport(snapshot: GuardSnapshot, audit: readonly AuditEntry[]): string {
  const tools = Object.values(snapshot.tools);
  const sum = (pick: (t: (typeof tools)[number]) => number) => tools.reduce((a, t) => a + pick(t), 0);
  const leaksByKind: Record<string, number> = {};
  for (const t of tools)
    for (const [k, n] of Object.entries(t.leaks.handles)) leaksByKind[k] = (leaksByKind[k] ?? 0) + (n ?? 0);
  const cleanups = sum((t) => t.cleanups.count);
  const attempts = sum((t) => t.recovery.attempts);
  const successes = sum((t) => t.recovery.successes);
  const byAction: Record<string, number> = {};
  for (const e of audit) byAction[e.action] = (byAction[e.action] ?? 0) + 1;
  return [
    `Limit levels entered: warn ${sum((t) => t.levelEntries.warn)}, throttle ${sum((t) => t.levelEntries.throttle)}, cleanup ${sum((t) => t.levelEntries.cleanup)}, emergency ${sum((t) => t.levelEntries.emergency)}`,
    `Calls refused at admission: ${sum((t) => t.rejected)}`,
    `Cleanups: ${cleanups}, handles closed ${sum((t) => t.cleanups.handlesClosed)}, left open ${sum((t) => t.cleanups.handlesSurvived)}, mean ${(sum((t) => t.cleanups.totalDurationMs) / Math.max(1, cleanups)).toFixed(1)} ms, max ${Math.max(0, ...tools.map((t) => t.cleanups.maxDurationMs)).toFixed(1)} ms`,
    `Leaks found, by kind: ${JSON.stringify(leaksByKind)}`,
    `Recovery after a cleanup or emergency: ${successes}/${attempts}${attempts > 0 ? ` (${((successes / attempts) * 100).toFixed(0)} %)` : ''}`,
    `Audit entries: ${JSON.stringify(byAction)}`,
  ].join('\n');
}

/** One line per task call: its tool, task, outcome and how long the call lived after its task was answered. */
export function taskReport(records: readonly CallRecord[]): string {
  if (records.length === 0) return 'Task calls: none';
  const lines = records.map(
    (r) =>
      `  ${r.toolName} task ${r.taskId?.slice(0, 8)}…: ${r.outcome} after ${Math.round(r.endedAt - r.startedAt)} ms, ${f1(r.peak.memoryMb)} MiB peak, leaked ${JSON.stringify(r.leaked)}`,
  );
  return [`Task calls (tracked to the task's end): ${records.length}`, ...lines].join('\n');
}
