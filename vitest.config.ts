import { defineConfig } from 'vitest/config';

// Tests run against each package's TypeScript source through the
// `@mcp-resource-guard/source` export condition; Node itself (the demo, child
// processes started by tests) resolves the same packages to their built `dist`.
const sourceConditions = ['@mcp-resource-guard/source', 'node', 'import', 'default'];

export default defineConfig({
  resolve: { conditions: sourceConditions },
  ssr: { resolve: { conditions: sourceConditions, externalConditions: ['node'] } },
  test: {
    pool: 'forks',
    // CI asks for a JSON report beside the console one, to print a plain closing line.
    reporters: process.env.VITEST_JSON_REPORT ? ['default', 'json'] : ['default'],
    ...(process.env.VITEST_JSON_REPORT ? { outputFile: { json: process.env.VITEST_JSON_REPORT } } : {}),
    // The guard's operator log (pino JSON lines on stderr) stays quiet in tests that do not read it; those that do
    // set its level themselves.
    env: { MCP_RESOURCE_GUARD_LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    projects: [
      { extends: true, test: { name: 'core', include: ['packages/core/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'sdk-middleware', include: ['packages/sdk-middleware/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'otel-exporter', include: ['packages/otel-exporter/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'integration', include: ['test/**/*.test.ts'] } },
      { extends: true, test: { name: 'bench', include: ['bench/test/**/*.test.ts'] } },
      { extends: true, test: { name: 'test-support', include: ['internal/test-support/test/**/*.test.ts'] } },
    ],
  },
});
