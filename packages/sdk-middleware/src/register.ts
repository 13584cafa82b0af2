/**
 * `node --import @mcp-resource-guard/sdk-middleware/register server.js`: guards the MCP servers of a process
 * without a change to their code, configured from the environment (`MCP_RESOURCE_GUARD_CONFIG`,
 * `MCP_RESOURCE_GUARD_DISABLED`, `MCP_RESOURCE_GUARD_LOG_LEVEL`).
 *
 * On the main thread only (preloads run in worker threads too). It validates the configuration (a bad one
 * stops the process with a message on stderr, before the server starts), installs the probes before any other
 * module loads, and watches for the SDK's server classes; it creates nothing until a server connects (through
 * `NODE_OPTIONS` it also runs in `npx` and in every child Node process). It never writes to stdout.
 *
 * @packageDocumentation
 */

import { writeSync } from 'node:fs';
import { isMainThread } from 'node:worker_threads';
import { ResourceGuardError } from '@mcp-resource-guard/core';
import { acquireProbes, resolveGuardOptions } from '@mcp-resource-guard/core/internal';
import { AutoAttach, attachLogger } from './auto-attach.js';
import { configFromEnv, type EnvConfig } from './env-config.js';
import { metricsFromEnv } from './env-metrics.js';
import { watchLauncher } from './launcher-watch.js';
import { watchSdkModules } from './sdk-modules.js';
import { snapshotOnSignal } from './snapshot-signal.js';
import { watchForUnguardedServer } from './unguarded-watch.js';

/** The exit status of a process stopped by a bad configuration (EX_CONFIG). */
const EXIT_CONFIG = 78;

function readConfig(): EnvConfig {
  try {
    return configFromEnv();
  } catch (error) {
    const message = ResourceGuardError.is(error)
      ? `${error.code} ${error.message}`
      : `${error instanceof Error ? error.message : String(error)}`;
    writeSync(2, `mcp-resource-guard: the server was not started: ${message}\n`);
    process.exit(EXIT_CONFIG);
  }
}

if (isMainThread) {
  const config = readConfig();
  if (!config.disabled) {
    // Before any other module loads, so that what a dependency captures at import time is the probed function.
    acquireProbes({ ...resolveGuardOptions(config.options).probes, cpu: false });
    const attach = new AutoAttach(config.options, (guard) => {
      snapshotOnSignal(guard);
      watchLauncher();
      metricsFromEnv(guard, attachLogger(config.options)).catch((error: unknown) =>
        guard.guard.reportInternalError('metrics-from-env', error),
      );
    });
    watchSdkModules((exports, from) => attach.patchModule(exports, from));
    watchForUnguardedServer(
      () => attach.stats,
      (message) => {
        const log = attachLogger(config.options);
        if (log !== undefined) log.warn({ event: 'server_unguarded' }, message);
        else writeSync(2, `mcp-resource-guard: ${message}\n`);
      },
    );
  }
}
