/** Settings keyed by tool name or by a `*` pattern, as `tools` (limits) and `leaks.tools` take them. */

/**
 * Values by exact tool name or by pattern (`*` matches any run of characters). An exact name wins over
 * patterns; among patterns the first declared wins. Internal (not exported).
 *
 * @example
 * ```ts
 * const policies = new ToolPatterns({ 'toggle-*': 'report', 'toggle-debug': 'close' });
 * policies.get('toggle-logging'); // 'report'
 * policies.get('toggle-debug'); // 'close'
 * policies.get('echo'); // undefined
 * ```
 */
export class ToolPatterns<T> {
  readonly #exact = new Map<string, T>();
  readonly #patterns: { readonly pattern: RegExp; readonly value: T }[] = [];

  /**
   * @param entries - values by tool name or pattern, already validated
   */
  constructor(entries: Readonly<Record<string, T>> = {}) {
    for (const [name, value] of Object.entries(entries)) {
      if (name.includes('*')) this.#patterns.push({ pattern: patternToRegExp(name), value });
      else this.#exact.set(name, value);
    }
  }

  /**
   * The value for a tool: its exact name's, else the first matching pattern's.
   *
   * @param toolName - the tool
   * @returns the value, or `undefined` when nothing matches
   */
  get(toolName: string): T | undefined {
    const exact = this.#exact.get(toolName);
    if (exact !== undefined) return exact;
    for (const { pattern, value } of this.#patterns) if (pattern.test(toolName)) return value;
    return undefined;
  }
}

function patternToRegExp(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}
