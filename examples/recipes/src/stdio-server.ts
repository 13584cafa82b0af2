#!/usr/bin/env node
// Recipe: an MCP server on stdio with the resource guard. Log to stderr only: stdout is the protocol.
// Run it from an MCP client (Claude Desktop, an IDE, or `stdio-client.js` beside this file).
import { open } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { jsonLinesAuditSink } from '@mcp-resource-guard/core';
import { resourceMiddleware, withMiddleware } from '@mcp-resource-guard/sdk-middleware';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import * as z from 'zod';

const guard = resourceMiddleware({
  limits: { perCall: { maxExecutionTimeMs: 10_000, maxFileHandles: 32 } },
  // Audit entries as JSON lines on stderr (never stdout, which the stdio transport owns).
  audit: { sink: jsonLinesAuditSink(process.stderr) },
});
const server = withMiddleware(new McpServer({ name: 'stdio-recipe', version: '1.0.0' }));
server.use(guard);

server.registerTool('count_lines', { inputSchema: { path: z.string() } }, async ({ path }) => {
  const file = await open(path === 'self' ? fileURLToPath(import.meta.url) : path, 'r');
  const text = await file.readFile({ encoding: 'utf8' });
  // The file is not closed: the guard closes it when the call ends, and reports the leak.
  return { content: [{ type: 'text', text: String(text.split('\n').length) }] };
});
server.registerTool('guard_status', {}, () => ({
  content: [{ type: 'text', text: JSON.stringify(guard.snapshot().tools.count_lines ?? {}) }],
}));

await server.connect(new StdioServerTransport());
