/**
 * `@mcp-resource-guard/core`, loaded on demand. The bench package depends on the middleware only (adding
 * core to its package.json would change the workspace lockfile), so core is resolved from the
 * middleware's own dependency: the very module instance the middleware uses. Loaded lazily, so that a
 * bare child never loads the guard.
 */

import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type * as CoreModule from '../../packages/core/dist/index.js';
import type * as CoreInternals from '../../packages/core/dist/internal.js';

export type {
  CallContext,
  CallRecord,
  CleanupReport,
  GuardSnapshot,
  LeakEvent,
  LimitEvent,
  ResourceGuard,
  ResourceGuardOptions,
  ToolCall,
} from '../../packages/core/dist/index.js';

/** The core module's exports, public and internal (`@mcp-resource-guard/core/internal`). */
export type Core = typeof CoreModule & typeof CoreInternals;

let loaded: Promise<Core> | undefined;

/**
 * The core module (the same instance `@mcp-resource-guard/sdk-middleware` uses).
 *
 * @returns its exports
 */
export function loadCore(): Promise<Core> {
  loaded ??= (async () => {
    const require = createRequire(import.meta.url);
    const middleware = require.resolve('@mcp-resource-guard/sdk-middleware');
    const resolve = createRequire(middleware).resolve;
    const [publicApi, internals] = await Promise.all([
      import(pathToFileURL(resolve('@mcp-resource-guard/core')).href),
      import(pathToFileURL(resolve('@mcp-resource-guard/core/internal')).href),
    ]);
    return { ...publicApi, ...internals } as Core;
  })();
  return loaded;
}
