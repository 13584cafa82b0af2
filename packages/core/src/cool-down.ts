/** The emergency cool-down: how long a tool (or one session's use of it) is refused after an emergency. */

/**
 * How long a tool is refused after an emergency: `coolDownMs` the first time, doubled each time it
 * strikes again (a failed probe, a session blocked again), up to `maxCoolDownMs`.
 */
export interface CoolDownPolicy {
  readonly coolDownMs: number;
  readonly maxCoolDownMs: number;
}

/**
 * The next cool-down under a policy.
 *
 * @param policy - the policy
 * @param previousMs - the cool-down given last time, if the emergency strikes again
 * @returns the cool-down to give now
 */
export function nextCoolDown(policy: CoolDownPolicy, previousMs: number | undefined): number {
  return previousMs === undefined ? policy.coolDownMs : Math.min(previousMs * 2, policy.maxCoolDownMs);
}
