// Checks that every export of every package's barrel (`packages/*/src/index.ts`) has TSDoc with an `@example`
// holding a ```ts block, and type-checks every ```ts block in the TSDoc of those exports and of their members, and
// every ```ts block of the Markdown documentation (the READMEs, ARCHITECTURE.md, CONTRIBUTING.md: see
// scripts/markdown-ts-blocks.mjs) but those whose fence line says ```ts no-check.
//
// Each block is written to its own module in a temporary directory whose node_modules links the workspace
// packages (resolved to their sources through the `@mcp-resource-guard/source` condition) and the packages the
// workspace depends on, and is compiled with tsconfig.base.json's options. Blocks are complete snippets: they import
// what they use from the published package names, as a reader would (see CONTRIBUTING.md). Top-level await is
// allowed.
//
// Usage: node scripts/check-tsdoc-examples.mjs [--keep]   (--keep leaves the temporary directory for inspection)
// Exits 1 and prints file:line:column and the compiler's message for each failure. (The compiler runs as a child
// process that sometimes prints `context canceled` when it is closed; that line is harmless.)
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SyntaxKind } from 'typescript/unstable/ast';
import { API, DiagnosticCategory, SymbolFlags } from 'typescript/unstable/sync';
import { markdownBlocks, markdownFiles, TS_LANGUAGES } from './markdown-ts-blocks.mjs';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const keep = process.argv.includes('--keep');
const started = performance.now();

/** Every member of the workspace (pnpm-workspace.yaml's `packages`, `dir` or `dir/*`): directory, name, manifest. */
function workspaceMembers() {
  const lines = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').split('\n');
  const members = [];
  for (const line of lines.slice(lines.findIndex((l) => /^packages:\s*$/.test(l)) + 1)) {
    const item = /^\s+-\s+['"]?([^'"\s]+?)(\/\*)?['"]?\s*$/.exec(line);
    if (item === null) break;
    const [, dir, children] = item;
    const paths =
      children === undefined
        ? [join(root, dir)]
        : readdirSync(join(root, dir), { withFileTypes: true })
            .filter((entry) => entry.isDirectory())
            .map((entry) => join(root, dir, entry.name));
    for (const path of paths.filter((p) => existsSync(join(p, 'package.json')))) {
      const manifest = JSON.parse(readFileSync(join(path, 'package.json'), 'utf8'));
      members.push({ path, name: manifest.name, manifest });
    }
  }
  return members.sort((a, b) => a.name.localeCompare(b.name));
}

// ---------------------------------------------------------------------------------------------------------------
// TSDoc comments

/**
 * Splits the `/** ... *\/` comment at `[start, end)` of `text` into content lines without the comment's markers:
 * `{ line, column, content }`, with the 1-based line and the 0-based column where `content` starts in the file.
 */
function commentLines(text, start, end) {
  const lines = [];
  let line = text.slice(0, start).split('\n').length;
  let lineStart = text.lastIndexOf('\n', start - 1) + 1;
  while (lineStart < end) {
    const newline = text.indexOf('\n', lineStart);
    const lineEnd = newline === -1 || newline > end ? end : newline;
    const raw = text.slice(lineStart, lineEnd);
    let column = 0;
    while (column < raw.length && (raw[column] === ' ' || raw[column] === '\t')) column++;
    if (raw.startsWith('/**', column)) column += 3;
    else if (raw.startsWith('*', column) && !raw.startsWith('*/', column)) column += 1;
    if (raw[column] === ' ') column += 1;
    let content = raw.slice(column);
    const close = content.lastIndexOf('*/');
    if (lineEnd === end && close !== -1) content = content.slice(0, close).trimEnd();
    lines.push({ line, column, content });
    line++;
    lineStart = lineEnd + 1;
  }
  return lines;
}

const FENCE = /^(\s*)```\s*([\w-]*)\s*$/;
const TAG = /^\s*@([A-Za-z]+)/;

/**
 * The `ts` code blocks of a comment: `{ line, lines, inExample }`, where `lines` are the block's content lines (as
 * from {@link commentLines}) and `inExample` tells whether the block is in an `@example` section.
 */
function parseComment(lines) {
  const blocks = [];
  let tag;
  let fence;
  for (const entry of lines) {
    if (fence !== undefined) {
      const match = FENCE.exec(entry.content);
      if (match !== null && match[2] === '') {
        if (fence.block !== undefined) blocks.push(fence.block);
        fence = undefined;
      } else {
        fence.block?.lines.push(entry);
      }
      continue;
    }
    const open = FENCE.exec(entry.content);
    if (open !== null) {
      const ts = TS_LANGUAGES.has(open[2].toLowerCase());
      fence = { block: ts ? { line: entry.line, lines: [], inExample: tag === 'example' } : undefined };
      continue;
    }
    const tagMatch = TAG.exec(entry.content);
    if (tagMatch !== null) tag = tagMatch[1];
  }
  return blocks;
}

// ---------------------------------------------------------------------------------------------------------------
// Exports and their TSDoc, through the TypeScript API

/** The node that carries a declaration's TSDoc (a variable's statement, not the variable). */
function docHost(node) {
  if (node.kind === SyntaxKind.VariableDeclaration) return node.parent?.parent ?? node;
  return node;
}

/** The last TSDoc comment of a node (the one that documents it), as `[start, end]`, or undefined. */
function tsdocRange(node, text) {
  const doc = node.jsDoc?.at(-1);
  if (doc === undefined) return undefined;
  const start = text.indexOf('/**', doc.pos);
  return start === -1 || start >= doc.end ? undefined : [start, doc.end];
}

const MEMBER_HOSTS = new Set([SyntaxKind.ClassDeclaration, SyntaxKind.InterfaceDeclaration]);

function lineOf(text, offset) {
  return text.slice(0, offset).split('\n').length;
}

/**
 * Every export of every package, with its declarations' TSDoc: `{ pkg, name, declarations: [{ file, line, doc,
 * members }] }`. A declaration reached through several barrels (a re-export) is listed once, under the first.
 */
function collectExports(api, packages) {
  const snapshot = api.updateSnapshot({ openProjects: packages.map((pkg) => join(pkg.path, 'tsconfig.json')) });
  const seen = new Set();
  const exports = [];
  for (const pkg of packages) {
    const project = snapshot.getProject(join(pkg.path, 'tsconfig.json'));
    const barrel = join(pkg.path, 'src', 'index.ts');
    const sourceFile = project?.program.getSourceFile(barrel);
    const moduleSymbol = sourceFile && project.checker.getSymbolAtLocation(sourceFile);
    if (moduleSymbol === undefined) throw new Error(`cannot read the exports of ${relative(root, barrel)}`);
    for (const exported of project.checker.getExportsOfModule(moduleSymbol)) {
      const target = (exported.flags & SymbolFlags.Alias) !== 0 ? project.checker.getAliasedSymbol(exported) : exported;
      const declarations = [];
      let reexport = false;
      for (const handle of target.declarations) {
        const key = `${handle.path}#${handle.index}`;
        if (seen.has(key)) {
          reexport = true;
          continue;
        }
        seen.add(key);
        const node = handle.resolve(project);
        if (node === undefined) continue;
        const text = node.getSourceFile().text;
        const host = docHost(node);
        const range = tsdocRange(host, text);
        const members = [];
        if (MEMBER_HOSTS.has(node.kind)) {
          node.forEachChild((child) => {
            const memberRange = tsdocRange(child, text);
            if (memberRange === undefined) return;
            const memberName = child.name?.getText() ?? 'constructor';
            members.push({ name: memberName, doc: parseComment(commentLines(text, ...memberRange)) });
          });
        }
        declarations.push({
          file: node.getSourceFile().fileName,
          line: lineOf(text, host.getStart(undefined, false)),
          doc: range === undefined ? undefined : parseComment(commentLines(text, ...range)),
          members,
        });
      }
      if (declarations.length > 0 || !reexport) {
        exports.push({ pkg: pkg.name, path: pkg.path, name: exported.name, declarations });
      }
    }
  }
  snapshot.dispose();
  return exports;
}

// ---------------------------------------------------------------------------------------------------------------
// Type-checking the blocks

/**
 * A node_modules with the publishable workspace packages and every package the root or a workspace member names as
 * a dependency of any kind.
 */
function linkModules(dir, packages, members) {
  const linked = new Set();
  const link = (name, target) => {
    if (linked.has(name)) return;
    linked.add(name);
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    symlinkSync(target, join(dir, name), 'dir');
  };
  for (const pkg of packages) link(pkg.name, pkg.path);
  // The publishable packages' own dependencies first: where members pin different versions, theirs are linked.
  const owners = [
    ...packages,
    { path: root, manifest: JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) },
    ...members,
  ];
  for (const owner of owners) {
    const { dependencies, peerDependencies, devDependencies } = owner.manifest;
    for (const name of Object.keys({ ...dependencies, ...peerDependencies, ...devDependencies })) {
      for (const base of [owner.path, root]) {
        try {
          link(name, realpathSync(join(base, 'node_modules', name)));
          break;
        } catch {
          // not installed there
        }
      }
    }
  }
}

function writeProject(dir, examples) {
  writeFileSync(join(dir, 'package.json'), `${JSON.stringify({ private: true, type: 'module' })}\n`);
  const tsconfig = {
    extends: join(root, 'tsconfig.base.json'),
    compilerOptions: {
      noEmit: true,
      composite: false,
      incremental: false,
      declaration: false,
      declarationMap: false,
      sourceMap: false,
      moduleDetection: 'force',
    },
    include: ['examples'],
  };
  writeFileSync(join(dir, 'tsconfig.json'), `${JSON.stringify(tsconfig, null, 2)}\n`);
  mkdirSync(join(dir, 'examples'));
  for (const example of examples) {
    writeFileSync(example.path, `${example.block.lines.map((l) => l.content).join('\n')}\n`);
  }
}

function flatten(diagnostic, indent = '') {
  const chain = diagnostic.messageChain ?? [];
  return [indent + diagnostic.text, ...chain.flatMap((d) => flatten(d, `${indent}  `))].join('\n');
}

function checkExamples(api, dir, examples) {
  const config = join(dir, 'tsconfig.json');
  const snapshot = api.updateSnapshot({ openProjects: [config] });
  const project = snapshot.getProject(config);
  const { program } = project;
  const failures = [];
  const global = [...program.getConfigFileParsingDiagnostics(), ...program.getGlobalDiagnostics()];
  for (const d of global) {
    failures.push({ file: config, line: 1, column: 1, text: `error TS${d.code} (generated tsconfig): ${flatten(d)}` });
  }
  for (const example of examples) {
    const diagnostics = [
      ...program.getSyntacticDiagnostics(example.path),
      ...program.getSemanticDiagnostics(example.path),
    ].filter((d) => d.category === DiagnosticCategory.Error);
    if (diagnostics.length === 0) continue;
    const text = readFileSync(example.path, 'utf8');
    for (const d of diagnostics) {
      const before = text.slice(0, d.pos).split('\n');
      const source = example.block.lines[before.length - 1];
      failures.push({
        file: example.file,
        line: source?.line ?? example.block.line,
        column: source === undefined ? 1 : source.column + before.at(-1).length + 1,
        text: `error TS${d.code} in ${example.what}: ${flatten(d)}`,
      });
    }
  }
  snapshot.dispose();
  return failures;
}

// ---------------------------------------------------------------------------------------------------------------

const members = workspaceMembers();
const packages = members.filter((member) => !member.manifest.private);
const api = new API({ cwd: root });
const dir = mkdtempSync(join(tmpdir(), 'tsdoc-examples-'));
/** The module a block is written to: named for its file and the line of its opening fence. */
const modulePath = (file, line) => join(dir, 'examples', `${relative(root, file).replace(/[^\w]+/g, '_')}_${line}.ts`);
let failures = [];
let exportCount = 0;
const examples = [];
const markdown = { files: 0, blocks: 0, unchecked: 0 };
try {
  const exports = collectExports(api, packages);
  exportCount = exports.length;
  for (const exported of exports) {
    const documented = exported.declarations.filter((d) => d.doc !== undefined);
    if (!documented.some((d) => d.doc.some((block) => block.inExample))) {
      const at = exported.declarations[0] ?? { file: join(exported.path, 'src', 'index.ts'), line: 1 };
      const what = documented.length === 0 ? 'no TSDoc' : 'no @example with a ```ts block';
      failures.push({
        file: at.file,
        line: at.line,
        column: 1,
        text: `${exported.name} (${exported.pkg}) has ${what}`,
      });
    }
    for (const declaration of exported.declarations) {
      const docs = [
        { name: exported.name, doc: declaration.doc },
        ...declaration.members.map((m) => ({ name: `${exported.name}.${m.name}`, doc: m.doc })),
      ];
      for (const { name, doc } of docs) {
        for (const block of doc ?? []) {
          const path = modulePath(declaration.file, block.line);
          examples.push({ what: `the example of ${name}`, file: declaration.file, block, path });
        }
      }
    }
  }
  for (const file of markdownFiles(root)) {
    markdown.files++;
    for (const block of markdownBlocks(readFileSync(file, 'utf8'))) {
      if (block.unclosed) {
        failures.push({ file, line: block.line, column: 1, text: 'a ```ts block with no closing fence' });
      } else if (block.noCheck) {
        markdown.unchecked++;
      } else {
        markdown.blocks++;
        examples.push({ what: `the ts block at line ${block.line}`, file, block, path: modulePath(file, block.line) });
      }
    }
  }
  linkModules(join(dir, 'node_modules'), packages, members);
  writeProject(dir, examples);
  failures = [...failures, ...checkExamples(api, dir, examples)];
} finally {
  api.close();
  if (keep) console.error(`kept ${dir}`);
  else rmSync(dir, { recursive: true, force: true });
}

failures.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
for (const { file, line, column, text } of failures)
  console.error(`${relative(root, file)}:${line}:${column} - ${text}`);
const seconds = ((performance.now() - started) / 1000).toFixed(1);
console.log(
  `tsdoc examples: ${exportCount} exports of ${packages.length} packages (re-exports counted once), ` +
    `${examples.length - markdown.blocks} examples type-checked; ` +
    `Markdown: ${markdown.blocks} ts blocks of ${markdown.files} files type-checked, ${markdown.unchecked} no-check; ` +
    `${failures.length} problem${failures.length === 1 ? '' : 's'} (${seconds} s)`,
);
process.exitCode = failures.length > 0 ? 1 : 0;
