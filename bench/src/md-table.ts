/** Markdown tables for BENCHMARKS.md, padded as Biome formats them (so `biome check` passes). */

/** Display width in columns; every character we print is one column wide. */
const width = (text: string): number => [...text].length;

/**
 * A markdown table with padded columns.
 *
 * @param header - the column titles
 * @param rows - the cells, row by row
 * @returns the table
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const escaped = [header, ...rows].map((cells) => cells.map((c) => c.replaceAll('|', '\\|')));
  const widths = header.map((_, i) => Math.max(3, ...escaped.map((cells) => width(cells[i] ?? ''))));
  const line = (cells: readonly string[]): string =>
    `| ${widths.map((w, i) => (cells[i] ?? '') + ' '.repeat(w - width(cells[i] ?? ''))).join(' | ')} |`;
  const [head = [], ...body] = escaped;
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
