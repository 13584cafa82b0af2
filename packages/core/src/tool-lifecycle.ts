/**
 * One tool's lifecycle and circuit breaker: registration, owner deactivation, the emergency cool-down with
 * its half-open probe, and the recovery check that follows a failed call. Pure: times come in as
 * arguments, calls as their numeric ids, and every transition is a method; the guard turns what the
 * methods return into events, audit entries and errors.
 */

import type { CallOutcome } from './call-outcome.js';
import { type CoolDownPolicy, nextCoolDown } from './cool-down.js';
import type { ToolState } from './tool-state.js';

/**
 * Why a tool refuses calls right now.
 *
 * - `removed`: unregistered.
 * - `owner`: deactivated by the server's owner.
 * - `cooling`: an emergency opened the breaker; `retryAfterMs` until the probe call may run.
 * - `probing`: the breaker is half-open and its probe call is in flight.
 */
export type ToolUnavailability =
  | { readonly cause: 'removed' }
  | { readonly cause: 'owner' }
  | { readonly cause: 'cooling'; readonly retryAfterMs: number }
  | { readonly cause: 'probing' };

/** A recovery check decided: by the half-open probe, or by the first call after a failed one. */
export interface RecoveryVerdict {
  readonly success: boolean;
  readonly via: 'probe' | 'next_call';
}

/** The breaker's state, as snapshots show it. */
export interface BreakerView {
  readonly halfOpen: boolean;
  readonly reopensAt: number;
  readonly coolDownMs: number;
}

/** Told of each recovery check the lifecycle decides (already counted in {@link ToolLifecycle.recovery}). */
export type RecoveryListener = (verdict: RecoveryVerdict) => void;

interface Breaker {
  reopensAt: number;
  coolDownMs: number;
  halfOpen: boolean;
  probeId: number | undefined;
}

/** The lifecycle state machine of one tool. */
export class ToolLifecycle {
  readonly #policy: CoolDownPolicy;
  readonly #onRecovery: RecoveryListener;
  #registered = false;
  #unregistered = false;
  #deactivatedBy: 'owner' | 'emergency' | undefined;
  #lastCallFailed = false;
  #everCalled = false;
  #state: ToolState = 'registered';
  #breaker: Breaker | undefined;
  /**
   * Armed when a call fails (stopped, or ended leaking) or an emergency strikes: the first call admitted
   * after the failed one (id above `after`) that ends without being stopped decides whether recovery
   * succeeded, whatever order calls end in.
   */
  #pending: { survived: number; after: number } | undefined;
  #attempts = 0;
  #successes = 0;
  /** The id of the newest call that ended ok without being stopped. */
  #lastOkId = 0;

  /**
   * @param policy - the emergency cool-down
   * @param onRecovery - told of each recovery check decided
   */
  constructor(policy: CoolDownPolicy, onRecovery: RecoveryListener) {
    this.#policy = policy;
    this.#onRecovery = onRecovery;
  }

  /** The state last settled by {@link ToolLifecycle.settle}. */
  get state(): ToolState {
    return this.#state;
  }

  /** True once unregistered (until registered again). */
  get removed(): boolean {
    return this.#unregistered;
  }

  /** True while an emergency's cool-down runs (the breaker is open, not yet half-open). */
  get coolingDown(): boolean {
    return this.#breaker !== undefined && !this.#breaker.halfOpen;
  }

  /** The breaker, while there is one. */
  get breaker(): BreakerView | undefined {
    return this.#breaker;
  }

  /** Recovery checks decided so far. */
  get recovery(): { readonly attempts: number; readonly successes: number } {
    return { attempts: this.#attempts, successes: this.#successes };
  }

  /**
   * Registration (or registration again after removal).
   *
   * @returns true when the tool was not registered before (new, or removed): a lifecycle change
   */
  register(): boolean {
    const fresh = !this.#registered || this.#unregistered;
    this.#registered = true;
    if (this.#unregistered) {
      this.#unregistered = false;
      this.#deactivatedBy = undefined;
    }
    return fresh;
  }

  /**
   * Deactivation by the owner: calls are refused until {@link ToolLifecycle.reactivate}; a breaker is dropped.
   *
   * @returns false when the tool is removed (nothing changed)
   */
  deactivate(): boolean {
    if (this.#unregistered) return false;
    this.#deactivatedBy = 'owner';
    this.#breaker = undefined;
    return true;
  }

  /**
   * Activation after the owner's deactivation.
   *
   * @returns false when the owner had not deactivated the tool (nothing changed)
   */
  reactivate(): boolean {
    if (this.#deactivatedBy !== 'owner') return false;
    this.#deactivatedBy = undefined;
    return true;
  }

  /**
   * Unregistration.
   *
   * @returns false when already removed (nothing changed)
   */
  unregister(): boolean {
    if (this.#unregistered) return false;
    this.#unregistered = true;
    this.#breaker = undefined;
    return true;
  }

  /**
   * Why a call would be refused now, if it would.
   *
   * @param now - the guard's clock
   * @returns the reason, or undefined when calls are admitted
   */
  unavailable(now: number): ToolUnavailability | undefined {
    if (this.#unregistered) return REMOVED;
    if (this.#deactivatedBy === 'owner') return OWNER;
    const breaker = this.#breaker;
    if (breaker === undefined) return undefined;
    if (!breaker.halfOpen) return { cause: 'cooling', retryAfterMs: Math.max(0, breaker.reopensAt - now) };
    return breaker.probeId === undefined ? undefined : PROBING;
  }

  /** True when nothing at the tool's level refuses a call: the fast path's check. */
  get open(): boolean {
    return !this.#unregistered && this.#deactivatedBy === undefined && this.#breaker === undefined;
  }

  /**
   * A call was admitted: while the breaker is half-open it is the probe.
   *
   * @param callId - its numeric id
   */
  admitted(callId: number): void {
    this.#everCalled = true;
    if (this.#breaker?.halfOpen) this.#breaker.probeId = callId;
  }

  /**
   * An emergency: the breaker opens for the base cool-down, or for twice the last one when it strikes
   * the half-open probe's tool again.
   *
   * @param now - the guard's clock
   * @returns the cool-down, or undefined when the breaker is already open (nothing changed)
   */
  trip(now: number): number | undefined {
    if (this.coolingDown) return undefined;
    const coolDownMs = nextCoolDown(this.#policy, this.#breaker?.coolDownMs);
    this.#breaker = { reopensAt: now + coolDownMs, coolDownMs, halfOpen: false, probeId: undefined };
    this.#deactivatedBy = 'emergency';
    return coolDownMs;
  }

  /**
   * Ends the cool-down when it is due: the breaker goes half-open and one probe call may run.
   *
   * @param now - the guard's clock
   * @returns true when it went half-open now
   */
  reopenIfDue(now: number): boolean {
    const breaker = this.#breaker;
    if (breaker === undefined || breaker.halfOpen || now < breaker.reopensAt) return false;
    breaker.halfOpen = true;
    breaker.probeId = undefined;
    if (this.#deactivatedBy === 'emergency') this.#deactivatedBy = undefined;
    return true;
  }

  /**
   * A call failed (it was stopped, or an emergency struck): arms the recovery check, unless one is armed.
   * When a call admitted after the failed one has already succeeded, the tool has recovered: that
   * verdict is reported at once and nothing is armed.
   *
   * @param failedId - the failed call's numeric id
   */
  failed(failedId: number): void {
    if (this.#pending !== undefined) return;
    if (this.#lastOkId > failedId) this.#verdict(true, 'next_call');
    else this.#pending = { survived: 0, after: failedId };
  }

  /**
   * A failed call's cleanup left handles open: the recovery check counts them against the next call.
   *
   * @param callId - the call's numeric id
   * @param survived - handles that survived the cleanup
   */
  survived(callId: number, survived: number): void {
    this.#pending = { survived, after: this.#pending?.after ?? callId };
  }

  /**
   * A call ended: judges the half-open probe (closing the breaker, or opening it again for twice as long)
   * and the pending recovery check, and arms one when the call failed leaking.
   *
   * Positional, not an object: it runs at the end of every call.
   *
   * @param callId - the call's numeric id
   * @param outcome - how it ended
   * @param stopped - whether the guard stopped it (limit, timeout, emergency, cancel, deactivation, session close)
   * @param failedLeaking - whether it failed (not stopped, not ok) holding handles
   * @param endedAt - the clock time it ended
   * @returns when the call was the half-open probe and failed, the time the re-opened breaker
   *   half-opens again; else undefined
   */
  ended(
    callId: number,
    outcome: CallOutcome,
    stopped: boolean,
    failedLeaking: boolean,
    endedAt: number,
  ): number | undefined {
    this.#lastCallFailed = outcome === 'thrown' || outcome === 'timeout' || outcome === 'limit';
    // Recovery asks whether the tool works again: the call succeeded (what it leaks itself is a leak,
    // counted as such, not a failed recovery).
    const clean = outcome === 'ok';
    let reopensAt: number | undefined;
    const breaker = this.#breaker;
    if (breaker !== undefined && breaker.probeId === callId) {
      this.#pending = undefined;
      this.#verdict(clean, 'probe');
      if (clean) {
        this.#breaker = undefined;
      } else {
        breaker.coolDownMs = nextCoolDown(this.#policy, breaker.coolDownMs);
        breaker.reopensAt = endedAt + breaker.coolDownMs;
        breaker.halfOpen = false;
        breaker.probeId = undefined;
        this.#deactivatedBy = 'emergency';
        reopensAt = breaker.reopensAt;
      }
    } else if (this.#pending !== undefined && breaker === undefined && !stopped && callId > this.#pending.after) {
      const pending = this.#pending;
      this.#pending = undefined;
      this.#verdict(clean && pending.survived === 0, 'next_call');
    }
    if (clean && !stopped && callId > this.#lastOkId) this.#lastOkId = callId;
    // A stopped call armed recovery when it was stopped; a call that failed leaking arms it now.
    if (failedLeaking) this.failed(callId);
    return reopensAt;
  }

  /**
   * Settles the state its flags and the calls in flight imply.
   *
   * @param inFlight - calls of the tool in flight
   * @returns the previous state when it changed, else undefined
   */
  settle(inFlight: number): ToolState | undefined {
    const to = this.#derive(inFlight);
    const from = this.#state;
    if (to === from) return undefined;
    this.#state = to;
    return from;
  }

  #derive(inFlight: number): ToolState {
    if (this.#unregistered) return 'unregistered';
    if (this.#deactivatedBy !== undefined) return 'deactivated';
    if (inFlight > 0) return 'active';
    if (this.#lastCallFailed) return 'error';
    return this.#everCalled ? 'idle' : 'registered';
  }

  #verdict(success: boolean, via: RecoveryVerdict['via']): void {
    this.#attempts++;
    if (success) this.#successes++;
    this.#onRecovery({ success, via });
  }
}

const REMOVED: ToolUnavailability = Object.freeze({ cause: 'removed' });
const OWNER: ToolUnavailability = Object.freeze({ cause: 'owner' });
const PROBING: ToolUnavailability = Object.freeze({ cause: 'probing' });
