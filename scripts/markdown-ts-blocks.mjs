// The fenced ```ts blocks of the repository's Markdown documentation, for scripts/check-tsdoc-examples.mjs: which
// files are read, and where each block's lines are, in the shape the checker gives a TSDoc example.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The word on a block's fence line that leaves it unchecked (```ts no-check): for deliberate fragments. */
export const NO_CHECK = 'no-check';

export const TS_LANGUAGES = new Set(['ts', 'typescript', 'mts']);

/**
 * The Markdown files whose ```ts blocks are checked, as absolute paths: the root README.md, ARCHITECTURE.md and
 * CONTRIBUTING.md, and the README.md of each package, each example and the benchmarks, where they exist.
 */
export function markdownFiles(root) {
  const files = ['README.md', 'ARCHITECTURE.md', 'CONTRIBUTING.md', join('bench', 'README.md')];
  for (const group of ['packages', 'examples']) {
    for (const entry of readdirSync(join(root, group), { withFileTypes: true })) {
      if (entry.isDirectory()) files.push(join(group, entry.name, 'README.md'));
    }
  }
  return files.map((file) => join(root, file)).filter((path) => existsSync(path));
}

// A fence (CommonMark): three or more backticks or tildes, then an info string (no backtick after backticks). It
// may be indented (inside a list item); the indentation is removed from the block's lines, as Markdown does.
const FENCE = /^([ \t]*)(`{3,}|~{3,})(.*)$/;

/**
 * The ```ts blocks of a Markdown text: `{ line, lines, noCheck }`, where `line` is the 1-based line of the opening
 * fence, `lines` are the block's content lines as `{ line, column, content }` (`column`: the 0-based column where
 * `content` starts in the file), and `noCheck` tells whether the fence line carries {@link NO_CHECK}. A fence left
 * open at the end of the text is returned with `unclosed: true`.
 */
export function markdownBlocks(text) {
  const blocks = [];
  let fence;
  text.split('\n').forEach((raw, index) => {
    const line = index + 1;
    const match = FENCE.exec(raw);
    if (fence !== undefined) {
      const [, , marker = '', rest = ''] = match ?? [];
      if (marker[0] === fence.marker[0] && marker.length >= fence.marker.length && rest.trim() === '') {
        if (fence.block !== undefined) blocks.push(fence.block);
        fence = undefined;
        return;
      }
      let column = 0;
      while (column < fence.indent && (raw[column] === ' ' || raw[column] === '\t')) column++;
      fence.block?.lines.push({ line, column, content: raw.slice(column).replace(/\r$/, '') });
      return;
    }
    if (match === null) return;
    const [, indent, marker, info] = match;
    if (marker[0] === '`' && info.includes('`')) return; // inline code, not a fence
    const [language = '', ...words] = info.trim().split(/\s+/);
    const block = TS_LANGUAGES.has(language.toLowerCase())
      ? { line, lines: [], noCheck: words.includes(NO_CHECK) }
      : undefined;
    fence = { indent: indent.length, marker, block };
  });
  if (fence?.block !== undefined) blocks.push({ ...fence.block, unclosed: true });
  return blocks;
}
