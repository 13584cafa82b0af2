/**
 * Sees each MCP SDK module that defines `Server` or `McpServer` as the process loads it, from any copy of the
 * SDK and in both module formats: ES modules through a loader hook (`sdk-module-hook.ts`), CommonJS through
 * `require-in-the-middle`.
 */

import * as nodeModule from 'node:module';
import requireHook from 'require-in-the-middle';
import { SDK_MODULE_CALLBACK, withHandOver } from './sdk-module-hook.js';

/**
 * The SDK's CommonJS modules to hand over, as `require-in-the-middle` names them: by the path in their package
 * (v1 has no main entry it could resolve, so its files are named one by one), or the package (v2's main entry).
 */
const SDK_CJS_MODULES = [
  '@modelcontextprotocol/sdk/dist/cjs/server/index',
  '@modelcontextprotocol/sdk/dist/cjs/server/mcp',
  '@modelcontextprotocol/sdk/server/index.js',
  '@modelcontextprotocol/sdk/server/mcp.js',
  '@modelcontextprotocol/server',
];

/**
 * Calls `onModule` with the exports of every SDK server module loaded from now on.
 *
 * @param onModule - receives the module's namespace or exports, and its name or URL
 */
export function watchSdkModules(onModule: (exports: unknown, from: string) => void): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(SDK_MODULE_CALLBACK)] = onModule;
  // In-thread where Node has module.registerHooks (22.15, 24): no loader thread, no extra handle. Else the
  // loader thread of module.register.
  const registerHooks = (nodeModule as { registerHooks?: (hooks: object) => unknown }).registerHooks;
  if (typeof registerHooks === 'function') {
    registerHooks({
      load: (url: string, context: object, nextLoad: (u: string, c: object) => Parameters<typeof withHandOver>[1]) =>
        withHandOver(url, nextLoad(url, context)),
    });
  } else {
    nodeModule.register(new URL('./sdk-module-hook.js', import.meta.url));
  }
  new requireHook.Hook(SDK_CJS_MODULES, <T>(exports: T, name: string): T => {
    onModule(exports, name);
    return exports;
  });
}
