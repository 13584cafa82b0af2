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
    [{ limits: { perCall: { maxMemoryMb: -1 } } }, 'limits.perCall.maxMemoryMb', -1],
    [{ limits: { perCall: { maxMemoryMb: Number.NaN } } }, 'limits.perCall.maxMemoryMb', Number.NaN],
    [{ limits: { perCall: { maxExecutionTimeMs: '30s' } } }, 'limits.perCall.maxExecutionTimeMs', '30s'],
    [{ limits: { perCall: { maxExecutionTimeMs: 0 } } }, 'limits.perCall.maxExecutionTimeMs', 0],
    [{ limits: { perCall: { maxFileHandles: 1.5 } } }, 'limits.perCall.maxFileHandles', 1.5],
    [{ limits: { perCall: { maxFilehandles: 3 } } }, 'limits.perCall.maxFilehandles', 3],
    [{ limits: { perTool: { maxExecutionTimeMs: 10 } } }, 'limits.perTool.maxExecutionTimeMs', 10],
    [{ limits: { perSession: { maxConcurrentCalls: 0 } } }, 'limits.perSession.maxConcurrentCalls', 0],
    [{ limits: { process: { maxConcurrentCalls: 2.5 } } }, 'limits.process.maxConcurrentCalls', 2.5],
    [{ limits: { perCall: { maxConcurrentCalls: 2 } } }, 'limits.perCall.maxConcurrentCalls', 2],
    [{ limits: { perUser: {} } }, 'limits.perUser', {}],
    [
      { tools: { heavy: { perCall: { maxMemoryMb: Number.POSITIVE_INFINITY } } } },
      'tools.heavy.perCall.maxMemoryMb',
      Number.POSITIVE_INFINITY,
    ],
    [{ tools: { heavy: { perTool: { maxConcurrentCalls: -1 } } } }, 'tools.heavy.perTool.maxConcurrentCalls', -1],
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

  it.each([
    [{ limits: { maxExecutionTimeMs: 1000 } }, 'limits.maxExecutionTimeMs', 'limits.perCall.maxExecutionTimeMs'],
    [{ tools: { heavy: { maxMemoryMb: 64 } } }, 'tools.heavy.maxMemoryMb', 'tools.heavy.perCall.maxMemoryMb'],
    [{ toolLimits: { maxMemoryMb: 64 } }, 'toolLimits', 'limits.perTool'],
    [{ sessionLimits: { maxFileHandles: 8 } }, 'sessionLimits', 'limits.perSession'],
    [{ processLimits: { maxMemoryMb: 2048 } }, 'processLimits', 'limits.process'],
  ])('names where an option of earlier releases went: %j', (options, path, now) => {
    const err = configError(options);
    expect(err.code).toBe('INVALID_CONFIG');
    expect(err.path).toBe(path);
    expect(err.hint).toBe(`This option is now ${now}.`);
  });

  it('accepts zero for count limits', () => {
    expect(() =>
      createResourceGuard({ limits: { perCall: { maxFileHandles: 0, maxNetworkConnections: 0 } } }),
    ).not.toThrow();
  });

  it('resolves per-tool limits: exact name over pattern, first pattern wins, keys replace defaults', () => {
    const guard = createResourceGuard({
      limits: { perCall: { maxExecutionTimeMs: 1000, maxFileHandles: 8 } },
      tools: {
        'fs_*': { perCall: { maxFileHandles: 2 } },
        'fs_read*': { perCall: { maxFileHandles: 4 } },
        fs_special: { perCall: { maxMemoryMb: 64 } },
      },
    });
    expect(guard.limitsFor('other')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 8 });
    expect(guard.limitsFor('fs_readdir')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 2 });
    expect(guard.limitsFor('fs_special')).toEqual({ maxExecutionTimeMs: 1000, maxFileHandles: 8, maxMemoryMb: 64 });
  });

  it('treats pattern metacharacters other than * literally', () => {
    const guard = createResourceGuard({ tools: { 'a.b*': { perCall: { maxFileHandles: 1 } } } });
    expect(guard.limitsFor('a.bc')).toEqual({ maxFileHandles: 1 });
    expect(guard.limitsFor('axbc')).toEqual({});
  });
});
