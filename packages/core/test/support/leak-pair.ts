// The leak test every probed kind goes through: two calls at once each open one resource and leave it
// open; each holds its own and nothing of the other's; the first call's cleanup closes its resource and
// not the second's; the second's closes the rest; the process is back to its baseline (descriptors and
// active handles).
import { excess, settleTo, steadyReading } from '@mcp-resource-guard/test-support';
import { expect } from 'vitest';
import { createResourceGuard, type HandleKind, type ResourceUsage } from '../../src/index.js';
import { admitTracked } from './tracked.js';

export interface LeakPair<T> {
  /** Runs inside a call: opens one resource and leaves it open (awaits in between, so the calls interleave). */
  open(): Promise<T>;
  /**
   * What each call holds, of these kinds (a library may also give a call an unref'd timer of its own,
   * released untouched at the call's end).
   */
  readonly holds: Partial<Record<HandleKind, number>>;
  /** What each call's usage counts (files, connections). */
  readonly usage?: Partial<Pick<ResourceUsage, 'fileHandles' | 'networkConnections'>>;
  /** What each call's end reports as leaked (default: `holds`; a call's temp dir is held, but no leak). */
  readonly leaked?: Partial<Record<HandleKind, number>>;
  /** One process resource serves both calls (fs.watchFile's StatWatcher): it stays until the second's cleanup. */
  readonly shared?: boolean;
  /**
   * The resource is no descriptor or handle of the process (a temp dir on disk): the baseline shows nothing
   * while it is open, and only checks that nothing else is left; `isOpen` is the ground truth.
   */
  readonly offProcess?: boolean;
  /** Ground truth for one call's resource: whether it still works (asked before and after each cleanup). */
  isOpen?(resource: T): boolean | Promise<boolean>;
}

function held(counts: Partial<Record<HandleKind, number>>, kinds: object): Partial<Record<HandleKind, number>> {
  return Object.fromEntries(Object.keys(kinds).map((kind) => [kind, counts[kind as HandleKind] ?? 0]));
}

function halve(items: Readonly<Record<string, number>>): Record<string, number> {
  return Object.fromEntries(Object.entries(items).map(([item, n]) => [item, n / 2]));
}

export async function checkLeakPair<T>(pair: LeakPair<T>): Promise<void> {
  const guard = createResourceGuard({ cleanup: { graceMs: 100 } });
  const a = await admitTracked(guard, { toolName: 'a' });
  const b = await admitTracked(guard, { toolName: 'b' });
  // Taken with the calls admitted: the guard's own timer (its sampler) is part of it.
  const baseline = await steadyReading();
  const [ra, rb] = await Promise.all([a.run(() => pair.open()), b.run(() => pair.open())]);
  expect(held(a.handles.countByKind(), pair.holds)).toEqual(pair.holds);
  expect(held(b.handles.countByKind(), pair.holds)).toEqual(pair.holds);
  const usage = pair.usage ?? { fileHandles: 0, networkConnections: 0 };
  expect(a.usage()).toMatchObject(usage);
  expect(b.usage()).toMatchObject(usage);
  if (pair.isOpen !== undefined) {
    expect(await pair.isOpen(ra)).toBe(true);
    expect(await pair.isOpen(rb)).toBe(true);
  }
  const both = excess(baseline, await steadyReading()).items;
  if (pair.offProcess === true) expect(both).toEqual({});
  else expect(Object.keys(both).length).toBeGreaterThan(0);

  const leaked = pair.leaked ?? pair.holds;
  expect(a.end('ok').leaked).toEqual(leaked);
  const reportA = await a.settled;
  expect(reportA?.closed).toEqual(pair.holds);
  expect(reportA?.survived).toBe(0);
  if (pair.isOpen !== undefined) {
    expect(await pair.isOpen(ra)).toBe(false);
    expect(await pair.isOpen(rb)).toBe(true);
  }
  expect(held(b.handles.countByKind(), pair.holds)).toEqual(pair.holds);
  // The second call's counts are live, and still its own.
  expect(b.usage()).toMatchObject(usage);
  // Only the first call's share is gone (a shared resource stays for the second).
  const second = pair.shared === true ? both : halve(both);
  expect((await settleTo(baseline, { expected: second })).items).toEqual(second);

  expect(b.end('ok').leaked).toEqual(leaked);
  const reportB = await b.settled;
  expect(reportB?.closed).toEqual(pair.holds);
  expect(reportB?.survived).toBe(0);
  if (pair.isOpen !== undefined) expect(await pair.isOpen(rb)).toBe(false);
  expect((await settleTo(baseline)).items).toEqual({});
  await guard.close();
}
