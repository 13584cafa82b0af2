// A stdio MCP server as third parties write them, with no guard in its code: the demo runs it through
// `mcp-resource-guard run`, which guards it from the outside.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

const server = new McpServer({ name: 'unmodified-server', version: '1.0.0' });
server.registerTool('hello', {}, async () => ({
  content: [{ type: 'text', text: 'hello from an unmodified server' }],
}));
// Sleeps 3 s and ignores its signal.
server.registerTool('slow', {}, async () => {
  await new Promise((resolve) => setTimeout(resolve, 3000));
  return { content: [{ type: 'text', text: 'woke up' }] };
});
await server.connect(new StdioServerTransport());
