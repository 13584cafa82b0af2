/**
 * Typed values a middleware sets for one call (`ctx.set(key, value)`) and later middlewares (`ctx.get(key)`) and
 * the tool handler (`contextValue(extra, key)`) read: the key carries the value's type, as Hono's `c.set` /
 * `c.get` do through the app's variables, without a global registry of names.
 */

/**
 * A key for one kind of value passed along a call, typed by what it holds. Two keys made with the same
 * name are distinct: the key object, not its name, identifies the value.
 *
 * @example
 * ```ts
 * import { type ContextKey, contextKey } from '@mcp-resource-guard/sdk-middleware';
 * interface Tenant {
 *   readonly id: string;
 *   readonly plan: 'free' | 'pro';
 * }
 * export const TENANT: ContextKey<Tenant> = contextKey<Tenant>('tenant');
 * ```
 */
export interface ContextKey<T> {
  /** A name for messages and debugging. */
  readonly name: string;
  /** Never set: it carries the value's type. */
  readonly valueType?: T;
}

/**
 * Makes a key for values of type `T`.
 *
 * @param name - a name for messages and debugging
 * @returns the key
 * @example
 * ```ts
 * import { contextKey, type ToolCallMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const STARTED_AT = contextKey<number>('started at');
 * const stamp: ToolCallMiddleware = (ctx, next) => {
 *   ctx.set(STARTED_AT, Date.now());
 *   return next();
 * };
 * ```
 */
export function contextKey<T>(name: string): ContextKey<T> {
  return Object.freeze({ name });
}

/** The values set for each call, by the extra object the SDK hands the call's handler. */
const valuesByExtra = new WeakMap<object, Map<ContextKey<unknown>, unknown>>();

/**
 * The values of one call, kept by the extra object its handler will receive.
 *
 * @param extra - the SDK's extra (v1) or context (v2) object of the call
 * @returns the call's values, created empty the first time
 */
export function callValues(extra: object): Map<ContextKey<unknown>, unknown> {
  let values = valuesByExtra.get(extra);
  if (values === undefined) {
    values = new Map();
    valuesByExtra.set(extra, values);
  }
  return values;
}

/**
 * Reads, in a tool handler, a value a middleware set for this call with `ctx.set(key, value)`.
 *
 * @param extra - the handler's second argument (SDK v1's `extra`, v2's `ctx`)
 * @param key - the value's key
 * @returns the value, or undefined when no middleware set it for this call
 * @example
 * ```ts
 * import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
 * import { contextKey, contextValue, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
 * const USER = contextKey<{ name: string }>('user');
 * const server = withMiddleware(new McpServer({ name: 'x', version: '1.0.0' }));
 * server.use(async (ctx, next) => {
 *   ctx.set(USER, { name: String(ctx.authInfo ?? 'anonymous') });
 *   return next();
 * });
 * server.registerTool('whoami', {}, async (extra) => ({
 *   content: [{ type: 'text', text: contextValue(extra, USER)?.name ?? 'nobody' }],
 * }));
 * ```
 */
export function contextValue<T>(extra: object, key: ContextKey<T>): T | undefined {
  return valuesByExtra.get(extra)?.get(key as ContextKey<unknown>) as T | undefined;
}

/**
 * Makes the values set for one extra readable through another (the copy handed to the tool's handler).
 *
 * @param extra - the SDK's extra, where the middlewares set values
 * @param copy - the object the handler gets instead
 */
export function shareCallValues(extra: object, copy: object): void {
  const values = valuesByExtra.get(extra);
  if (values !== undefined) valuesByExtra.set(copy, values);
}
