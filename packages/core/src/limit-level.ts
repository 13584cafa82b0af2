/** The graduated levels of the specification (warn 75 %, throttle 90 %, cleanup 100 %, emergency 150 %). */

/**
 * A level of response to usage approaching or passing a limit, from mildest to strongest.
 *
 * @example
 * ```ts
 * import { createResourceGuard, LimitLevel } from '@mcp-resource-guard/core';
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 256 } } });
 * guard.on('limit', (e) => {
 *   if (e.level === LimitLevel.Emergency) console.error(`EMERGENCY ${e.tool}: ${e.resource} ${e.usage}/${e.limit}`);
 * });
 * ```
 */
export const LimitLevel = {
  Warn: 'warn',
  Throttle: 'throttle',
  Cleanup: 'cleanup',
  Emergency: 'emergency',
} as const;

/** The union of {@link LimitLevel} values. */
export type LimitLevel = (typeof LimitLevel)[keyof typeof LimitLevel];

/**
 * The levels in ascending order of severity.
 *
 * @example
 * ```ts
 * import { LIMIT_LEVELS } from '@mcp-resource-guard/core';
 * LIMIT_LEVELS.indexOf('cleanup'); // 2
 * ```
 */
export const LIMIT_LEVELS: readonly LimitLevel[] = Object.freeze(['warn', 'throttle', 'cleanup', 'emergency']);

/**
 * Where each level starts, as a fraction of the limit (usage / limit).
 *
 * @example
 * ```ts
 * import { createResourceGuard, type LevelThresholds } from '@mcp-resource-guard/core';
 * // Act earlier than the specification's 75 / 90 / 100 / 150 %.
 * const thresholds: LevelThresholds = { warn: 0.5, throttle: 0.7, cleanup: 0.9, emergency: 1.2 };
 * const guard = createResourceGuard({ limits: { perCall: { maxMemoryMb: 512 } }, levels: { thresholds } });
 * ```
 */
export type LevelThresholds = Readonly<Record<LimitLevel, number>>;

/**
 * The specification's thresholds: warn at 75 %, throttle at 90 %, cleanup at 100 %, emergency at 150 %.
 *
 * @example
 * ```ts
 * import { DEFAULT_THRESHOLDS } from '@mcp-resource-guard/core';
 * DEFAULT_THRESHOLDS.throttle; // 0.9
 * ```
 */
export const DEFAULT_THRESHOLDS: LevelThresholds = Object.freeze({
  warn: 0.75,
  throttle: 0.9,
  cleanup: 1,
  emergency: 1.5,
});

/**
 * Severity rank of a level: -1 for none, 0 for warn ... 3 for emergency.
 *
 * @param level - a level or undefined (none)
 * @returns its rank
 * @example
 * ```ts
 * import { createResourceGuard } from '@mcp-resource-guard/core';
 * import { levelRank } from '@mcp-resource-guard/core/internal';
 * levelRank('throttle') > levelRank('warn'); // true
 * createResourceGuard().on('limit', (e) => {
 *   if (levelRank(e.level) > levelRank(e.previous)) console.error(`${e.tool}: ${e.resource} up to ${e.level}`);
 * });
 * ```
 */
export function levelRank(level: LimitLevel | undefined): number {
  return level === undefined ? -1 : LIMIT_LEVELS.indexOf(level);
}
