import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { Client as ClientV2, InMemoryTransport as InMemoryV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport as InMemoryV1 } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer as McpServerV1 } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpServer as McpServerV2 } from '@modelcontextprotocol/server';
import { describe, expect, it } from 'vitest';
import { settle } from './support/outcome.js';
import { CORPUS_CALLS, type CorpusServer, registerCorpus } from './support/tool-corpus.js';

type Variant = 'v1' | 'v2';
type Install = 'none' | 'before-registration' | 'after-registration';

async function runCorpus(variant: Variant, install: Install) {
  const server =
    variant === 'v1'
      ? new McpServerV1({ name: 's', version: '1.0.0' })
      : new McpServerV2({ name: 's', version: '1.0.0' });
  const guard = resourceMiddleware();
  if (install === 'before-registration') withMiddleware(server).use(guard);
  registerCorpus(server as unknown as CorpusServer);
  if (install === 'after-registration') withMiddleware(server).use(guard);
  const [clientSide, serverSide] = variant === 'v1' ? InMemoryV1.createLinkedPair() : InMemoryV2.createLinkedPair();
  const client =
    variant === 'v1' ? new ClientV1({ name: 'c', version: '1.0.0' }) : new ClientV2({ name: 'c', version: '1.0.0' });
  await server.connect(serverSide as never);
  await client.connect(clientSide as never);
  const outcomes = [];
  for (const [name, args] of CORPUS_CALLS) {
    outcomes.push(await settle(() => client.callTool({ name, ...(args === undefined ? {} : { arguments: args }) })));
  }
  await client.close();
  await server.close();
  return { outcomes, snapshot: guard.snapshot() };
}

describe.each(['v1', 'v2'] as const)('SDK %s: results with and without the middleware', (variant) => {
  it.each(['before-registration', 'after-registration'] as const)(
    'are deep-equal for every call in the corpus, errors and unknown tools included (installed %s)',
    async (install) => {
      const bare = await runCorpus(variant, 'none');
      const guarded = await runCorpus(variant, install);
      expect(guarded.outcomes).toEqual(bare.outcomes);
      // The corpus really exercises success, in-band errors and thrown/protocol errors.
      expect(bare.outcomes.some((o) => 'result' in o && (o.result as { isError?: boolean }).isError === true)).toBe(
        true,
      );
      expect(bare.outcomes.some((o) => 'result' in o && (o.result as { isError?: boolean }).isError !== true)).toBe(
        true,
      );
    },
  );

  it.each(['before-registration', 'after-registration'] as const)(
    'records every call per tool, with outcome and execution time (installed %s)',
    async (install) => {
      const { snapshot } = await runCorpus(variant, install);
      const echo = snapshot.tools.echo;
      expect(echo?.calls).toBe(3);
      expect(snapshot.tools.slow?.executionTimeMs.peak).toBeGreaterThanOrEqual(10);
      expect(snapshot.tools.reports_error?.outcomes.tool_error).toBe(1);
      expect(snapshot.tools.structured?.outcomes.ok).toBe(1);
      expect(snapshot.inFlight).toBe(0);
      expect(snapshot.internalErrors).toBe(0);
      // Unknown tools and the disabled one are the SDK's to refuse: not tracked, and no rejection counted.
      expect(Object.keys(snapshot.tools)).not.toContain('does_not_exist');
      expect(snapshot.tools.disabled).toMatchObject({ calls: 0, rejected: 0, state: 'deactivated' });
      const total = Object.values(snapshot.tools).reduce((n, t) => n + t.calls, 0);
      expect(total).toBe(CORPUS_CALLS.filter(([name]) => ['', 'does_not_exist', 'disabled'].indexOf(name) < 0).length);
    },
  );
});
