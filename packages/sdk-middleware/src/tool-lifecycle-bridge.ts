/**
 * Maps the SDK's tool lifecycle onto the guard's: registration, enable, disable and removal on any
 * server the middleware is installed on become the guard's registration, activation, deactivation and
 * unregistration; the guard's emergency deactivation disables the tool in the SDK (clients are told
 * with `notifications/tools/list_changed`) and its half-open re-enables it.
 */

import type { ResourceGuard, ResourceLimits } from '@mcp-resource-guard/core';
import { validateLimits } from '@mcp-resource-guard/core/internal';
import type { MiddlewareServer, RegisteredToolInfo } from './tool-call-middleware.js';

/** The `_meta` key under which a tool may declare its own (narrower) limits. */
export const TOOL_LIMITS_META_KEY = 'mcp-resource-guard/limits';

/** Follows every server a guard's middleware is installed on. */
export class ToolLifecycleBridge {
  readonly #guard: ResourceGuard;
  readonly #servers = new Set<WeakRef<MiddlewareServer>>();

  constructor(guard: ResourceGuard) {
    this.#guard = guard;
    guard.on('state', (e) => {
      if (e.to === 'deactivated' && e.reason === 'emergency') this.#setEnabledEverywhere(e.tool, false);
      else if (e.from === 'deactivated' && e.reason === 'half_open') this.#setEnabledEverywhere(e.tool, true);
    });
  }

  /**
   * Starts following a server: registers its tools and subscribes to its changes and close.
   *
   * @param server - the server the middleware was installed on
   */
  attach(server: MiddlewareServer): void {
    this.#servers.add(new WeakRef(server));
    for (const tool of server.tools()) this.#register(tool);
    server.onToolChange((change) => {
      const guard = this.#guard;
      switch (change.type) {
        case 'registered':
          if (change.tool !== undefined) this.#register(change.tool);
          break;
        case 'enabled':
          guard.enableTool(change.name);
          break;
        case 'disabled':
          if (!this.#anyServer((s) => s.tools().some((t) => t.name === change.name && t.enabled))) {
            guard.disableTool(change.name);
          }
          break;
        case 'removed':
          if (!this.#anyServer((s) => s.hasToolRegistry && s.isRegistered(change.name)))
            guard.unregisterTool(change.name);
          break;
      }
    });
    server.onClose((sessionId) => {
      if (sessionId !== undefined) this.#guard.endSession(sessionId);
    });
  }

  #register(tool: RegisteredToolInfo): void {
    const guard = this.#guard;
    let limits: ResourceLimits | undefined;
    const declared = tool.meta?.[TOOL_LIMITS_META_KEY];
    if (declared !== undefined) {
      try {
        limits = validateLimits(declared, `tools.${tool.name}._meta["${TOOL_LIMITS_META_KEY}"]`);
      } catch (error) {
        // A tool's bad declaration must not break its registration: reported, ignored.
        guard.reportInternalError('middleware:declared-limits', error);
      }
    }
    guard.registerTool(tool.name, limits === undefined ? {} : { limits });
    if (!tool.enabled) guard.disableTool(tool.name);
  }

  #anyServer(test: (server: MiddlewareServer) => boolean): boolean {
    for (const ref of this.#servers) {
      const server = ref.deref();
      if (server === undefined) this.#servers.delete(ref);
      else if (test(server)) return true;
    }
    return false;
  }

  #setEnabledEverywhere(name: string, enabled: boolean): void {
    this.#anyServer((server) => {
      try {
        server.setToolEnabled(name, enabled);
      } catch (error) {
        this.#guard.reportInternalError('middleware:set-enabled', error);
      }
      return false;
    });
  }
}
