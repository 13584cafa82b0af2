#!/usr/bin/env node
/**
 * Checks the module graph of every package's src/ (packages/* and the private internal/*): no import cycles
 * (type-only imports included), no import that reaches into another package (a relative path out of the package,
 * or a deep import of a workspace package instead of its barrel or another entry point it declares in `exports`),
 * and no published package (packages/*) that imports or depends on a private one (internal/*: only their tests
 * may). Prints each problem and exits 1 if there is any.
 *
 * Usage: node scripts/check-imports.mjs
 */

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
// The published packages and the private ones the tests and benchmarks share.
const packageDirs = ['packages', 'internal'].flatMap((dir) =>
  readdirSync(join(root, dir)).map((name) => join(root, dir, name)),
);
const IMPORT = /^\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;

function sourceFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...sourceFiles(path));
    else if (path.endsWith('.ts') && !path.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

// The entry points the workspace packages declare in `exports` (such as `@mcp-resource-guard/core/internal`, for the
// sibling packages): importing one is not reaching into the package.
const declaredEntries = new Set();
const privateNames = new Set();
for (const pkg of packageDirs) {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  if (manifest.private === true) privateNames.add(manifest.name);
  for (const key of Object.keys(manifest.exports ?? {})) {
    if (key !== '.' && !key.endsWith('.json')) declaredEntries.add(`${manifest.name}${key.slice(1)}`);
  }
}

const problems = [];
const published = packageDirs.filter((pkg) => relative(root, pkg).startsWith(`packages${sep}`));
for (const pkg of published) {
  const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8'));
  for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
    for (const name of Object.keys(manifest[field] ?? {})) {
      if (privateNames.has(name)) problems.push(`${relative(root, pkg)}/package.json: ${field} has ${name}, private`);
    }
  }
}
const packageOf = (spec) => spec.split('/').slice(0, 2).join('/');
const graph = new Map();
for (const pkg of packageDirs) {
  const src = join(pkg, 'src');
  const isPublished = published.includes(pkg);
  for (const file of sourceFiles(src)) {
    const deps = [];
    for (const [, spec] of readFileSync(file, 'utf8').matchAll(IMPORT)) {
      if (spec.startsWith('.')) {
        const target = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
        if (!target.startsWith(src + sep))
          problems.push(`${relative(root, file)}: imports ${spec}, outside its package`);
        else deps.push(target);
      } else if (isPublished && privateNames.has(packageOf(spec))) {
        problems.push(`${relative(root, file)}: imports ${spec}, a private package`);
      } else if (/^@mcp-resource-guard\/[^/]+\/./.test(spec) && !declaredEntries.has(spec)) {
        problems.push(`${relative(root, file)}: deep import ${spec}; import the package's barrel`);
      }
    }
    graph.set(file, deps);
  }
}

// Strongly connected components (Tarjan): each with more than one module, or a module importing itself, is a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
function visit(v) {
  index.set(v, counter);
  low.set(v, counter);
  counter++;
  stack.push(v);
  onStack.add(v);
  for (const w of graph.get(v) ?? []) {
    if (!graph.has(w)) continue;
    if (!index.has(w)) {
      visit(w);
      low.set(v, Math.min(low.get(v), low.get(w)));
    } else if (onStack.has(w)) {
      low.set(v, Math.min(low.get(v), index.get(w)));
    }
  }
  if (low.get(v) !== index.get(v)) return;
  const component = [];
  let w;
  do {
    w = stack.pop();
    onStack.delete(w);
    component.push(relative(root, w));
  } while (w !== v);
  if (component.length > 1 || (graph.get(v) ?? []).includes(v)) {
    problems.push(`import cycle: ${component.sort().join(' <-> ')}`);
  }
}
for (const v of graph.keys()) if (!index.has(v)) visit(v);

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  console.error(`imports: ${problems.length} problem(s) in ${graph.size} modules`);
  process.exit(1);
}
console.log(`imports: ${graph.size} modules, no cycle, no import into another package`);
