// Third-party MCP servers installed from npm at test time, into a cache kept between runs
// (~/.cache/mcp-resource-guard/third-party, or MCP_RESOURCE_GUARD_CACHE), pinned to exact releases.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The servers, by release. `old` pins SDK 1.0.1, as servers that were never updated still do. */
export const THIRD_PARTY = {
  current: [
    '@modelcontextprotocol/server-filesystem@2026.8.31',
    '@modelcontextprotocol/server-memory@2026.8.31',
    '@modelcontextprotocol/server-everything@2026.8.31',
  ],
  old: ['@modelcontextprotocol/server-filesystem@0.6.2'],
  inspector: ['@modelcontextprotocol/inspector@2.12.0'],
} as const;

/** Where the packages of one set live, or why they could not be installed. */
export type Installed = { readonly dir: string } | { readonly skip: string };

const NETWORK_ERRORS = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network/i;

/**
 * Installs a set of packages once (`npm install --prefix`), reusing an earlier install of the same set.
 *
 * @param specs - exact `name@version` specs
 * @returns the prefix directory, or a reason to skip when the registry cannot be reached
 */
export async function installOnce(specs: readonly string[]): Promise<Installed> {
  const root = process.env.MCP_RESOURCE_GUARD_CACHE ?? join(homedir(), '.cache', 'mcp-resource-guard', 'third-party');
  const key = createHash('sha256').update(specs.join('\n')).digest('hex').slice(0, 16);
  const dir = join(root, key);
  const done = join(dir, '.installed');
  if (existsSync(done) && readFileSync(done, 'utf8') === specs.join('\n')) return { dir };
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{"private":true}\n');
  try {
    await run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--ignore-scripts', ...specs], {
      timeout: 300_000,
      env: { ...process.env, npm_config_loglevel: 'error' },
    });
  } catch (error) {
    const message = `${(error as Error).message} ${(error as { stderr?: string }).stderr ?? ''}`;
    if (NETWORK_ERRORS.test(message)) return { skip: `the npm registry cannot be reached: ${message.slice(0, 200)}` };
    throw error;
  }
  writeFileSync(done, specs.join('\n'));
  return { dir };
}

/**
 * The JavaScript file of a package's bin.
 *
 * @param dir - the install prefix
 * @param name - the package name
 * @returns the file's path
 */
export function binOf(dir: string, name: string): string {
  const pkgDir = join(dir, 'node_modules', name);
  const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
    bin: string | Record<string, string>;
  };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : (Object.values(manifest.bin)[0] as string);
  return join(pkgDir, bin);
}
