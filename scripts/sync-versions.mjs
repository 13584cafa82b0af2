#!/usr/bin/env node
/**
 * Writes each package's `src/version.ts` (where it has one) from its package.json version, so that what a
 * package reports about itself (the meter's instrumentation scope version) follows `changeset version`.
 * `pnpm version-packages` runs it after `changeset version`; a test of each such package fails when they differ.
 *
 * Usage: node scripts/sync-versions.mjs
 */

import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const VERSION_LINE = /^export const VERSION = '[^']*';$/m;

for (const pkg of readdirSync(join(root, 'packages'))) {
  const file = join(root, 'packages', pkg, 'src', 'version.ts');
  if (!existsSync(file)) continue;
  const { version } = JSON.parse(readFileSync(join(root, 'packages', pkg, 'package.json'), 'utf8'));
  const before = readFileSync(file, 'utf8');
  if (!VERSION_LINE.test(before)) throw new Error(`${file}: no "export const VERSION = '…';" line to update`);
  const after = before.replace(VERSION_LINE, `export const VERSION = '${version}';`);
  if (after !== before) {
    writeFileSync(file, after);
    console.log(`packages/${pkg}/src/version.ts: ${version}`);
  }
}
