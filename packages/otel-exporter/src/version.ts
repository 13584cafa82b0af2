// Written by scripts/sync-versions.mjs from this package's package.json (`pnpm version-packages` runs it);
// a test fails when the two differ.

/** This package's version: the meter's instrumentation scope version. */
export const VERSION = '0.0.0';
