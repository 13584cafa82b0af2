/** Recognises an MCP SDK server instance (v1 or v2, McpServer or low-level Server) and reaches its tools/call handler. */

import { createRequire } from 'node:module';
import { ErrorCode, ResourceGuardError } from '@mcp-resource-guard/core';
import type { RegisteredToolInfo } from './tool-call-middleware.js';

/** A request handler as stored in the SDK's handler map. */
export type SdkRequestHandler = (request: unknown, extra: unknown) => unknown;

/** The parts of the SDK's low-level `Server` (its `Protocol`) this package relies on. */
export interface LowLevelServer {
  _requestHandlers: Map<string, SdkRequestHandler>;
  setRequestHandler: (...args: unknown[]) => unknown;
}

/** The parts of a registered `McpServer` tool this package reads. */
interface RegisteredToolLike {
  title?: unknown;
  description?: unknown;
  annotations?: unknown;
  _meta?: unknown;
  enabled?: unknown;
}

/** An SDK server instance, recognised. */
export interface SdkServer {
  /** 1 for `@modelcontextprotocol/sdk` 1.x, 2 for `@modelcontextprotocol/server` 2.x. */
  readonly major: 1 | 2;
  /** The low-level server that owns the request handlers. */
  readonly lowLevel: LowLevelServer;
  /** The registered tools, when the instance is (or belongs to) an `McpServer` we were given. */
  readonly registeredTools: Record<string, RegisteredToolLike> | undefined;
  /** The `McpServer` we were given, if it was one. */
  readonly mcpServer?: object | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function isLowLevelServer(value: unknown): value is LowLevelServer {
  // What every release's Protocol has (0.5 to 2.x): its handler map, the way in, and connect().
  return (
    isObject(value) &&
    value._requestHandlers instanceof Map &&
    typeof value.setRequestHandler === 'function' &&
    typeof value.connect === 'function'
  );
}

/**
 * The SDK major version of a low-level server, by the structure the interception uses: v2 builds a context per
 * request (`buildContext`, `_wrapHandler`); every other server whose request handlers live in a `Map` behind
 * `setRequestHandler` (v1 from its first releases, and 0.x before it) passes `(request, extra)` with
 * `extra.signal`, which is all the interception reads of it.
 */
function detectMajor(server: LowLevelServer): 1 | 2 {
  const s = server as unknown as Record<string, unknown>;
  return typeof s._wrapHandler === 'function' && typeof s.buildContext === 'function' ? 2 : 1;
}

const SDK_PACKAGES = [
  ['@modelcontextprotocol/sdk', '@modelcontextprotocol/sdk/server/index.js'],
  ['@modelcontextprotocol/server', '@modelcontextprotocol/server'],
] as const;

/** The SDK packages `require` (made for some file) resolves, with their versions. */
function sdkVersionsSeenFrom(from: string): string[] {
  const found: string[] = [];
  let require: NodeJS.Require;
  try {
    require = createRequire(from);
  } catch {
    return found;
  }
  for (const [name, entry] of SDK_PACKAGES) {
    try {
      let dir = require.resolve(entry);
      for (let i = 0; i < 8; i++) {
        dir = dir.slice(0, dir.lastIndexOf('/'));
        try {
          const pkg = require(`${dir}/package.json`) as { name?: string; version?: string };
          if (pkg.name === name) {
            found.push(`${name} ${pkg.version ?? '(unknown version)'}`);
            break;
          }
        } catch {
          // not this directory
        }
      }
    } catch {
      // not installed where this file can see it
    }
  }
  return found;
}

/**
 * The SDK versions in play, for error messages: the server's own (resolved from the program it runs,
 * `process.argv[1]`, and from the working directory), then the copies this package resolves. Best effort, never
 * throws.
 *
 * @returns e.g. `the server's: @modelcontextprotocol/sdk 1.17.5; this package's: @modelcontextprotocol/sdk 1.32.2`
 */
export function installedSdkVersions(): string {
  const program = process.argv[1];
  const server = [
    ...new Set([
      ...(program === undefined ? [] : sdkVersionsSeenFrom(program)),
      ...sdkVersionsSeenFrom(`${process.cwd()}/`),
    ]),
  ];
  const own = sdkVersionsSeenFrom(import.meta.url);
  const list = (names: string[]): string => (names.length > 0 ? names.join(', ') : 'none found');
  return `the server's: ${list(server)}; this package's: ${list(own)}`;
}

function unsupported(server: unknown, what: string): ResourceGuardError {
  return new ResourceGuardError({
    code: ErrorCode.UnsupportedSdk,
    message: `Cannot install tool-call middleware: ${what}`,
    hint: `Supported: McpServer or Server from @modelcontextprotocol/sdk 1.x (and 0.x) or @modelcontextprotocol/server 2.x. Installed: ${installedSdkVersions()}.`,
    path: 'server',
    value: server,
  });
}

/**
 * Recognises an SDK server instance.
 *
 * @param server - an `McpServer` or a low-level `Server`, SDK v1 or v2
 * @returns what was recognised
 * @throws {@link ResourceGuardError} `UNSUPPORTED_SDK` naming the SDK versions installed
 */
export function resolveSdkServer(server: unknown): SdkServer {
  if (!isObject(server)) throw unsupported(server, 'expected an McpServer or Server instance');
  let lowLevel: LowLevelServer;
  let registeredTools: Record<string, RegisteredToolLike> | undefined;
  if (isLowLevelServer(server.server)) {
    lowLevel = server.server;
    if (!isObject(server._registeredTools)) {
      throw unsupported(server, 'the McpServer has no tool registry where one was expected');
    }
    registeredTools = server._registeredTools as Record<string, RegisteredToolLike>;
  } else if (isLowLevelServer(server)) {
    lowLevel = server;
  } else {
    throw unsupported(server, 'the instance has no request handler map where the SDK keeps one');
  }
  const major = detectMajor(lowLevel);
  return { major, lowLevel, registeredTools, mcpServer: registeredTools === undefined ? undefined : server };
}

/**
 * What the server knows about a registered tool.
 *
 * @param sdk - the recognised server
 * @param name - the tool name
 * @returns its registration, or undefined when the server does not know it
 */
export function registeredToolInfo(sdk: SdkServer, name: string): RegisteredToolInfo | undefined {
  const tools = sdk.registeredTools;
  if (tools === undefined || !Object.hasOwn(tools, name)) return undefined;
  const tool = tools[name];
  if (!isObject(tool)) return undefined;
  return {
    name,
    title: typeof tool.title === 'string' ? tool.title : undefined,
    description: typeof tool.description === 'string' ? tool.description : undefined,
    annotations: isObject(tool.annotations) ? tool.annotations : undefined,
    meta: isObject(tool._meta) ? tool._meta : undefined,
    enabled: tool.enabled !== false,
  };
}
