// Servers nobody here wrote, installed from npm (pinned releases, cached between runs), guarded without a change
// to their code: through `mcp-resource-guard run` and through `node --import .../register`, driven over stdio by
// the real SDK client. Every tool's result is the same as the unguarded server's (timestamps, ids and the
// servers' own directories masked), a limit holds on a real tool, stdout carries nothing but the protocol, and
// the server and its children are gone once the client closes.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { descendantsOf, isRunning, openFdList, until } from '@mcp-resource-guard/test-support';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod';
import { binOf, type Installed, installOnce, THIRD_PARTY } from './support/third-party-servers.js';

const MIDDLEWARE = fileURLToPath(import.meta.resolve('@mcp-resource-guard/sdk-middleware/package.json')).replace(
  /package\.json$/,
  '',
);
const CLI = join(MIDDLEWARE, 'dist/cli.js');
const REGISTER = pathToFileURL(join(MIDDLEWARE, 'dist/register.js')).href;
const CALL_TIMEOUT_MS = 15_000;
const work = mkdtempSync(join(tmpdir(), 'third-party-'));
const template = join(work, 'template');
mkdirSync(join(template, 'sub'), { recursive: true });
writeFileSync(join(template, 'a.txt'), 'alpha\nbeta\n');
writeFileSync(join(template, 'sub', 'b.md'), '# b\n');

let current: Installed;
let old: Installed;
let inspector: Installed;
beforeAll(async () => {
  current = await installOnce(THIRD_PARTY.current);
  old = await installOnce(THIRD_PARTY.old);
  inspector = await installOnce(THIRD_PARTY.inspector);
}, 600_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Mode = 'bare' | 'cli' | 'import';
interface ServerSpec {
  readonly pkg: string;
  readonly args: (dir: string) => string[];
  readonly env?: (dir: string) => Record<string, string>;
}

const SERVERS: Record<string, ServerSpec> = {
  filesystem: { pkg: '@modelcontextprotocol/server-filesystem', args: (dir) => [dir] },
  memory: {
    pkg: '@modelcontextprotocol/server-memory',
    args: () => [],
    env: (dir) => ({ MEMORY_FILE_PATH: join(dir, 'memory.jsonl') }),
  },
  everything: { pkg: '@modelcontextprotocol/server-everything', args: () => ['stdio'] },
};

/** Tools whose path is a directory, and tools that change what they are given. */
const DIRECTORY_TOOL = /director|tree|search|list/i;
const MUTATING_TOOL = /move|write|edit|create|delete|remove/i;

/** Arguments a tool gets, from its input schema: its defaults, else a value of each required property's type. */
function sample(
  tool: string,
  schema: Record<string, unknown> | undefined,
  name: string,
  dir: string,
  root: Record<string, unknown> | undefined = schema,
): unknown {
  if (schema === undefined) return undefined;
  // Schemas of SDK 1.0's time put their properties behind a `$ref` into `definitions`.
  const ref = typeof schema.$ref === 'string' ? /^#\/definitions\/(.+)$/.exec(schema.$ref)?.[1] : undefined;
  if (ref !== undefined) {
    const definitions = (root?.definitions ?? {}) as Record<string, Record<string, unknown>>;
    return sample(tool, definitions[ref], name, dir, root);
  }
  if (schema.default !== undefined) return schema.default;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'string':
      if (/dest|new/i.test(name)) return join(dir, 'moved.txt');
      if (/path|file|dir|source|root/i.test(name)) return DIRECTORY_TOOL.test(tool) ? dir : join(dir, 'a.txt');
      return /pattern/i.test(name) ? '*.txt' : 'test';
    case 'number':
    case 'integer':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : 1;
    case 'boolean':
      return false;
    case 'array': {
      const item = sample(tool, schema.items as Record<string, unknown> | undefined, name, dir, root);
      return item === undefined ? [] : [item];
    }
    default: {
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const required = new Set((schema.required ?? []) as string[]);
      const out: Record<string, unknown> = {};
      for (const [key, prop] of Object.entries(props))
        if (required.has(key)) out[key] = sample(tool, prop, key, dir, root);
      return out;
    }
  }
}

const LenientTools = z.object({
  tools: z.array(
    z.object({ name: z.string(), inputSchema: z.record(z.string(), z.unknown()).optional() }).passthrough(),
  ),
});

/** A tool's own JSON text, without what the guard adds to the environment (`get-env`). */
function withoutGuardEnv(result: unknown): unknown {
  const content = (result as { content?: { type: string; text?: string }[] }).content;
  for (const part of content ?? []) {
    if (part.type !== 'text' || part.text === undefined || !part.text.startsWith('{')) continue;
    try {
      const parsed = JSON.parse(part.text) as Record<string, unknown>;
      for (const key of Object.keys(parsed))
        if (/^(NODE_OPTIONS|MCP_RESOURCE_GUARD_\w+)$/.test(key)) delete parsed[key];
      part.text = JSON.stringify(parsed);
    } catch {
      // Not JSON: compared as it is.
    }
  }
  return result;
}

/** Per-tool arguments where the schema's own would take long: a long-running operation of one second. */
const OVERRIDES: Record<string, Record<string, unknown>> = {
  'trigger-long-running-operation': { duration: 1, steps: 2 },
};

/**
 * Arguments for server-filesystem's tools where its schemas say nothing: 0.6.2 builds them with
 * zod-to-json-schema 3, which gives an empty schema for the zod 4 that npm installs beside it today.
 */
function filesystemArgs(tool: string, dir: string): Record<string, unknown> | undefined {
  const file = join(dir, 'a.txt');
  const known: Record<string, Record<string, unknown>> = {
    read_file: { path: file },
    read_multiple_files: { paths: [file] },
    write_file: { path: join(dir, 'written.txt'), content: 'gamma\n' },
    create_directory: { path: join(dir, 'made') },
    list_directory: { path: dir },
    move_file: { source: file, destination: join(dir, 'moved.txt') },
    search_files: { path: dir, pattern: 'a' },
    get_file_info: { path: file },
  };
  return known[tool];
}

function mask(value: unknown, dir: string): string {
  return (
    JSON.stringify(value)
      .replaceAll(dir, '<dir>')
      // Servers of SDK 1.0's time lower-case the directories they are given.
      .replaceAll(dir.toLowerCase(), '<dir>')
      .replaceAll(work, '<work>')
      .replace(/\b\d{1,2}:\d{2}:\d{2}(?:\s?[AP]M)?/g, '<clock>')
      .replace(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?/g, '<time>')
      .replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>')
      .replace(/\b1[67]\d{11}\b/g, '<epoch>')
      .replace(/(modified|accessed|created|mtime|atime|ctime|birthtime)(\\?":\s*\\?"?|:\s*)[^,}\\]*/gi, '$1$2<time>')
  );
}

/** The tools really ran: most calls succeeded. */
function mostlyAnswered(outcomes: Record<string, string>): boolean {
  const ok = Object.values(outcomes).filter((o) => !o.includes('"isError":true') && !o.startsWith('{"error"'));
  return ok.length * 2 > Object.keys(outcomes).length;
}

async function start(mode: Mode, bin: string, args: string[], env: Record<string, string>, config?: object) {
  const base = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env };
  const guarded = config === undefined ? {} : { MCP_RESOURCE_GUARD_CONFIG: JSON.stringify(config) };
  const spec =
    mode === 'bare'
      ? { command: process.execPath, args: [bin, ...args], env: base }
      : mode === 'cli'
        ? {
            command: process.execPath,
            args: [CLI, 'run', '--', process.execPath, bin, ...args],
            env: { ...base, ...guarded },
          }
        : {
            command: process.execPath,
            args: [bin, ...args],
            env: { ...base, ...guarded, NODE_OPTIONS: `--import=${REGISTER}` },
          };
  const transport = new StdioClientTransport({ ...spec, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const client = new Client({ name: 'third-party-test', version: '1.0.0' });
  const errors: unknown[] = [];
  client.onerror = (error) => errors.push(error);
  await client.connect(transport);
  return { client, transport, errors, stderr: () => stderr };
}

async function runAll(mode: Mode, installed: { dir: string }, server: ServerSpec) {
  const dir = join(work, `${server.pkg.split('/')[1]}-${mode}-${Math.random().toString(36).slice(2, 8)}`);
  cpSync(template, dir, { recursive: true });
  const config = mode === 'bare' ? undefined : { watchdog: false };
  const s = await start(mode, binOf(installed.dir, server.pkg), server.args(dir), server.env?.(dir) ?? {}, config);
  // A lenient listing: servers of SDK 1.0's time omit `type: "object"` from their input schemas.
  const { tools } = await s.client.request({ method: 'tools/list' }, LenientTools);
  const outcomes: Record<string, string> = {};
  // Tools that change the files run after those that read them, in the same order both ways.
  const order = (name: string) => (MUTATING_TOOL.test(name) ? 1 : 0);
  for (const tool of [...tools].sort((a, b) => order(a.name) - order(b.name) || a.name.localeCompare(b.name))) {
    const derived = sample(tool.name, tool.inputSchema as Record<string, unknown>, tool.name, dir) as object;
    const empty = Object.keys(derived ?? {}).length === 0;
    const args = OVERRIDES[tool.name] ?? (empty ? filesystemArgs(tool.name, dir) : undefined) ?? derived;
    try {
      outcomes[tool.name] = mask(
        withoutGuardEnv(
          await s.client.callTool({ name: tool.name, arguments: args as Record<string, unknown> }, undefined, {
            timeout: CALL_TIMEOUT_MS,
          }),
        ),
        dir,
      );
    } catch (error) {
      outcomes[tool.name] = mask({ error: (error as Error).message }, dir);
    }
  }
  const launcher = s.transport.pid as number;
  const tree = [launcher, ...descendantsOf(launcher)];
  await s.client.close();
  await until(() => tree.every((pid) => !isRunning(pid)), { what: `${mode} ${server.pkg} and its children to exit` });
  return { tools: tools.map((t) => t.name).sort(), outcomes, errors: s.errors, stderr: s.stderr() };
}

describe.each(['cli', 'import'] as const)('third-party servers from npm, guarded through %s', (mode) => {
  it.each(Object.keys(SERVERS))(
    '%s: every tool answers as the unguarded server does',
    async (name) => {
      if ('skip' in current) return void console.warn(`skipped: ${current.skip}`);
      const server = SERVERS[name] as ServerSpec;
      const fdsBefore = (openFdList() ?? []).length;
      const bare = await runAll('bare', current, server);
      const guarded = await runAll(mode, current, server);
      expect(guarded.tools).toEqual(bare.tools);
      expect(guarded.tools.length).toBeGreaterThan(0);
      expect(guarded.outcomes).toEqual(bare.outcomes);
      expect(mostlyAnswered(bare.outcomes)).toBe(true);
      expect(guarded.errors).toEqual([]); // nothing but JSON-RPC on stdout
      expect(guarded.stderr).toContain('"event":"server_guarded"');
      await until(() => (openFdList() ?? []).length <= fdsBefore, {
        what: 'the test process’s descriptors back to baseline',
      });
    },
    120_000,
  );
});

describe('third-party servers from npm: limits and old releases', () => {
  it('holds server-everything’s long-running operation to maxExecutionTimeMs', async () => {
    if ('skip' in current) return void console.warn(`skipped: ${current.skip}`);
    const s = await start(
      'cli',
      binOf(current.dir, '@modelcontextprotocol/server-everything'),
      ['stdio'],
      {},
      {
        watchdog: false,
        tools: { 'trigger-long-running-operation': { perCall: { maxExecutionTimeMs: 500 } } },
      },
    );
    const result = (await s.client.callTool({
      name: 'trigger-long-running-operation',
      arguments: { duration: 5, steps: 5 },
    })) as { isError?: boolean; _meta?: Record<string, unknown> };
    expect(result.isError).toBe(true);
    expect(result._meta?.['mcp-resource-guard/error']).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 500 });
    await s.client.close();
  }, 60_000);

  it('is driven by the MCP Inspector’s CLI through the launcher, which sees the guard’s stop', async () => {
    if ('skip' in current || 'skip' in inspector)
      return void console.warn('skipped: the npm registry cannot be reached');
    const config = join(work, 'inspector-guard.json');
    writeFileSync(
      config,
      JSON.stringify({ tools: { 'trigger-long-running-operation': { perCall: { maxExecutionTimeMs: 500 } } } }),
    );
    const everything = binOf(current.dir, '@modelcontextprotocol/server-everything');
    const run = spawnSync(
      process.execPath,
      [
        binOf(inspector.dir, '@modelcontextprotocol/inspector'),
        '--cli',
        '--method',
        'tools/call',
        '--tool-name',
        'trigger-long-running-operation',
        '--tool-arg',
        'duration=5',
        '--tool-arg',
        'steps=5',
        '--',
        process.execPath,
        CLI,
        'run',
        '--config',
        config,
        '--',
        process.execPath,
        everything,
        'stdio',
      ],
      {
        env: {
          PATH: process.env.PATH ?? '',
          HOME: process.env.HOME ?? '',
          MCP_CATALOG_PATH: join(work, 'catalog.json'),
        },
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    const output = run.stdout + run.stderr;
    expect(output).toContain('"code": "LIMIT_EXCEEDED"');
    expect(output).toContain('stopped at its time limit of 500 ms');
  }, 90_000);

  it('guards server-filesystem 0.6.2 (SDK 1.0.1) with every tool answering as unguarded', async () => {
    if ('skip' in old) return void console.warn(`skipped: ${old.skip}`);
    const server = SERVERS.filesystem as ServerSpec;
    const bare = await runAll('bare', old, server);
    const guarded = await runAll('cli', old, server);
    expect(guarded.outcomes).toEqual(bare.outcomes);
    expect(mostlyAnswered(bare.outcomes)).toBe(true);
    expect(guarded.stderr).toContain('"event":"server_guarded"');
  }, 120_000);
});
