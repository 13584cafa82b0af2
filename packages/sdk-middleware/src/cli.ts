#!/usr/bin/env node
/**
 * `mcp-resource-guard`: guards an MCP server without a change to its code, from a client's server
 * configuration:
 *
 *     npx -y @mcp-resource-guard/sdk-middleware run [--config guard.json] -- npx -y <server> <args>
 *
 * @packageDocumentation
 */

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ResourceGuardError } from '@mcp-resource-guard/core';
import { resolveGuardOptions } from '@mcp-resource-guard/core/internal';
import { CONFIG_ENV, configFromEnv } from './env-config.js';
import { launchGuarded } from './guarded-launch.js';

const USAGE = `Usage: mcp-resource-guard run [options] -- <command> [args...]

Runs an MCP server command (over stdio) with the resource guard attached to every MCP server in it, without a
change to its code. stdin, stdout and stderr are the server's; the exit status is the server's.

Options:
  --config <file>     the guard's options as JSON (the options of resourceMiddleware()); default: the
                      ${CONFIG_ENV} environment variable (a file path or inline JSON), else none
  --grace-ms <ms>     how long the server has to exit after its stdin ends, or after SIGTERM (default 2000)
  --print-config      print the effective configuration as JSON and exit, without running the command
  -h, --help          this text

Environment (also read by node --import @mcp-resource-guard/sdk-middleware/register):
  ${CONFIG_ENV}, MCP_RESOURCE_GUARD_DISABLED=1, MCP_RESOURCE_GUARD_LOG_LEVEL (trace..fatal, silent),
  MCP_RESOURCE_GUARD_SNAPSHOT_FILE (where kill -USR2 <pid> writes a snapshot; stderr by default)

Example (Claude Desktop, claude_desktop_config.json):
  "filesystem": {
    "command": "npx",
    "args": ["-y", "@mcp-resource-guard/sdk-middleware", "run", "--",
             "npx", "-y", "@modelcontextprotocol/server-filesystem", "/Users/me/Desktop"]
  }
`;

/** EX_USAGE and EX_CONFIG, as sysexits.h has them. */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;

function fail(status: number, message: string): never {
  process.stderr.write(`mcp-resource-guard: ${message}\n`);
  process.exit(status);
}

/** The resolved options as JSON: every default filled in, what cannot be JSON named. */
function effectiveConfig(options: object, source: string): unknown {
  const { clock, scheduler, auditSink, memoryAudit, sources, logger, tools, leaks, ...rest } =
    resolveGuardOptions(options);
  const given = options as { tools?: unknown; leaks?: unknown };
  return {
    source,
    ...rest,
    tools: given.tools ?? {},
    leaks: typeof given.leaks === 'object' ? given.leaks : leaks.default,
    logger: logger === undefined ? false : 'pino JSON lines on stderr',
    audit: memoryAudit === undefined ? 'custom sink' : 'in memory',
  };
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE);
    return command === undefined ? EXIT_USAGE : 0;
  }
  if (command !== 'run') fail(EXIT_USAGE, `unknown command ${JSON.stringify(command)}; see --help`);
  const split = rest.indexOf('--');
  const own = split === -1 ? rest : rest.slice(0, split);
  const server = split === -1 ? [] : rest.slice(split + 1);
  let values: {
    config?: string | undefined;
    'grace-ms'?: string | undefined;
    'print-config'?: boolean;
    help?: boolean;
  };
  try {
    ({ values } = parseArgs({
      args: own,
      options: {
        config: { type: 'string' },
        'grace-ms': { type: 'string' },
        'print-config': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
  } catch (error) {
    fail(EXIT_USAGE, `${(error as Error).message}; see --help`);
  }
  if (values.help === true) {
    process.stdout.write(USAGE);
    return 0;
  }
  const env = { ...process.env };
  if (values.config !== undefined) env[CONFIG_ENV] = resolve(values.config);
  let config: ReturnType<typeof configFromEnv>;
  try {
    config = configFromEnv(env);
  } catch (error) {
    fail(EXIT_CONFIG, ResourceGuardError.is(error) ? `${error.code} ${error.message}` : String(error));
  }
  if (values['print-config'] === true) {
    process.stdout.write(`${JSON.stringify(effectiveConfig(config.options, config.source), null, 2)}\n`);
    return 0;
  }
  const graceMs = values['grace-ms'] === undefined ? 2000 : Number(values['grace-ms']);
  if (!Number.isSafeInteger(graceMs) || graceMs < 0)
    fail(EXIT_USAGE, `--grace-ms must be a whole number of milliseconds`);
  const [file, ...args] = server;
  if (file === undefined) fail(EXIT_USAGE, 'no command to run: put it after --; see --help');
  return launchGuarded({ command: file, args, env, graceMs, preload: new URL('./register.js', import.meta.url) });
}

main(process.argv.slice(2)).then(
  (status) => {
    process.exitCode = status;
  },
  (error: unknown) => fail(70, error instanceof Error ? (error.stack ?? error.message) : String(error)),
);
