import { describe, expect, it } from 'vitest';
import { until } from '../src/index.js';

describe('until', () => {
  it('resolves once the condition holds, sync or async', async () => {
    let asked = 0;
    await until(() => ++asked === 3, { what: 'the third question', intervalMs: 1 });
    expect(asked).toBe(3);
    await until(async () => true, { what: 'an async yes' });
  });

  it('throws after its time limit, naming what it waited for, and never resolves silently', async () => {
    const started = performance.now();
    await expect(until(() => false, { what: 'the impossible', timeoutMs: 50 })).rejects.toThrow(
      'timed out after 50 ms waiting for the impossible',
    );
    expect(performance.now() - started).toBeGreaterThanOrEqual(49);
  });

  it('asks a described state for its description only on a timeout', async () => {
    let described = 0;
    const what = () => `state ${++described}`;
    await until(() => true, { what });
    expect(described).toBe(0);
    await expect(until(() => false, { what, timeoutMs: 10 })).rejects.toThrow('waiting for state 1');
  });

  it('ends with the error of a condition that throws', async () => {
    const failing = () => {
      throw new Error('the condition broke');
    };
    await expect(until(failing, { what: 'anything' })).rejects.toThrow('the condition broke');
  });
});
