// The demo server's tools: ordinary work, an in-band error, a crash and a slow call.
import { readFile } from 'node:fs/promises';
import { getCallContext } from '@mcp-resource-guard/sdk-middleware';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import * as z from 'zod';

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

export function registerDemoTools(server: McpServer, dataFile: string): void {
  server.registerTool(
    'echo',
    { description: 'Echoes a message', inputSchema: { message: z.string() } },
    ({ message }) => text(message),
  );
  server.registerTool(
    'sum',
    {
      description: 'Adds numbers',
      inputSchema: { values: z.array(z.number()) },
      outputSchema: { sum: z.number() },
    },
    ({ values }) => {
      const sum = values.reduce((a, b) => a + b, 0);
      return { ...text(String(sum)), structuredContent: { sum } };
    },
  );
  server.registerTool('read_data', { description: 'Reads the demo data file' }, async () => {
    const ctx = getCallContext();
    const content = await readFile(dataFile, { encoding: 'utf8', signal: ctx.signal });
    return text(`${ctx.toolName} (call ${ctx.callId}) read ${content.length} bytes`);
  });
  server.registerTool('flaky', { description: 'Reports a failure in-band' }, () => ({
    ...text('upstream unavailable'),
    isError: true,
  }));
  server.registerTool('crash', { description: 'Throws' }, () => {
    throw new Error('the tool crashed');
  });
  server.registerTool(
    'sleep',
    { description: 'Waits, honouring cancellation', inputSchema: { ms: z.number().int().min(0).max(5000) } },
    async ({ ms }, extra) => {
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        extra.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(extra.signal.reason);
        });
      });
      return text(`slept ${ms} ms`);
    },
  );
}
