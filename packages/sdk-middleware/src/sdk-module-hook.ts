/**
 * The module loader hook of the attach (`module.register`; it runs on Node's loader thread): each module of
 * an MCP SDK copy that defines `Server` or `McpServer` (v1's `server/index.js` and `server/mcp.js` of either
 * build, v2's `@modelcontextprotocol/server` entry) gets one statement appended that hands its namespace to the
 * attach on the main thread. Every other module is loaded as it is. The SDK's CommonJS builds are seen through
 * `require` instead (`sdk-modules.ts`).
 */

/** The SDK modules to hand over, by file URL (any copy: the server's own, nested ones, pnpm's store). */
export const SDK_SERVER_MODULE: RegExp =
  /\/node_modules\/@modelcontextprotocol\/(?:sdk\/dist\/(?:esm\/)?server\/(?:index|mcp)\.js|server\/dist\/index\.mjs)(?:\?.*)?$/;

/** The global the appended statement calls; set by the attach before the hook is registered. */
export const SDK_MODULE_CALLBACK = '@mcp-resource-guard/sdk-module';

interface LoadResult {
  format?: string | null | undefined;
  source?: string | ArrayBuffer | ArrayBufferView | null | undefined;
  shortCircuit?: boolean | undefined;
}

type NextLoad = (url: string, context: object) => Promise<LoadResult>;

/**
 * Node's `load` hook, for `module.register` (on the loader thread).
 *
 * @param url - the module's URL
 * @param context - Node's load context
 * @param nextLoad - the next hook
 * @returns the module, with the hand-over appended for an SDK server module
 */
export async function load(url: string, context: object, nextLoad: NextLoad): Promise<LoadResult> {
  return withHandOver(url, await nextLoad(url, context));
}

/**
 * Appends the hand-over to an SDK server module; any other module is returned as it is. Used by the loader
 * thread's hook above, and in-thread by `module.registerHooks` where Node has it.
 *
 * @param url - the module's URL
 * @param result - what the next hook loaded
 * @returns the module to evaluate
 */
export function withHandOver(url: string, result: LoadResult): LoadResult {
  if (!SDK_SERVER_MODULE.test(url) || result.format !== 'module' || result.source == null) return result;
  const raw = result.source;
  const source =
    typeof raw === 'string'
      ? raw
      : new TextDecoder().decode(
          raw instanceof ArrayBuffer ? new Uint8Array(raw) : new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength),
        );
  const self = JSON.stringify(url);
  // A module may import itself: the namespace is complete when the statement runs, at the end of its body.
  const handOver = `\nimport * as __mcpResourceGuardSelf from ${self};\nglobalThis[Symbol.for(${JSON.stringify(SDK_MODULE_CALLBACK)})]?.(__mcpResourceGuardSelf, ${self});\n`;
  return { ...result, source: source + handOver };
}
