import { describe, expect, it } from 'vitest';
import { SessionBlocks } from '../src/session-blocks.js';

describe('SessionBlocks', () => {
  it('blocks one session for the cool-down and leaves the others alone', () => {
    const blocks = new SessionBlocks();
    expect(blocks.block('a', 0, { coolDownMs: 100, maxCoolDownMs: 1000 })).toBe(100);
    expect(blocks.remainingMs('a', 40)).toBe(60);
    expect(blocks.remainingMs('b', 40)).toBe(0);
    expect(blocks.remainingMs('a', 100)).toBe(0);
  });

  it('doubles a session’s cool-down each time it is blocked again, up to the cap', () => {
    const blocks = new SessionBlocks();
    expect(blocks.block('a', 0, { coolDownMs: 100, maxCoolDownMs: 300 })).toBe(100);
    expect(blocks.block('a', 150, { coolDownMs: 100, maxCoolDownMs: 300 })).toBe(200);
    expect(blocks.block('a', 400, { coolDownMs: 100, maxCoolDownMs: 300 })).toBe(300);
    expect(blocks.block('a', 800, { coolDownMs: 100, maxCoolDownMs: 300 })).toBe(300);
  });

  it('counts the sessions blocked now, and forgets blocks long over', () => {
    const blocks = new SessionBlocks();
    blocks.block('a', 0, { coolDownMs: 100, maxCoolDownMs: 300 });
    blocks.block('b', 50, { coolDownMs: 100, maxCoolDownMs: 300 });
    expect(blocks.activeCount(60)).toBe(2);
    expect(blocks.activeCount(120)).toBe(1);
    // 'a' ended at 100, longer than the cap (300) ago: it starts again from the first cool-down.
    expect(blocks.block('a', 500, { coolDownMs: 100, maxCoolDownMs: 300 })).toBe(100);
    blocks.clear();
    expect(blocks.activeCount(500)).toBe(0);
  });
});
