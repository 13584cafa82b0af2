/**
 * The guard's configuration from the environment, for servers guarded without a change to their code
 * (`--import @mcp-resource-guard/sdk-middleware/register`, the `mcp-resource-guard run` command).
 */

import { readFileSync } from 'node:fs';
import { ErrorCode, ResourceGuardError, type ResourceGuardOptions } from '@mcp-resource-guard/core';
import { resolveGuardOptions } from '@mcp-resource-guard/core/internal';

/**
 * The options of `resourceMiddleware()` as JSON: a path to a JSON file, or the JSON itself (a value starting
 * with `{`).
 *
 * @example
 * ```ts
 * import { CONFIG_ENV } from '@mcp-resource-guard/sdk-middleware';
 * process.env[CONFIG_ENV] = JSON.stringify({ limits: { perCall: { maxExecutionTimeMs: 30_000 } } });
 * ```
 */
export const CONFIG_ENV = 'MCP_RESOURCE_GUARD_CONFIG';

/**
 * `1` (or `true`) turns the attach off: the server runs as if the preload were not there.
 *
 * @example
 * ```ts
 * import { DISABLED_ENV } from '@mcp-resource-guard/sdk-middleware';
 * const guarded = process.env[DISABLED_ENV] !== '1';
 * ```
 */
export const DISABLED_ENV = 'MCP_RESOURCE_GUARD_DISABLED';

/**
 * Where a snapshot asked for with `SIGUSR2` goes: a file path (rewritten at each signal); stderr when unset.
 *
 * @example
 * ```ts
 * import { SNAPSHOT_FILE_ENV } from '@mcp-resource-guard/sdk-middleware';
 * process.env[SNAPSHOT_FILE_ENV] = '/tmp/guard-snapshot.json';
 * ```
 */
export const SNAPSHOT_FILE_ENV = 'MCP_RESOURCE_GUARD_SNAPSHOT_FILE';

/**
 * The configuration read from the environment.
 *
 * @example
 * ```ts
 * import { configFromEnv, type EnvConfig } from '@mcp-resource-guard/sdk-middleware';
 * const config: EnvConfig = configFromEnv({ MCP_RESOURCE_GUARD_CONFIG: '{"limits":{"perCall":{"maxMemoryMb":256}}}' });
 * config.options; // { limits: { perCall: { maxMemoryMb: 256 } } }
 * ```
 */
export interface EnvConfig {
  /** True when {@link DISABLED_ENV} turns the attach off. */
  readonly disabled: boolean;
  /** The options, validated; empty when none were given. */
  readonly options: ResourceGuardOptions;
  /** Where they came from: `none`, `inline`, or the file's path. */
  readonly source: string;
}

function invalid(value: unknown, message: string, hint: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.InvalidConfig,
    message,
    hint,
    path: `environment ${CONFIG_ENV}`,
    value,
  });
}

function parse(text: string, value: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalid(
      value,
      `The guard's configuration ${where} is not JSON (${(error as Error).message})`,
      'Give the options of resourceMiddleware() as one JSON object.',
    );
  }
}

/**
 * Reads and validates the guard's configuration from the environment, with the same typed errors as
 * `resourceMiddleware()`.
 *
 * @param env - the environment (default `process.env`)
 * @returns the configuration
 * @throws {@link ResourceGuardError} `INVALID_CONFIG`: a file that cannot be read, text that is not a JSON
 *   object, or an invalid option (naming its path)
 * @example
 * ```ts
 * import { configFromEnv, resourceMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const { disabled, options } = configFromEnv();
 * const guard = disabled ? undefined : resourceMiddleware(options);
 * ```
 */
export function configFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): EnvConfig {
  const off = env[DISABLED_ENV]?.trim().toLowerCase();
  const disabled = off === '1' || off === 'true' || off === 'yes';
  const raw = env[CONFIG_ENV]?.trim() ?? '';
  if (raw === '') return { disabled, options: {}, source: 'none' };
  let value: unknown;
  let source: string;
  if (raw.startsWith('{')) {
    value = parse(raw, raw, 'given inline');
    source = 'inline';
  } else {
    let text: string;
    try {
      text = readFileSync(raw, 'utf8');
    } catch (error) {
      throw invalid(
        raw,
        `The guard's configuration file ${raw} cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
        `Set ${CONFIG_ENV} to a readable JSON file, or to the JSON itself.`,
      );
    }
    value = parse(text, raw, `in ${raw}`);
    source = raw;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid(raw, "The guard's configuration is not a JSON object", 'Give the options of resourceMiddleware().');
  }
  // Validated as resourceMiddleware() will (the same typed errors), before anything is created.
  resolveGuardOptions(value);
  return { disabled, options: value as ResourceGuardOptions, source };
}
