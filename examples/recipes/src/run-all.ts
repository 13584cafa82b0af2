#!/usr/bin/env node
// Runs every recipe; exits non-zero if any did not behave as it says.
import { runCallContextRecipe } from './call-context.js';
import { runCustomMiddlewareRecipe } from './custom-middleware.js';
import { runSdkV2Recipe } from './sdk-v2.js';
import { runStdioRecipe } from './stdio-client.js';

const recipes: [string, () => Promise<boolean>][] = [
  ['stdio server', runStdioRecipe],
  ['SDK v2 server', runSdkV2Recipe],
  ['per-tool limits and a custom middleware', runCustomMiddlewareRecipe],
  ['getCallContext, tempDir and track', runCallContextRecipe],
];
let failed = 0;
for (const [name, run] of recipes) {
  const ok = await run().catch((error: unknown) => {
    console.error(error);
    return false;
  });
  if (!ok) failed++;
  console.log(`${ok ? '✔' : '✘'} ${name}`);
}
process.exit(failed === 0 ? 0 : 1);
