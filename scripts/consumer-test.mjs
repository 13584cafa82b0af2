#!/usr/bin/env node
// Consumer test: the published packages as a user gets them. Packs each package with pnpm, installs the
// tarballs with the peers a user would have into fresh projects outside the workspace (one on SDK v1, one on
// SDK v2), then runs an ESM server and a CommonJS server (require(esm)) that answer a real client call,
// type-checks a TypeScript consumer (node16 and bundler resolution, probes that fail if a public type is
// `any`), checks the tarballs' contents and package.json, and runs publint and @arethetypeswrong/cli on them.
// Plain Node, no dependencies. Builds nothing: run `npx --yes pnpm@10.34.8 build` first.
//
//   node scripts/consumer-test.mjs [--node <path-to-another-node>]... [--keep]
//
// --node runs the ESM and CommonJS consumers on another Node binary too (e.g. Node 24); --keep leaves the
// temp directory in place and prints its path. Exit status 0 only if every check passed.
//
// The packages are ESM only; on Node >= 20.19 `require()` loads them (require(esm)), which the CommonJS
// consumer checks. attw knows no require(esm) (it models TypeScript's node16 resolution, where a CommonJS file
// may not require an ES module), so its CJSResolvesToESM problem (rule `cjs-resolves-to-esm`) is accepted in
// node16-from-CommonJS resolution only; every other problem in every resolution mode (node10, node16 from
// CommonJS and from ESM, bundler) fails the run. publint runs with --strict and must report nothing at all.

import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const ROOT = realpathSync(join(dirname(fileURLToPath(import.meta.url)), '..'));
const PNPM = ['--yes', 'pnpm@10.34.8'];

/** The published packages, and what their package.json must say about peers. */
const PACKAGES = [
  { dir: 'core', name: '@mcp-resource-guard/core', peers: {} },
  {
    dir: 'sdk-middleware',
    name: '@mcp-resource-guard/sdk-middleware',
    peers: {
      '@modelcontextprotocol/sdk': { range: '^0.5.0 || ^1.0.0', optional: true },
      '@modelcontextprotocol/server': { range: '^2.0.0', optional: true },
    },
  },
  {
    dir: 'otel-exporter',
    name: '@mcp-resource-guard/otel-exporter',
    peers: { '@opentelemetry/api': { range: '^1.9.0', optional: false } },
  },
];

/** What a user installs next to the tarballs. Pinned, so that a failure is ours and not a new release's. */
const CONSUMERS = [
  {
    id: 'v1',
    sdkMajor: 1,
    deps: ['@modelcontextprotocol/sdk@1.32.2', 'zod@4.6.7', '@opentelemetry/api@1.9.1'],
    absent: ['@modelcontextprotocol/server', '@modelcontextprotocol/client'],
    imports: {
      McpServer: ['@modelcontextprotocol/sdk/server/mcp.js', 'McpServer'],
      Client: ['@modelcontextprotocol/sdk/client/index.js', 'Client'],
      InMemoryTransport: ['@modelcontextprotocol/sdk/inMemory.js', 'InMemoryTransport'],
    },
  },
  {
    id: 'v2',
    sdkMajor: 2,
    deps: [
      '@modelcontextprotocol/server@2.4.0',
      '@modelcontextprotocol/client@2.4.0',
      'zod@4.6.7',
      '@opentelemetry/api@1.9.1',
    ],
    absent: ['@modelcontextprotocol/sdk'],
    imports: {
      McpServer: ['@modelcontextprotocol/server', 'McpServer'],
      Client: ['@modelcontextprotocol/client', 'Client'],
      InMemoryTransport: ['@modelcontextprotocol/client', 'InMemoryTransport'],
    },
  },
];
const TYPES_NODE = '@types/node@20.19.43';

/** Tools, installed once into a tools directory (not into the consumers, so they cannot affect resolution). */
const TOOLS = {
  publint: '0.3.25', // Node >= 18
  attw: '0.18.5', // @arethetypeswrong/cli, Node >= 20
  // TypeScript for the consumer type checks, each in node16 (ESM and CommonJS) and bundler resolution:
  // 7.0 (native, the one this repository builds with) with skipLibCheck off, so that our declarations are
  // checked in the consumer's settings too; 5.9 (the JS compiler most users have) with skipLibCheck on, as
  // most projects set it (checking the SDK's and zod's declarations too would triple its time).
  typescript: [
    { version: '7.0.2', skipLibCheck: false },
    { version: '5.9.3', skipLibCheck: true },
  ],
};
/** TypeScript consumers: tsconfig kind, the file it checks, and a label. */
const TS_MODES = [
  ['node16-esm', 'types-esm.mts', 'moduleResolution node16, ESM (.mts, module node16)'],
  ['node16-cjs', 'types-cjs.cts', 'moduleResolution node16, CommonJS (.cts, module node20)'],
  ['bundler', 'types-bundler.ts', 'moduleResolution bundler (module esnext)'],
];
/**
 * attw problems we accept, by attw's problem kind (CLI rule name `cjs-resolves-to-esm`), with the only
 * resolution mode where each may appear. Equivalent to `attw --pack --ignore-rules cjs-resolves-to-esm`,
 * but the report says what was ignored, and it fails if the problem shows up anywhere else.
 */
const ATTW_ACCEPTED = { CJSResolvesToESM: 'node16-cjs' };

const STEP_TIMEOUT_MS = 180_000;
const CONSUMER_TIMEOUT_MS = 60_000;

// ---------------------------------------------------------------------------------------------------------
// Running things

const args = process.argv.slice(2);
const keep = args.includes('--keep');
const extraNodes = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--node') {
    const bin = args[++i];
    if (!bin || !existsSync(bin)) fail(`--node needs the path of a node binary (got ${bin ?? 'nothing'})`);
    extraNodes.push(bin);
  } else if (args[i] !== '--keep') {
    fail(`unknown argument ${args[i]}; usage: node scripts/consumer-test.mjs [--node <path>]... [--keep]`);
  }
}

function fail(message) {
  console.error(`consumer-test: ${message}`);
  process.exit(2);
}

/**
 * Runs a command; never throws.
 * @returns {Promise<{ code: number | null, signal: string | null, out: string, stdout: string, ms: number, timedOut: boolean }>}
 */
function run(cmd, argv, { cwd, timeoutMs = STEP_TIMEOUT_MS, env } = {}) {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, {
      cwd,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (b) => {
      out += b;
      stdout += b;
    });
    child.stderr.on('data', (b) => {
      out += b;
    });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      const ms = performance.now() - started;
      resolve({ code: null, signal: null, out: `${out}\n${error.message}`, stdout, ms, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out, stdout, ms: performance.now() - started, timedOut });
    });
  });
}

/** Runs async tasks with at most `limit` at a time, in order of the list. */
async function pool(tasks, limit) {
  const results = new Array(tasks.length);
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/** npm's own noise in this environment, not a finding. */
const quiet = (out) =>
  out
    .split('\n')
    .filter((l) => l.trim() !== '' && !/^npm warn Unknown (user|env) config/.test(l))
    .join('\n');

const results = [];
/** Records a check. `detail` is printed when it failed (and its first line when it passed). */
function record(group, name, ok, detail = '', ms = 0) {
  results.push({ group, name, ok, detail: String(detail).trim(), ms });
  const first = ok ? (String(detail).trim().split('\n')[0] ?? '') : '';
  const time = ms ? ` (${(ms / 1000).toFixed(1)} s)` : '';
  console.log(`${ok ? 'PASS' : 'FAIL'}  ${group}: ${name}${time}${first ? ` — ${first}` : ''}`);
  if (!ok && detail) console.log(indent(String(detail).trim()));
}
const indent = (text) =>
  text
    .split('\n')
    .slice(0, 80)
    .map((l) => `      ${l}`)
    .join('\n');

// ---------------------------------------------------------------------------------------------------------
// Tarballs: a minimal reader (ustar and pax paths), enough to list files and read package.json

function readTarball(file) {
  const data = gunzipSync(readFileSync(file));
  const entries = new Map();
  let offset = 0;
  let paxPath;
  while (offset + 512 <= data.length) {
    const header = data.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const str = (start, len) => header.toString('utf8', start, start + len).replace(/\0.*$/s, '');
    const size = Number.parseInt(str(124, 12).trim() || '0', 8);
    const type = str(156, 1);
    const prefix = str(345, 155);
    let name = prefix ? `${prefix}/${str(0, 100)}` : str(0, 100);
    const body = data.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'x') {
      const match = /\d+ path=([^\n]*)\n/.exec(body.toString('utf8'));
      paxPath = match?.[1];
      continue;
    }
    if (type === 'g') continue;
    if (paxPath) {
      name = paxPath;
      paxPath = undefined;
    }
    if (type === '0' || type === '' || type === '7') entries.set(name.replace(/^package\//, ''), body);
  }
  return entries;
}

/** Bare module specifiers a JS or .d.ts file imports, skipping comments (JSDoc examples import things too). */
function importedSpecifiers(text) {
  const found = new Set();
  for (const m of text.matchAll(/^\s*\/\/\/\s*<reference\s+types="([^"]+)"/gm)) found.add(`@types-reference:${m[1]}`);
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  for (const re of [
    /(?:^|[;}\s])(?:import|export)\s[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/g, // import/export ... from, across lines
    /(?:^|[;\s])import\s*['"]([^'"]+)['"]/g, // import 'x'
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g, // import('x'), require('x'), type import('x')
  ]) {
    for (const m of code.matchAll(re)) found.add(m[1]);
  }
  return [...found].filter((s) => !s.startsWith('.') && !s.startsWith('/'));
}

const packageOf = (specifier) =>
  specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];

/** Every check on one tarball that needs no install: contents, package.json, imports, README install line. */
function checkTarball(pkg, file) {
  const group = pkg.name;
  const entries = readTarball(file);
  const files = [...entries.keys()].sort();
  const manifest = JSON.parse(entries.get('package.json')?.toString('utf8') ?? '{}');

  // Contents: only what a user needs: the build, its source maps and the sources they name.
  const allowed = (f) =>
    ['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f) ||
    /^dist\/.+\.(js|d\.ts)(\.map)?$/.test(f) ||
    /^src\/.+\.ts$/.test(f);
  const extra = files.filter((f) => !allowed(f));
  const missing = ['package.json', 'README.md', 'LICENSE', 'dist/index.js', 'dist/index.d.ts'].filter(
    (f) => !entries.has(f),
  );
  const jsWithoutTypes = files.filter((f) => f.endsWith('.js') && !entries.has(f.replace(/\.js$/, '.d.ts')));
  record(
    group,
    'tarball holds only dist (js, d.ts, their maps), src, README, LICENSE, package.json',
    extra.length === 0 && missing.length === 0 && jsWithoutTypes.length === 0,
    extra.length || missing.length || jsWithoutTypes.length
      ? [
          extra.length ? `unexpected: ${extra.join(', ')}` : '',
          missing.length ? `missing: ${missing.join(', ')}` : '',
          jsWithoutTypes.length ? `no .d.ts beside: ${jsWithoutTypes.join(', ')}` : '',
        ]
          .filter(Boolean)
          .join('\n')
      : `${files.length} files, ${(readFileSync(file).length / 1024).toFixed(1)} kB packed`,
  );

  // Source maps: every sourceMappingURL names a shipped map, and every source a map names is shipped (a
  // debugger or a bundler would otherwise warn, or show nothing).
  const brokenMaps = [];
  for (const f of files) {
    if (!/\.(js|d\.ts)$/.test(f)) continue;
    const url = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(entries.get(f)?.toString('utf8') ?? '')?.[1];
    if (url === undefined) continue;
    const mapPath = posix.join(posix.dirname(f), url);
    const map = entries.get(mapPath);
    if (map === undefined) {
      brokenMaps.push(`${f} → ${mapPath}`);
      continue;
    }
    const { sources = [], sourceRoot = '' } = JSON.parse(map.toString('utf8'));
    for (const source of sources) {
      const sourcePath = posix.join(posix.dirname(mapPath), sourceRoot, source);
      if (!entries.has(sourcePath)) brokenMaps.push(`${mapPath} → ${sourcePath}`);
    }
  }
  record(
    group,
    'source maps resolve: each sourceMappingURL to a shipped map, each source a map names shipped',
    brokenMaps.length === 0,
    brokenMaps.length === 0 ? 'all resolve' : brokenMaps.slice(0, 5).join('\n'),
  );

  // package.json as published.
  const problems = [];
  const json = JSON.stringify(manifest);
  if (json.includes('workspace:')) problems.push('a workspace: range survived packing');
  if (json.includes('@mcp-resource-guard/source'))
    problems.push('the @mcp-resource-guard/source condition (src/) survived packing');
  if (manifest.name !== pkg.name) problems.push(`name is ${manifest.name}`);
  if (manifest.type !== 'module') problems.push('type is not module');
  if (manifest.license !== 'MIT') problems.push(`license is ${manifest.license}`);
  if (!manifest.engines?.node) problems.push('no engines.node');
  if (manifest.repository?.directory !== `packages/${pkg.dir}` || !manifest.repository?.url)
    problems.push('repository (with url and directory) missing or wrong');
  if (!Array.isArray(manifest.keywords) || manifest.keywords.length === 0) problems.push('no keywords');
  if (!manifest.description) problems.push('no description');
  const root = manifest.exports?.['.'];
  if (!root || Object.keys(root)[0] !== 'types')
    problems.push("exports['.'] missing or 'types' not its first condition");
  if (manifest.exports?.['./package.json'] !== './package.json') problems.push("no exports['./package.json']");
  const targets = [manifest.main, manifest.types];
  const walk = (v) =>
    typeof v === 'string' ? targets.push(v) : v && typeof v === 'object' && Object.values(v).forEach(walk);
  walk(manifest.exports);
  for (const t of targets) {
    if (typeof t !== 'string' || !entries.has(t.replace(/^\.\//, '')))
      problems.push(`target ${t} is not in the tarball`);
  }
  for (const [dep, range] of Object.entries(manifest.dependencies ?? {})) {
    const internal = PACKAGES.find((p) => p.name === dep);
    if (internal && range !== `^${manifest.version}`)
      problems.push(`${dep} is ${range}, expected ^${manifest.version}`);
  }
  const peers = manifest.peerDependencies ?? {};
  for (const [peer, want] of Object.entries(pkg.peers)) {
    if (peers[peer] !== want.range) problems.push(`peer ${peer} is ${peers[peer]}, expected ${want.range}`);
    if (Boolean(manifest.peerDependenciesMeta?.[peer]?.optional) !== want.optional)
      problems.push(`peer ${peer} should ${want.optional ? '' : 'not '}be optional`);
    if (manifest.dependencies?.[peer]) problems.push(`${peer} is both a dependency and a peer`);
  }
  for (const peer of Object.keys(peers)) if (!pkg.peers[peer]) problems.push(`unexpected peer ${peer}`);
  record(
    group,
    'package.json: real ranges, peers, exports, metadata',
    problems.length === 0,
    problems.length
      ? problems.join('\n')
      : `version ${manifest.version}; dependencies ${JSON.stringify(manifest.dependencies ?? {})}; peers ${JSON.stringify(peers)}`,
  );

  // Imports in the published code: Node built-ins, dependencies and peers only; optional peers never at run time.
  const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(peers), pkg.name]);
  const optional = new Set(Object.keys(pkg.peers).filter((p) => pkg.peers[p].optional));
  const leaks = [];
  const seen = new Set();
  for (const f of files.filter((f) => f.endsWith('.js') || f.endsWith('.d.ts'))) {
    for (const spec of importedSpecifiers(entries.get(f).toString('utf8'))) {
      if (spec.startsWith('@types-reference:')) {
        if (spec !== '@types-reference:node') leaks.push(`${f}: /// <reference types="${spec.slice(17)}" />`);
        continue;
      }
      if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
      const name = packageOf(spec);
      seen.add(name);
      if (!declared.has(name)) leaks.push(`${f}: imports ${spec}, which is not a dependency or peer`);
      else if (optional.has(name) && f.endsWith('.js'))
        leaks.push(`${f}: imports the optional peer ${spec} at run time`);
    }
  }
  record(
    group,
    'published code imports only Node built-ins, dependencies and peers',
    leaks.length === 0,
    leaks.length ? leaks.join('\n') : `imports: ${[...seen].sort().join(', ') || 'Node built-ins only'}`,
  );

  // README: an install line with the package and its required peers; each optional peer on some install line.
  const readme = entries.get('README.md')?.toString('utf8') ?? '';
  const installLines = readme.split('\n').filter((l) => /\bnpm install\b/.test(l) && l.includes(pkg.name));
  const required = Object.keys(pkg.peers).filter((p) => !pkg.peers[p].optional);
  const lineOk =
    installLines.some((l) => required.every((p) => l.includes(p))) &&
    [...optional].every((p) => installLines.some((l) => l.includes(p)));
  record(
    group,
    'README install line names the package and its peers',
    lineOk,
    lineOk ? installLines.map((l) => l.trim()).join(' | ') : `install lines: ${installLines.join(' | ') || 'none'}`,
  );
  return manifest;
}

// ---------------------------------------------------------------------------------------------------------
// Consumer sources

/** The scenario both runtime consumers run; CommonJS, so that the CJS consumer loads nothing as ESM itself. */
const SCENARIO = `'use strict';
// Runs one guarded MCP server and client with the packages as installed. The caller loads the packages
// (ESM: import; CommonJS: require) and passes them in.
const assert = require('node:assert/strict');
const { existsSync, writeFileSync } = require('node:fs');
const { join, sep } = require('node:path');
const { fileURLToPath } = require('node:url');

const PACKAGES = ['@mcp-resource-guard/core', '@mcp-resource-guard/sdk-middleware', '@mcp-resource-guard/otel-exporter'];

/** A meter provider over OpenTelemetry's no-op meter that counts what is recorded, by instrument name. */
function countingMeterProvider(api) {
  const counts = new Map();
  const noop = api.createNoopMeter();
  const wrapInstrument = (name, instrument) =>
    new Proxy(instrument, {
      get(target, prop) {
        const value = Reflect.get(target, prop);
        if (prop === 'record' || prop === 'add') {
          return (...args) => {
            counts.set(name, (counts.get(name) ?? 0) + 1);
            return value.apply(target, args);
          };
        }
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  const meter = new Proxy(noop, {
    get(target, prop) {
      const value = Reflect.get(target, prop);
      if (typeof prop === 'string' && prop.startsWith('create') && typeof value === 'function') {
        return (name, ...rest) => wrapInstrument(name, value.call(target, name, ...rest));
      }
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { provider: { getMeter: () => meter }, counts };
}

async function eventually(predicate, ms = 2000) {
  const until = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

exports.run = async function run(d) {
  const { core, mw, otel, api, McpServer, Client, InMemoryTransport, z } = d;
  const log = (line) => console.log(line);

  // Resolution: each package from this project's node_modules, one copy of core.
  for (const name of PACKAGES) {
    const resolved = d.resolve(name);
    const file = resolved.startsWith('file:') ? fileURLToPath(resolved) : resolved;
    assert.ok(file.startsWith(join(d.dir, 'node_modules') + sep), name + ' resolved to ' + file);
    assert.ok(file.endsWith(join('dist', 'index.js')), name + ' resolved to ' + file);
  }
  assert.equal(mw.ResourceGuardError, core.ResourceGuardError, 'sdk-middleware re-exports core (one copy)');
  assert.equal(mw.getCallContext, core.getCallContext);
  for (const name of d.absent) assert.throws(() => d.resolve(name), name + ' should not be installed');
  log('resolved from ' + d.dir + '/node_modules; ' + d.absent.join(', ') + ' absent');

  // The testing subpath: a manual clock drives the guard's sampling.
  const time = d.testing.manualTime();
  const timed = core.createResourceGuard({ clock: time, scheduler: time, limits: { perCall: { maxExecutionTimeMs: 100 } }, probes: false });
  const slow = await timed.admit({ toolName: 'slow' });
  time.advance(200);
  assert.equal(slow.signal.aborted, true, 'manualTime drives the sampler: the call is stopped at its time limit');
  slow.end('timeout');
  await timed.close();
  log('@mcp-resource-guard/core/testing: manualTime drives the guard');

  // Options are validated.
  assert.throws(
    () => mw.resourceMiddleware({ limits: { perCall: { maxMemoryMb: -1 } } }),
    (e) => e instanceof core.ResourceGuardError && e.code === core.ErrorCode.InvalidConfig,
  );

  // OpenTelemetry: the global (no-op) meter provider, and a counting one over the no-op meter.
  const diagProblems = [];
  const keepProblem = (...a) => diagProblems.push(a.map(String).join(' '));
  api.diag.setLogger({ error: keepProblem, warn: keepProblem, info() {}, debug() {}, verbose() {} }, api.DiagLogLevel.WARN);
  const counting = countingMeterProvider(api);

  const guard = mw.resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 300 } } });
  const globalMetrics = otel.instrumentGuard(guard);
  const countedMetrics = otel.instrumentGuard(guard, { meterProvider: counting.provider });
  const records = [];
  guard.on('call', (r) => records.push(r));

  const server = mw.withMiddleware(new McpServer({ name: 'consumer', version: '1.0.0' }));
  const seen = [];
  server.use(async function outer(ctx, next) {
    seen.push(ctx.toolName + '@v' + ctx.sdkMajor);
    return next();
  }, guard);
  let tempFile = '';
  const echoSchema = d.sdkMajor === 1 ? { text: z.string() } : z.object({ text: z.string() });
  server.registerTool('echo', { description: 'echo', inputSchema: echoSchema }, async ({ text }) => {
    const ctx = mw.getCallContext();
    tempFile = join(ctx.tempDir(), 'note.txt');
    writeFileSync(tempFile, text);
    return { content: [{ type: 'text', text: text + ' from ' + ctx.toolName }] };
  });
  server.registerTool('stall', { description: 'never answers' }, () => new Promise(() => {}));

  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'consumer-client', version: '1.0.0' });
  await server.connect(serverSide);
  await client.connect(clientSide);

  const listed = await client.listTools();
  assert.deepEqual(listed.tools.map((t) => t.name).sort(), ['echo', 'stall']);
  const echoed = await client.callTool({ name: 'echo', arguments: { text: 'hello' } });
  assert.notEqual(echoed.isError, true, JSON.stringify(echoed));
  assert.equal(echoed.content[0].text, 'hello from echo');
  assert.ok(await eventually(() => tempFile !== '' && !existsSync(tempFile)), 'the call temp dir is removed');
  const started = Date.now();
  const stalled = await client.callTool({ name: 'stall' });
  const detail = stalled._meta && stalled._meta['mcp-resource-guard/error'];
  assert.equal(stalled.isError, true, JSON.stringify(stalled));
  assert.ok(detail && detail.resource === 'executionTimeMs', JSON.stringify(stalled));
  log('echo → "' + echoed.content[0].text + '"; stall → isError after ' + (Date.now() - started) + ' ms (' + detail.code + ', ' + detail.resource + ')');

  assert.ok(await eventually(() => records.length === 2), 'two call records');
  assert.deepEqual(records.map((r) => r.toolName + ':' + r.outcome), ['echo:ok', 'stall:timeout']);
  assert.deepEqual(seen, ['echo@v' + d.sdkMajor, 'stall@v' + d.sdkMajor]);
  const snapshot = guard.snapshot();
  assert.ok(snapshot.tools.echo && snapshot.tools.stall, JSON.stringify(Object.keys(snapshot.tools)));

  const duration = counting.counts.get('mcp.server.operation.duration') ?? 0;
  assert.equal(duration, 2, 'mcp.server.operation.duration recorded per call: ' + JSON.stringify([...counting.counts]));
  globalMetrics.stop();
  countedMetrics.stop();
  assert.equal(globalMetrics.stopped && countedMetrics.stopped, true);
  assert.deepEqual(diagProblems, [], 'nothing reported to diag');
  log('metrics: ' + counting.counts.size + ' instruments recorded through the API, none to diag; global no-op meter ok');

  await client.close();
  await guard.close();

  // core on its own.
  const coreGuard = core.createResourceGuard({ limits: { perCall: { maxExecutionTimeMs: 1000 } } });
  const call = await coreGuard.admit({ toolName: 'direct' });
  const value = await call.runUntilStopped(async () => core.getCallContext().toolName);
  assert.equal(value, 'direct');
  call.end('ok');
  await call.settled;
  await coreGuard.close();
  log('core: createResourceGuard, admit, runUntilStopped, end ok');
};
`;

/** A stdio server with no guard in its code. */
const PLAIN_SERVER = `import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
const server = new McpServer({ name: 'plain', version: '1.0.0' });
server.registerTool('slow', {}, async () => {
  await new Promise((r) => setTimeout(r, 3000));
  return { content: [{ type: 'text', text: 'woke' }] };
});
await server.connect(new StdioServerTransport());
`;

/** Runs the plain server as a client configuration would: npx, the guard's package, its command. */
function attachClient(coreTarball, middlewareTarball) {
  return `import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
const transport = new StdioClientTransport({
  command: 'npx',
  args: ['--yes', '--package=${coreTarball}', '--package=${middlewareTarball}', 'mcp-resource-guard', 'run', '--',
    process.execPath, 'plain-server.mjs'],
  env: { ...process.env, MCP_RESOURCE_GUARD_CONFIG: JSON.stringify({ tools: { slow: { perCall: { maxExecutionTimeMs: 300 } } } }) },
});
const client = new Client({ name: 'attach', version: '1.0.0' });
await client.connect(transport);
const result = await client.callTool({ name: 'slow' });
const detail = result._meta?.['mcp-resource-guard/error'];
await client.close();
if (result.isError === true && detail?.code === 'LIMIT_EXCEEDED') console.log('ATTACH OK: slow stopped at ' + detail.limit + ' ms');
else { console.log(JSON.stringify(result)); process.exit(1); }
`;
}

function esmConsumer(c) {
  const sdkImports = Object.entries(c.imports)
    .map(([local, [from, name]]) => `import { ${name === local ? name : `${name} as ${local}`} } from '${from}';`)
    .join('\n');
  return `// ESM consumer (SDK v${c.sdkMajor}), written by scripts/consumer-test.mjs.
import * as core from '@mcp-resource-guard/core';
import * as testing from '@mcp-resource-guard/core/testing';
import * as otel from '@mcp-resource-guard/otel-exporter';
import * as mw from '@mcp-resource-guard/sdk-middleware';
import * as api from '@opentelemetry/api';
import * as z from 'zod';
${sdkImports}
import scenario from './scenario.cjs';

const dir = ${JSON.stringify(c.dir)};
await scenario.run({
  core, testing, mw, otel, api, z, McpServer, Client, InMemoryTransport,
  sdkMajor: ${c.sdkMajor},
  dir,
  absent: ${JSON.stringify(c.absent)},
  resolve: (s) => import.meta.resolve(s),
});
console.log('CONSUMER OK');
`;
}

function cjsConsumer(c) {
  const sdkRequires = Object.entries(c.imports)
    .map(([local, [from, name]]) => `const { ${name === local ? name : `${name}: ${local}`} } = require('${from}');`)
    .join('\n');
  return `// CommonJS consumer (SDK v${c.sdkMajor}), written by scripts/consumer-test.mjs. Our packages are ESM:
// require() loads them on Node >= 20.19 (require(esm)).
'use strict';
const core = require('@mcp-resource-guard/core');
const testing = require('@mcp-resource-guard/core/testing');
const otel = require('@mcp-resource-guard/otel-exporter');
const mw = require('@mcp-resource-guard/sdk-middleware');
const api = require('@opentelemetry/api');
const z = require('zod');
${sdkRequires}
const scenario = require('./scenario.cjs');
const assert = require('node:assert/strict');

for (const name of ['core', 'sdk-middleware', 'otel-exporter']) {
  const manifest = require('@mcp-resource-guard/' + name + '/package.json');
  assert.equal(manifest.name, '@mcp-resource-guard/' + name);
}
scenario
  .run({
    core, testing, mw, otel, api, z, McpServer, Client, InMemoryTransport,
    sdkMajor: ${c.sdkMajor},
    dir: ${JSON.stringify(c.dir)},
    absent: ${JSON.stringify(c.absent)},
    resolve: (s) => require.resolve(s),
  })
  .then(
    () => console.log('CONSUMER OK'),
    (error) => {
      console.error(error);
      process.exit(1); // the guard's timers would keep a failed run alive
    },
  );
`;
}

/** Names a package's index.d.ts exports, split into values and types, and which types are generic. */
function publicNames(packageDir) {
  const dts = [];
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.d.ts')) dts.push(readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(join(packageDir, 'dist'));
  const all = dts.join('\n').replace(/\/\*[\s\S]*?\*\//g, '');
  const index = readFileSync(join(packageDir, 'dist', 'index.d.ts'), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '');
  const types = new Set();
  for (const m of index.matchAll(/export\s+(type\s+)?\{([^}]*)\}/g)) {
    for (const item of m[2]
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)) {
      const im = /^(type\s+)?(\w+)(?:\s+as\s+(\w+))?$/.exec(item);
      if (!im) continue;
      const exported = im[3] ?? im[2];
      const declaredAsType = new RegExp(`(?:interface|type|class|enum)\\s+${im[2]}\\b`).test(all);
      if (m[1] || im[1] || declaredAsType) types.add(exported);
    }
  }
  for (const m of index.matchAll(/export\s+(?:declare\s+)?(?:interface|type|class|enum)\s+(\w+)/g)) types.add(m[1]);
  const generic = new Set([...types].filter((t) => new RegExp(`(?:interface|type|class)\\s+${t}\\s*<`).test(all)));
  return { types: [...types].sort(), generic };
}

/** The type-level consumer: no public export or type is `any`, and probes that only an `any` would let through. */
function typeProbes(c, names) {
  const [serverFrom] = c.imports.McpServer;
  const lines = [];
  for (const [alias, pkg] of [
    ['core', '@mcp-resource-guard/core'],
    ['mw', '@mcp-resource-guard/sdk-middleware'],
    ['otel', '@mcp-resource-guard/otel-exporter'],
  ]) {
    lines.push(`type _${alias}_values = NoAny<AnyMembers<typeof ${alias}>>;`);
    for (const t of names[pkg].types) {
      if (!names[pkg].generic.has(t)) lines.push(`type _${alias}_${t} = NoAny<AnyMembers<${alias}.${t}>>;`);
    }
  }
  return `// TypeScript consumer (SDK v${c.sdkMajor}), written by scripts/consumer-test.mjs. Type-checked, not run.
import * as core from '@mcp-resource-guard/core';
import * as otel from '@mcp-resource-guard/otel-exporter';
import * as mw from '@mcp-resource-guard/sdk-middleware';
import { McpServer } from '${serverFrom}';

// Fails to compile (naming the member) if any export, or any member, parameter or return type of one, is any.
type IsAny<T> = 0 extends 1 & T ? true : false;
type AnyIn<A extends readonly unknown[]> = true extends { [I in keyof A]: IsAny<A[I]> }[number] ? true : false;
type FnHasAny<F> = F extends (...args: infer A) => infer R ? (IsAny<R> extends true ? true : AnyIn<A>) : false;
type CtorHasAny<F> = F extends abstract new (...args: infer A) => infer R
  ? IsAny<R> extends true ? true : AnyIn<A> extends true ? true : [AnyMembers<R>] extends [never] ? false : true
  : false;
type MemberHasAny<V> = IsAny<V> extends true ? true : FnHasAny<V> extends true ? true : CtorHasAny<V>;
type AnyMembers<T> = IsAny<T> extends true
  ? '(the type itself)'
  : T extends object
    ? { [K in keyof T]-?: MemberHasAny<T[K]> extends true ? K : never }[keyof T]
    : never;
type NoAny<T extends never> = T;

${lines.join('\n')}

// Probes: each @ts-expect-error must meet an error, which it would not if the type were any.
export function probes(server: McpServer): void {
  const guard: mw.ResourceMiddleware = mw.resourceMiddleware({ limits: { perCall: { maxExecutionTimeMs: 1000 } } });
  const inFlight: number = guard.snapshot().inFlight;
  // @ts-expect-error inFlight is a number
  const inFlightAsString: string = guard.snapshot().inFlight;
  // @ts-expect-error limits are numbers
  mw.resourceMiddleware({ limits: { perCall: { maxMemoryMb: 'a lot' } } });
  // @ts-expect-error no such option
  mw.resourceMiddleware({ noSuchOption: true });
  guard.on('call', (record) => {
    const outcome: core.CallOutcome = record.outcome;
    // @ts-expect-error toolName is a string
    const toolName: number = record.toolName;
  });
  guard.on('limit', (event) => {
    // @ts-expect-error the payload is a LimitEvent
    const nope: number = event.tool;
  });
  // @ts-expect-error no such event
  guard.on('no-such-event', () => {});

  const host = mw.withMiddleware(server);
  const stillTheServer: McpServer = host;
  host.use(guard).use(async (ctx, next) => {
    const name: string = ctx.toolName;
    const major: 1 | 2 = ctx.sdkMajor;
    // @ts-expect-error toolName is a string
    const wrong: number = ctx.toolName;
    const result: mw.ToolCallResult = await next();
    // @ts-expect-error isError is a boolean
    const isError: string = result.isError;
    return result;
  });
  // @ts-expect-error use() takes middlewares
  host.use('not a middleware');
  // @ts-expect-error the server keeps its own type
  host.noSuchMethod();
  // @ts-expect-error withMiddleware needs an object
  mw.withMiddleware(42);
  // @ts-expect-error a middleware returns a promise of a result
  const bad: mw.ToolCallMiddleware = () => 42;
  mw.applyMiddleware(server, guard);

  const context: mw.CallContext = mw.getCallContext();
  const callId: string = context.callId;
  // @ts-expect-error usage() returns ResourceUsage
  const usage: string = context.usage();
  // @ts-expect-error the error code is one of ErrorCode
  const code: 'NOT_A_CODE' = new mw.ResourceGuardError({ code: mw.ErrorCode.InvalidConfig, message: 'm', hint: 'h' }).code;

  const metrics: otel.GuardMetrics = otel.instrumentGuard(guard);
  const stopped: boolean = metrics.stopped;
  otel.instrumentGuard(guard.guard);
  // @ts-expect-error instrumentGuard needs on() and snapshot()
  otel.instrumentGuard({});
  // @ts-expect-error stop() takes no argument
  metrics.stop(1);

  const coreGuard: core.ResourceGuard = core.createResourceGuard({ limits: { perCall: { maxFileHandles: 4 } } });
  void coreGuard.admit({ toolName: 't' }).then((call) => {
    // @ts-expect-error an outcome is one of CALL_OUTCOMES
    call.end('finished');
  });
  // @ts-expect-error maxFileHandles is a number
  core.createResourceGuard({ limits: { perCall: { maxFileHandles: '4' } } });
}
`;
}

function tsconfig(kind, include, sdkMajor, skipLibCheck) {
  const common = {
    strict: true,
    noEmit: true,
    skipLibCheck,
    target: 'es2022',
    // SDK v1's declarations use DOM's HeadersInit, so its users need the DOM lib (or skipLibCheck).
    lib: sdkMajor === 1 ? ['es2023', 'dom'] : ['es2023'],
    types: ['node'],
    allowSyntheticDefaultImports: true,
  };
  const options = {
    // node16 resolution. The ESM files compile under module node16; the CommonJS file needs module node20
    // (TypeScript >= 5.9), the first mode in which TypeScript lets CommonJS require an ES module.
    'node16-esm': { module: 'node16', moduleResolution: 'node16' },
    'node16-cjs': { module: 'node20', moduleResolution: 'node16' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  }[kind];
  return `${JSON.stringify({ compilerOptions: { ...common, ...options }, files: include }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------------------
// Main

async function main() {
  const started = performance.now();
  console.log(`consumer test on Node ${process.version}${extraNodes.length ? ` (+ ${extraNodes.join(', ')})` : ''}`);

  for (const pkg of PACKAGES) {
    if (!existsSync(join(ROOT, 'packages', pkg.dir, 'dist', 'index.js')))
      fail(`packages/${pkg.dir}/dist is missing: run \`npx --yes pnpm@10.34.8 build\` first`);
  }

  const temp = realpathSync(tmpdir());
  if (!relative(ROOT, temp).startsWith('..')) fail(`the temp dir ${temp} is inside the repository`);
  for (let d = temp; ; d = dirname(d)) {
    if (
      existsSync(join(d, 'node_modules', '@mcp-resource-guard')) ||
      existsSync(join(d, 'node_modules', '@modelcontextprotocol'))
    )
      fail(`${d}/node_modules would leak into the consumers' resolution`);
    if (dirname(d) === d) break;
  }
  const base = mkdtempSync(join(temp, 'mcp-resource-guard-consumer-'));
  const cleanup = () => {
    if (keep) {
      console.log(`kept ${base}`);
    } else if (process.platform === 'win32') {
      rmSync(base, { recursive: true, force: true });
    } else {
      // In the background: deleting ~10,000 files can take half a minute on a disk mounted with discard.
      spawn('rm', ['-rf', base], { detached: true, stdio: 'ignore' }).unref();
    }
  };

  try {
    // 1. Pack.
    const packed = await Promise.all(
      PACKAGES.map(async (pkg) => {
        const dest = join(base, 'tarballs', pkg.dir);
        mkdirSync(dest, { recursive: true });
        const r = await run('npx', [...PNPM, 'pack', '--pack-destination', dest], {
          cwd: join(ROOT, 'packages', pkg.dir),
        });
        const tgz = readdirSync(dest).filter((f) => f.endsWith('.tgz'));
        const ok = r.code === 0 && tgz.length === 1;
        record(pkg.name, 'pnpm pack', ok, ok ? tgz[0] : quiet(r.out), r.ms);
        return ok ? join(dest, tgz[0]) : undefined;
      }),
    );
    if (packed.some((t) => !t)) return false;

    // 2. Static checks on the tarballs.
    for (const [i, pkg] of PACKAGES.entries()) checkTarball(pkg, packed[i]);

    // 3. Install the consumers and the tools, in parallel.
    const toolsDir = join(base, 'tools');
    mkdirSync(toolsDir);
    writeFileSync(join(toolsDir, 'package.json'), '{ "name": "consumer-test-tools", "private": true }\n');
    const npmInstall = (cwd, specs) =>
      run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--save-exact', '--prefer-offline', '--loglevel=warn', ...specs],
        {
          cwd,
        },
      );
    for (const c of CONSUMERS) {
      c.dir = join(base, `consumer-${c.id}`);
      mkdirSync(c.dir);
      writeFileSync(
        join(c.dir, 'package.json'),
        `${JSON.stringify({ name: `consumer-${c.id}`, private: true, type: 'module' }, null, 2)}\n`,
      );
    }
    const installs = await Promise.all([
      ...CONSUMERS.map((c) => npmInstall(c.dir, [...packed, ...c.deps, TYPES_NODE])),
      npmInstall(toolsDir, [
        `publint@${TOOLS.publint}`,
        `@arethetypeswrong/cli@${TOOLS.attw}`,
        ...TOOLS.typescript.map(({ version }) => `typescript-${version}@npm:typescript@${version}`),
      ]),
    ]);
    CONSUMERS.forEach((c, i) => {
      const r = installs[i];
      // Peer conflicts and engine mismatches are ours to fix; other warnings (deprecations deep in the SDK's
      // tree) are shown but pass.
      const output = quiet(r.out);
      const ours = output.split('\n').filter((l) => /ERESOLVE|EBADENGINE|peer/i.test(l));
      record(
        `consumer ${c.id}`,
        `npm install tarballs + ${c.deps.join(' ')}, no peer or engine warning`,
        r.code === 0 && ours.length === 0,
        r.code === 0 && ours.length === 0
          ? output
              .split('\n')
              .filter((l) => /warn/i.test(l))
              .join('; ') || 'no warnings'
          : output,
        r.ms,
      );
      c.installed = r.code === 0;
    });
    const toolsInstalled = installs[CONSUMERS.length].code === 0;
    record(
      'tools',
      `npm install publint ${TOOLS.publint}, attw ${TOOLS.attw}, typescript ${TOOLS.typescript.map((t) => t.version).join(', ')}`,
      toolsInstalled,
      toolsInstalled ? '' : quiet(installs[CONSUMERS.length].out),
      installs[CONSUMERS.length].ms,
    );

    // 4. Write the consumers.
    const names = {};
    for (const c of CONSUMERS.filter((c) => c.installed)) {
      for (const pkg of PACKAGES) names[pkg.name] ??= publicNames(join(c.dir, 'node_modules', pkg.name));
      writeFileSync(join(c.dir, 'scenario.cjs'), SCENARIO);
      writeFileSync(join(c.dir, 'esm.mjs'), esmConsumer(c));
      writeFileSync(join(c.dir, 'cjs.cjs'), cjsConsumer(c));
      const probes = typeProbes(c, names);
      writeFileSync(join(c.dir, 'types-esm.mts'), probes);
      writeFileSync(join(c.dir, 'types-cjs.cts'), probes);
      writeFileSync(join(c.dir, 'types-bundler.ts'), probes);
      for (const { version, skipLibCheck } of TOOLS.typescript) {
        for (const [kind, file] of TS_MODES) {
          writeFileSync(
            join(c.dir, `tsconfig.${version}.${kind}.json`),
            tsconfig(kind, [file], c.sdkMajor, skipLibCheck),
          );
        }
      }
    }

    // 5. Run everything that is left, in parallel.
    const tasks = [];
    const nodes = [process.execPath, ...extraNodes];
    const nodeVersion = {};
    for (const bin of nodes) {
      const r = await run(bin, ['--version']);
      nodeVersion[bin] = r.out.trim();
    }
    for (const c of CONSUMERS.filter((c) => c.installed)) {
      for (const bin of nodes) {
        for (const [kind, file] of [
          ['ESM', 'esm.mjs'],
          ['CommonJS', 'cjs.cjs'],
        ]) {
          tasks.push(async () => {
            const r = await run(bin, [file], { cwd: c.dir, timeoutMs: CONSUMER_TIMEOUT_MS });
            const ok = r.code === 0 && r.out.includes('CONSUMER OK');
            const why = r.timedOut ? `did not exit within ${CONSUMER_TIMEOUT_MS / 1000} s (a handle left open?)\n` : '';
            const summary = r.out
              .split('\n')
              .filter((l) => l.startsWith('echo') || l.startsWith('metrics') || /warning/i.test(l))
              .join('; ');
            record(
              `consumer ${c.id}`,
              `${kind} server + client on Node ${nodeVersion[bin]}`,
              ok,
              ok ? summary : why + r.out,
              r.ms,
            );
          });
        }
      }
      if (toolsInstalled) {
        for (const { version, skipLibCheck } of TOOLS.typescript) {
          const tsc = join(toolsDir, 'node_modules', `typescript-${version}`, 'bin', 'tsc');
          for (const [kind, , label] of TS_MODES) {
            tasks.push(async () => {
              const r = await run(process.execPath, [tsc, '-p', `tsconfig.${version}.${kind}.json`], { cwd: c.dir });
              const name = `TypeScript ${version} (skipLibCheck ${skipLibCheck}), ${label}`;
              record(`consumer ${c.id}`, name, r.code === 0, r.code === 0 ? 'no errors' : r.out, r.ms);
            });
          }
        }
      }
    }
    // The README's client configuration: npx fetches the guard (here: the tarballs) and runs its command, which
    // starts an unmodified server (the v1 consumer's SDK) with the guard attached; a stdio client sees its limit.
    const v1 = CONSUMERS.find((c) => c.id === 'v1' && c.installed);
    if (v1 !== undefined) {
      writeFileSync(join(v1.dir, 'plain-server.mjs'), PLAIN_SERVER);
      writeFileSync(join(v1.dir, 'attach-client.mjs'), attachClient(packed[0], packed[1]));
      tasks.push(async () => {
        const r = await run(process.execPath, ['attach-client.mjs'], { cwd: v1.dir, timeoutMs: 120_000 });
        const ok = r.code === 0 && r.out.includes('ATTACH OK');
        record(
          'consumer v1',
          'npx --package <tarballs> mcp-resource-guard run -- node plain-server.mjs: guarded from outside',
          ok,
          ok ? r.out.split('\n').find((l) => l.startsWith('ATTACH OK')) : r.out,
          r.ms,
        );
      });
    }
    if (toolsInstalled) {
      const bin = (pkg, file) => join(toolsDir, 'node_modules', pkg, file);
      const publintBin = bin('publint', JSON.parse(readFileSync(bin('publint', 'package.json'), 'utf8')).bin.publint);
      const attwPkg = JSON.parse(readFileSync(bin('@arethetypeswrong/cli', 'package.json'), 'utf8'));
      const attwBin = bin('@arethetypeswrong/cli', typeof attwPkg.bin === 'string' ? attwPkg.bin : attwPkg.bin.attw);
      PACKAGES.forEach((pkg, i) => {
        tasks.push(async () => {
          const r = await run(process.execPath, [publintBin, 'run', packed[i], '--strict'], { cwd: base });
          const ok = r.code === 0 && /All good!/.test(r.out);
          record(pkg.name, `publint ${TOOLS.publint} --strict`, ok, ok ? 'all good' : quiet(r.out), r.ms);
        });
        tasks.push(async () => {
          const r = await run(process.execPath, [attwBin, packed[i], '--format', 'json'], { cwd: base });
          let report;
          try {
            report = JSON.parse(r.stdout);
          } catch {
            record(pkg.name, `attw ${TOOLS.attw}`, false, quiet(r.out), r.ms);
            return;
          }
          const problems = Object.values(report.problems ?? {}).flat();
          const accepted = problems.filter((p) => ATTW_ACCEPTED[p.kind] === p.resolutionKind);
          const rest = problems.filter((p) => !accepted.includes(p));
          const where = (list) => list.map((p) => `${p.kind} at ${p.entrypoint} (${p.resolutionKind})`).join(', ');
          const modes = Object.values(report.analysis?.entrypoints ?? {}).flatMap((e) =>
            Object.keys(e.resolutions ?? {}),
          );
          record(
            pkg.name,
            `attw ${TOOLS.attw}, every resolution mode (ESM only: require(esm) accepted)`,
            rest.length === 0 && modes.length > 0,
            rest.length
              ? `${where(rest)}\n${JSON.stringify(rest, null, 2)}`
              : `no problems in ${[...new Set(modes)].join(', ')}; accepted: ${where(accepted) || 'none'}`,
            r.ms,
          );
        });
      });
    }
    await pool(tasks, Math.max(2, availableParallelism()));
    return true;
  } finally {
    const failed = results.filter((r) => !r.ok);
    console.log(
      `\nconsumer test: ${results.length - failed.length} passed, ${failed.length} failed, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
    for (const f of failed) console.log(`  FAILED  ${f.group}: ${f.name}`);
    if (failed.length > 0 && !keep) console.log('(--keep leaves the consumer projects in place for a look)');
    cleanup();
  }
}

const completed = await main().catch((error) => {
  console.error(error);
  return false;
});
process.exitCode = completed && results.length > 0 && results.every((r) => r.ok) ? 0 : 1;
