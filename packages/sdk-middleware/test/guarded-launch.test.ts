import { describe, expect, it } from 'vitest';
import { withPreload } from '../src/guarded-launch.js';

describe('withPreload', () => {
  it('adds the preload as a file URL encoded once, keeps the options already there, and adds it only once', () => {
    // macOS puts npx's cache under "Library/Application Support"-like paths: a space must survive as %20.
    const preload = new URL('file:///Users/me/Application%20Support/npx/register.js');
    const once = withPreload('--max-old-space-size=512', preload);
    expect(once).toBe('--max-old-space-size=512 --import=file:///Users/me/Application%20Support/npx/register.js');
    expect(withPreload(once, preload)).toBe(once);
    expect(withPreload(undefined, preload)).toBe('--import=file:///Users/me/Application%20Support/npx/register.js');
  });
});
