/**
 * The sessions one tool refuses after a call-scope emergency: a session that drove a call of the tool past the
 * emergency level is refused that tool for a cool-down (doubled, up to a cap, each time it happens again), while
 * other sessions keep using it. Pure and clock-driven, like `LevelTracker`.
 */

import { type CoolDownPolicy, nextCoolDown } from './cool-down.js';

/** One session's block on one tool. */
interface Block {
  until: number;
  coolDownMs: number;
}

/**
 * The sessions blocked from one tool, and until when.
 *
 * @example
 * ```ts
 * const blocks = new SessionBlocks();
 * blocks.block('session-a', 0, { coolDownMs: 30_000, maxCoolDownMs: 300_000 }); // 30 000 (the cool-down)
 * blocks.remainingMs('session-a', 1_000); // 29 000
 * blocks.remainingMs('session-b', 1_000); // 0: other sessions keep the tool
 * blocks.activeCount(1_000); // 1
 * ```
 */
export class SessionBlocks {
  readonly #blocks = new Map<string, Block>();

  /**
   * Blocks a session from the tool: for the policy's cool-down the first time, twice its previous one (at most
   * the maximum) when it was blocked before.
   *
   * @param sessionId - the session
   * @param now - the clock time
   * @param policy - the cool-down and its maximum
   * @returns the cool-down given, in milliseconds
   */
  block(sessionId: string, now: number, policy: CoolDownPolicy): number {
    // Blocks over for longer than the longest cool-down are forgotten (sessions that ended among them): a
    // session blocked again after that starts from the first cool-down.
    for (const [id, block] of this.#blocks) if (block.until + policy.maxCoolDownMs < now) this.#blocks.delete(id);
    const coolDownMs = nextCoolDown(policy, this.#blocks.get(sessionId)?.coolDownMs);
    this.#blocks.set(sessionId, { until: now + coolDownMs, coolDownMs });
    return coolDownMs;
  }

  /**
   * How long the session is still refused the tool.
   *
   * @param sessionId - the session
   * @param now - the clock time
   * @returns milliseconds, 0 when it is not blocked
   */
  remainingMs(sessionId: string, now: number): number {
    const block = this.#blocks.get(sessionId);
    return block === undefined ? 0 : Math.max(0, block.until - now);
  }

  /**
   * How many sessions are blocked now.
   *
   * @param now - the clock time
   * @returns the count
   */
  activeCount(now: number): number {
    let count = 0;
    for (const block of this.#blocks.values()) if (block.until > now) count++;
    return count;
  }

  /** Forgets every session (the tool was deactivated for everyone, or re-enabled by its owner). */
  clear(): void {
    this.#blocks.clear();
  }
}
