/** No-op tools over InMemoryTransport: the cheapest call the SDK can serve, so the guard's cost shows. */

import type { ResourceMiddlewareOptions } from '@mcp-resource-guard/sdk-middleware';
import { callTool, connectInMemory, serverFactory } from './mcp-fixtures.js';
import { measureCalls } from './measure.js';
import type { ChildRequest, VariantSample } from './scenario.js';

/**
 * The name of the i-th no-op tool.
 *
 * @param i - index
 * @returns `noop` for the first, `noop_<i>` for the others
 */
function noopName(i: number): string {
  return i === 0 ? 'noop' : `noop_${i}`;
}

/**
 * In a child: registers `toolCount` no-op tools on a bare or guarded `McpServer`, connects a real SDK
 * `Client` over `InMemoryTransport`, and times calls that cycle through all the tools.
 *
 * @param request - the variant and loop settings
 * @param toolCount - how many tools to register (and cycle through)
 * @param guardOptions - options of `resourceMiddleware()` in the guarded variant
 * @returns the sample
 */
export async function measureNoopCalls(
  request: ChildRequest,
  toolCount: number,
  guardOptions: ResourceMiddlewareOptions = {},
): Promise<VariantSample> {
  const names = Array.from({ length: toolCount }, (_, i) => noopName(i));
  const factory = await serverFactory(
    request.variant,
    (server) => {
      for (const name of names) server.registerTool(name, { description: 'Does nothing' }, () => ({ content: [] }));
    },
    guardOptions,
  );
  const connection = await connectInMemory(factory.create());
  let next = 0;
  try {
    return await measureCalls(
      request.variant,
      () => callTool(connection.client, names[next++ % names.length]!),
      request.loop,
      () => factory.guardCalls(),
    );
  } finally {
    await connection.close();
    await factory.close();
  }
}
