/** A small typed event hub whose listeners can never throw into the code that emits. */

/**
 * A typed publish/subscribe hub. Emitting with no listener costs one map lookup; a listener that
 * throws is isolated and reported to `onListenerError`, never to the emitter.
 *
 * @typeParam Events - a map from event name to payload type
 * @example
 * ```ts
 * import { EventHub } from '@mcp-resource-guard/core/internal';
 * const hub = new EventHub<{ tick: number }>((e) => console.error(e));
 * const off = hub.on('tick', (n) => console.error(n));
 * hub.emit('tick', 1);
 * off();
 * ```
 */
export class EventHub<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<(payload: never) => void>>();
  readonly #onListenerError: (error: unknown, event: keyof Events) => void;

  /**
   * @param onListenerError - called with whatever a listener throws
   */
  constructor(onListenerError: (error: unknown, event: keyof Events) => void) {
    this.#onListenerError = onListenerError;
  }

  /**
   * Subscribes to one event.
   *
   * @param event - the event name
   * @param listener - called synchronously with each payload
   * @returns a function that unsubscribes
   * @example
   * ```ts
   * import { EventHub } from '@mcp-resource-guard/core/internal';
   * const hub = new EventHub<{ tick: number }>((error) => console.error(error));
   * const off = hub.on('tick', (n) => console.error('tick', n));
   * hub.emit('tick', 1); // logs 'tick 1'
   * off();
   * ```
   */
  on<K extends keyof Events>(event: K, listener: (payload: Events[K]) => void): () => void {
    let set = this.#listeners.get(event);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(event, set);
    }
    const stored = listener as (payload: never) => void;
    set.add(stored);
    return () => {
      set.delete(stored);
    };
  }

  /**
   * Whether anything listens to `event`; lets callers skip building a payload nobody reads.
   *
   * @param event - the event name
   * @returns true when at least one listener is subscribed
   * @example
   * ```ts
   * import { EventHub } from '@mcp-resource-guard/core/internal';
   * const hub = new EventHub<{ memory: NodeJS.MemoryUsage }>((error) => console.error(error));
   * // Build the payload only when someone listens.
   * if (hub.has('memory')) hub.emit('memory', process.memoryUsage());
   * ```
   */
  has(event: keyof Events): boolean {
    const set = this.#listeners.get(event);
    return set !== undefined && set.size > 0;
  }

  /**
   * Delivers `payload` to every listener of `event`, isolating each from the others and from the caller.
   *
   * @param event - the event name
   * @param payload - the value passed to listeners
   * @example
   * ```ts
   * import { EventHub } from '@mcp-resource-guard/core/internal';
   * const hub = new EventHub<{ tick: number }>((error, event) => console.error(`${String(event)} listener:`, error));
   * hub.on('tick', () => {
   *   throw new Error('broken listener');
   * });
   * hub.emit('tick', 2); // does not throw: the error goes to the callback above
   * ```
   */
  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.#listeners.get(event);
    if (set === undefined || set.size === 0) return;
    for (const listener of set) {
      try {
        (listener as (payload: Events[K]) => void)(payload);
      } catch (error) {
        try {
          this.#onListenerError(error, event);
        } catch {
          // The error reporter itself failed: nothing safe is left to do.
        }
      }
    }
  }

  /**
   * Drops every listener.
   *
   * @example
   * ```ts
   * import { EventHub } from '@mcp-resource-guard/core/internal';
   * const hub = new EventHub<{ tick: number }>((error) => console.error(error));
   * hub.on('tick', (n) => console.error(n));
   * hub.clear();
   * hub.has('tick'); // false
   * ```
   */
  clear(): void {
    this.#listeners.clear();
  }
}
