/** A server as middlewares see it: its tool registry (observed), tool enabling, and transport close. */

import { type LowLevelServer, registeredToolInfo, type SdkServer } from './sdk-server.js';
import type { MiddlewareServer, RegisteredToolInfo, ToolChange } from './tool-call-middleware.js';

const OBSERVED = Symbol.for('@mcp-resource-guard/observed-tool');
const LIST_CHANGED = 'notifications/tools/list_changed';

interface MutableTool {
  enabled?: unknown;
  enable?: () => void;
  disable?: () => void;
  [OBSERVED]?: true;
}

type Registry = Record<string, MutableTool>;

function safeEach<T>(listeners: Iterable<(value: T) => void>, value: T): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch {
      // A listener's failure is its own; the server goes on.
    }
  }
}

/** A server's task runtime: its task store, and how to send the server's notifications. */
export interface TaskRuntime {
  readonly store: object;
  notify(notification: { method: string; params?: unknown }): Promise<void>;
}

/**
 * The task runtime of a server as middlewares see it, if it has one.
 *
 * @param server - the server
 * @returns its task store and notification sender, or undefined
 */
export function taskRuntimeOf(server: MiddlewareServer): TaskRuntime | undefined {
  return server instanceof ServerBinding ? server.taskRuntime : undefined;
}

/**
 * Binds middlewares to one low-level server. For an `McpServer`, it observes the tool registry (a
 * Proxy over the registry object, and an accessor for each tool's `enabled`), so that registrations,
 * removals, enables and disables made before or after installation are all seen.
 */
export class ServerBinding implements MiddlewareServer {
  readonly sdkMajor: 1 | 2;
  #registry: Registry | undefined;
  readonly #lowLevel: LowLevelServer;
  readonly #toolListeners = new Set<(change: ToolChange) => void>();
  readonly #closeListeners = new Set<(sessionId: string | undefined) => void>();
  #toggling = false;

  constructor(sdk: SdkServer, mcpServer: object | undefined) {
    this.sdkMajor = sdk.major;
    this.#lowLevel = sdk.lowLevel;
    if (sdk.registeredTools !== undefined && mcpServer !== undefined) this.attachRegistry(sdk, mcpServer);
    this.#observeClose();
  }

  get hasToolRegistry(): boolean {
    return this.#registry !== undefined;
  }

  /**
   * The server's task runtime (SDK v1's experimental tasks: a `taskStore` given to the server), if it has one:
   * its store, and how to send the server's notifications.
   */
  get taskRuntime(): TaskRuntime | undefined {
    const lowLevel = this.#lowLevel as unknown as {
      _taskStore?: unknown;
      notification?: (notification: unknown) => Promise<void>;
    };
    const store = lowLevel._taskStore;
    if (typeof store !== 'object' || store === null || typeof lowLevel.notification !== 'function') return undefined;
    return {
      store,
      notify: (notification) => (lowLevel.notification as (n: unknown) => Promise<void>).call(lowLevel, notification),
    };
  }

  /**
   * Starts observing an `McpServer`'s registry (when the low-level server was bound first).
   *
   * @param sdk - the recognised server, with its registry
   * @param mcpServer - the `McpServer` that owns the registry field
   */
  attachRegistry(sdk: SdkServer, mcpServer: object): void {
    if (this.#registry !== undefined || sdk.registeredTools === undefined) return;
    const target = sdk.registeredTools as Registry;
    this.#registry = target;
    for (const [name, tool] of Object.entries(target)) this.#observeTool(name, tool);
    const emit = (change: ToolChange): void => safeEach(this.#toolListeners, change);
    const binding = this;
    const proxy: Registry = new Proxy(target, {
      set(t, key, value): boolean {
        const existed = Object.hasOwn(t, key);
        const ok: boolean = Reflect.set(t, key, value);
        if (ok && typeof key === 'string' && !existed && typeof value === 'object' && value !== null) {
          binding.#observeTool(key, value as MutableTool);
          emit({ type: 'registered', name: key, tool: registeredToolInfo(sdk, key) });
        }
        return ok;
      },
      deleteProperty(t, key): boolean {
        const existed = Object.hasOwn(t, key);
        const ok = Reflect.deleteProperty(t, key);
        if (ok && existed && typeof key === 'string') emit({ type: 'removed', name: key, tool: undefined });
        return ok;
      },
    });
    (mcpServer as { _registeredTools: Registry })._registeredTools = proxy;
  }

  tools(): RegisteredToolInfo[] {
    const registry = this.#registry;
    if (registry === undefined) return [];
    const out: RegisteredToolInfo[] = [];
    for (const name of Object.keys(registry)) {
      const info = registeredToolInfo(
        { major: this.sdkMajor, lowLevel: this.#lowLevel, registeredTools: registry },
        name,
      );
      if (info !== undefined) out.push(info);
    }
    return out;
  }

  isRegistered(name: string): boolean {
    return this.#registry === undefined || Object.hasOwn(this.#registry, name);
  }

  setToolEnabled(name: string, enabled: boolean): boolean {
    const registry = this.#registry;
    if (registry === undefined || !Object.hasOwn(registry, name)) return false;
    const tool = registry[name] as MutableTool;
    const method = enabled ? tool.enable : tool.disable;
    if (typeof method !== 'function') return false;
    this.#debounceListChanged();
    this.#toggling = true;
    try {
      method.call(tool);
    } finally {
      this.#toggling = false;
    }
    return true;
  }

  onToolChange(listener: (change: ToolChange) => void): () => void {
    this.#toolListeners.add(listener);
    return () => this.#toolListeners.delete(listener);
  }

  onClose(listener: (sessionId: string | undefined) => void): () => void {
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Coalesces the list_changed notifications of tools toggled in the same tick (an SDK protocol option). */
  #debounceListChanged(): void {
    const server = this.#lowLevel as unknown as { _options?: { debouncedNotificationMethods?: string[] } };
    const methods = server._options?.debouncedNotificationMethods ?? [];
    if (methods.includes(LIST_CHANGED)) return;
    server._options = { ...server._options, debouncedNotificationMethods: [...methods, LIST_CHANGED] };
  }

  #observeTool(name: string, tool: MutableTool): void {
    if (tool[OBSERVED] === true) return;
    Object.defineProperty(tool, OBSERVED, { value: true });
    let enabled = tool.enabled;
    Object.defineProperty(tool, 'enabled', {
      configurable: true,
      enumerable: true,
      get: () => enabled,
      set: (value: unknown) => {
        const changed = Boolean(value) !== Boolean(enabled);
        enabled = value;
        if (changed && !this.#toggling) {
          safeEach(this.#toolListeners, {
            type: value ? 'enabled' : 'disabled',
            name,
            tool: undefined,
          } satisfies ToolChange);
        }
      },
    });
  }

  #observeClose(): void {
    const lowLevel = this.#lowLevel as unknown as { _onclose?: () => void; transport?: { sessionId?: unknown } };
    const original = lowLevel._onclose;
    if (typeof original !== 'function') return;
    const listeners = this.#closeListeners;
    lowLevel._onclose = function onCloseObserved(this: typeof lowLevel): void {
      const sessionId = this.transport?.sessionId;
      try {
        original.call(this);
      } finally {
        safeEach(listeners, typeof sessionId === 'string' ? sessionId : undefined);
      }
    };
  }
}
