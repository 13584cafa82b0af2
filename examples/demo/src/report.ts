// Renders the guard's per-tool figures as a plain-text table.
import type { GuardSnapshot } from '@mcp-resource-guard/sdk-middleware';

function pad(cells: readonly string[], widths: readonly number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

export function toolTable(snapshot: GuardSnapshot): string {
  const header = ['tool', 'calls', 'ok', 'tool_error', 'thrown', 'cancelled', 'mean ms', 'peak ms', 'total ms'];
  const rows = Object.entries(snapshot.tools)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, t]) => [
      name,
      String(t.calls),
      String(t.outcomes.ok),
      String(t.outcomes.tool_error),
      String(t.outcomes.thrown),
      String(t.outcomes.cancelled),
      t.executionTimeMs.mean.toFixed(2),
      t.executionTimeMs.peak.toFixed(2),
      t.executionTimeMs.total.toFixed(2),
    ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [pad(header, widths), rule, ...rows.map((r) => pad(r, widths))].join('\n');
}
