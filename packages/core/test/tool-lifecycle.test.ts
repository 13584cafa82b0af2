import { describe, expect, it } from 'vitest';
import type { CallOutcome } from '../src/index.js';
import { type RecoveryVerdict, ToolLifecycle } from '../src/tool-lifecycle.js';

const POLICY = { coolDownMs: 100, maxCoolDownMs: 300 };

function lifecycle(): { tool: ToolLifecycle; verdicts: RecoveryVerdict[] } {
  const verdicts: RecoveryVerdict[] = [];
  return { tool: new ToolLifecycle(POLICY, (v) => verdicts.push(v)), verdicts };
}

function end(
  tool: ToolLifecycle,
  callId: number,
  outcome: CallOutcome,
  more: { stopped?: boolean; leaked?: boolean; at?: number } = {},
) {
  const stopped = more.stopped ?? false;
  const failedLeaking = !stopped && outcome !== 'ok' && (more.leaked ?? false);
  return tool.ended(callId, outcome, stopped, failedLeaking, more.at ?? 0);
}

describe('ToolLifecycle', () => {
  it('goes registered → active → idle, and error after a failed call', () => {
    const { tool } = lifecycle();
    expect(tool.register()).toBe(true);
    expect(tool.register()).toBe(false);
    expect(tool.state).toBe('registered');
    tool.admitted(1);
    expect(tool.settle(1)).toBe('registered');
    expect(tool.state).toBe('active');
    end(tool, 1, 'ok');
    expect(tool.settle(0)).toBe('active');
    expect(tool.state).toBe('idle');
    tool.admitted(2);
    end(tool, 2, 'thrown');
    tool.settle(0);
    expect(tool.state).toBe('error');
    expect(tool.settle(0)).toBeUndefined();
  });

  it('refuses calls while the owner has it disabled, and after removal until registered again', () => {
    const { tool } = lifecycle();
    tool.register();
    expect(tool.reactivate()).toBe(false);
    expect(tool.deactivate()).toBe(true);
    expect(tool.unavailable(0)).toEqual({ cause: 'owner' });
    expect(tool.open).toBe(false);
    tool.settle(0);
    expect(tool.state).toBe('deactivated');
    expect(tool.reactivate()).toBe(true);
    expect(tool.unavailable(0)).toBeUndefined();
    expect(tool.unregister()).toBe(true);
    expect(tool.unregister()).toBe(false);
    expect(tool.deactivate()).toBe(false);
    expect(tool.unavailable(0)).toEqual({ cause: 'removed' });
    tool.settle(0);
    expect(tool.state).toBe('unregistered');
    expect(tool.register()).toBe(true);
    expect(tool.unavailable(0)).toBeUndefined();
  });

  it('opens the breaker at an emergency, half-opens after the cool-down, and closes on a clean probe', () => {
    const { tool, verdicts } = lifecycle();
    tool.register();
    tool.admitted(1);
    expect(tool.trip(1000)).toBe(100);
    expect(tool.trip(1010)).toBeUndefined(); // already cooling down
    tool.failed(1);
    expect(tool.coolingDown).toBe(true);
    expect(tool.unavailable(1040)).toEqual({ cause: 'cooling', retryAfterMs: 60 });
    expect(tool.reopenIfDue(1099)).toBe(false);
    expect(tool.reopenIfDue(1100)).toBe(true);
    expect(tool.reopenIfDue(1100)).toBe(false);
    expect(tool.unavailable(1100)).toBeUndefined();
    tool.admitted(2);
    expect(tool.unavailable(1101)).toEqual({ cause: 'probing' });
    // The stopped call ends after the probe started: it is not the probe, and decides nothing.
    end(tool, 1, 'limit', { stopped: true });
    expect(verdicts).toEqual([]);
    expect(end(tool, 2, 'ok')).toBeUndefined();
    expect(verdicts).toEqual([{ success: true, via: 'probe' }]);
    expect(tool.breaker).toBeUndefined();
    expect(tool.open).toBe(true);
    expect(tool.recovery).toEqual({ attempts: 1, successes: 1 });
  });

  it('opens the breaker again for twice as long, up to the cap, each time the probe fails', () => {
    const { tool, verdicts } = lifecycle();
    tool.register();
    tool.trip(0);
    const cooldowns: number[] = [];
    let now = 0;
    for (let probe = 1; probe <= 3; probe++) {
      now = (tool.breaker?.reopensAt ?? 0) + 1;
      tool.reopenIfDue(now);
      tool.admitted(probe);
      const reopensAt = end(tool, probe, 'thrown', { at: now + 5 });
      cooldowns.push(tool.breaker?.coolDownMs ?? 0);
      expect(reopensAt).toBe(now + 5 + (tool.breaker?.coolDownMs ?? 0));
      expect(tool.unavailable(now + 5)).toMatchObject({ cause: 'cooling' });
    }
    expect(cooldowns).toEqual([200, 300, 300]);
    expect(verdicts.map((v) => v.success)).toEqual([false, false, false]);
    // An emergency that strikes the half-open tool doubles from the last cool-down too.
    tool.reopenIfDue((tool.breaker?.reopensAt ?? 0) + 1);
    expect(tool.trip(now + 10_000)).toBe(300);
  });

  it('decides recovery by the first call admitted after the failed one, whatever order calls end in', () => {
    const { tool, verdicts } = lifecycle();
    tool.register();
    tool.failed(5); // call 5 was stopped
    end(tool, 4, 'ok'); // admitted before the failure: decides nothing
    expect(verdicts).toEqual([]);
    end(tool, 7, 'ok', { stopped: true }); // stopped calls decide nothing
    expect(verdicts).toEqual([]);
    end(tool, 6, 'ok');
    expect(verdicts).toEqual([{ success: true, via: 'next_call' }]);
  });

  it('counts a recovery failed when the failed call left handles the cleanup could not close', () => {
    const { tool, verdicts } = lifecycle();
    tool.register();
    tool.failed(1);
    tool.survived(1, 2);
    end(tool, 2, 'ok');
    expect(verdicts).toEqual([{ success: false, via: 'next_call' }]);
  });

  it('arms recovery for a call that failed leaking, and reports at once when a later call already succeeded', () => {
    const { tool, verdicts } = lifecycle();
    tool.register();
    end(tool, 2, 'ok');
    end(tool, 1, 'thrown', { leaked: true }); // call 2, admitted after it, already succeeded
    expect(verdicts).toEqual([{ success: true, via: 'next_call' }]);
    end(tool, 3, 'thrown', { leaked: true });
    end(tool, 4, 'tool_error');
    expect(verdicts).toEqual([
      { success: true, via: 'next_call' },
      { success: false, via: 'next_call' },
    ]);
    expect(tool.recovery).toEqual({ attempts: 2, successes: 1 });
  });

  it('drops the breaker when the owner disables or removes the tool', () => {
    const { tool } = lifecycle();
    tool.register();
    tool.trip(0);
    tool.deactivate();
    expect(tool.breaker).toBeUndefined();
    expect(tool.unavailable(0)).toEqual({ cause: 'owner' });
    tool.reactivate();
    tool.trip(0);
    tool.unregister();
    expect(tool.breaker).toBeUndefined();
  });
});
