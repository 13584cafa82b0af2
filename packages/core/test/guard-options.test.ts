import { describe, expect, it } from 'vitest';
import { createResourceGuard, ResourceGuardError } from '../src/index.js';

function configError(options: unknown): ResourceGuardError {
  try {
    createResourceGuard(options as never);
  } catch (e) {
    if (ResourceGuardError.is(e)) return e;
    throw e;
  }
  throw new Error('expected the options to be rejected');
}

describe('option validation', () => {
  it.each([
    [{ limits: { maxMemoryMb: -1 } }, 'limits.maxMemoryMb', -1],
    [{ limits: { maxMemoryMb: Number.NaN } }, 'limits.maxMemoryMb', Number.NaN],
    [{ limits: { maxExecutionTimeMs: '30s' } }, 'limits.maxExecutionTimeMs', '30s'],
    [{ limits: { maxExecutionTimeMs: 0 } }, 'limits.maxExecutionTimeMs', 0],
    [{ limits: { maxFileHandles: 1.5 } }, 'limits.maxFileHandles', 1.5],
    [{ limits: { maxFilehandles: 3 } }, 'limits.maxFilehandles', 3],
    [
      { tools: { heavy: { maxMemoryMb: Number.POSITIVE_INFINITY } } },
      'tools.heavy.maxMemoryMb',
      Number.POSITIVE_INFINITY,
    ],
    [{ tools: [] }, 'tools', []],
    [{ limit: {} }, 'limit', {}],
    [{ clock: { now: 1 } }, 'clock', { now: 1 }],
    // null is not "the default": it is reported like any other wrong value.
    [{ clock: null }, 'clock', null],
    [{ scheduler: null }, 'scheduler', null],
    [{ tempRoot: 'tmp/guard' }, 'tempRoot', 'tmp/guard'],
  ])('rejects %j at %s', (options, path, value) => {
    const err = configError(options);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.path).toBe(path);
    expect(err.value).toEqual(value);
    expect(err.hint).toMatch(/^Allowed: /);
    expect(err.message).toContain(path);
  });

  it('accepts zero for count limits', () => {
    expect(() => createResourceGuard({ limits: { maxFileHandles: 0, maxNetworkConnections: 0 } })).not.toThrow();
  });

  it('resolves per-tool limits: exact name over pattern, first pattern wins, keys replace defaults', () => {
    const guard = createResourceGuard({
      limits: { maxExecutionTimeMs: 1000, maxFileHandles: 8 },
      tools: { 'fs_*': { maxFileHandles: 2 }, 'fs_read*': { maxFileHandles: 4 }, fs_special: { maxMemoryMb: 64 } },
    });
    expect(guard.limitsFor('other')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 8 });
    expect(guard.limitsFor('fs_readdir')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 2 });
    expect(guard.limitsFor('fs_special')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 8, maxMemoryMb: 64 });
  });

  it('treats pattern metacharacters other than * literally', () => {
    const guard = createResourceGuard({ tools: { 'a.b*': { maxFileHandles: 1 } } });
    expect(guard.limitsFor('a.bc')).toEqual({ maxFileHandles: 1 });
    expect(guard.limitsFor('axbc')).toEqual({});
  });
});
