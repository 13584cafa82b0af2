/**
 * An SDK v1 `McpServer` with what the MCP conformance suite's server scenarios call: tools returning
 * every content type, logging, progress, errors, sampling, elicitation (with SEP-1034 defaults and SEP-1330
 * enums), a JSON Schema 2020-12 input schema, a tool that closes its SSE stream mid-call (SEP-1699);
 * static and templated resources with subscriptions; prompts with arguments, an embedded resource and an
 * image; completion of a prompt argument; `logging/setLevel`.
 */
import { completable } from '@modelcontextprotocol/sdk/server/completable.js';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import {
  CreateMessageResultSchema,
  ElicitResultSchema,
  type ServerNotification,
  type ServerRequest,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import * as z from 'zod';
import { redPixelPngBase64, toneWavBase64 } from './test-media.js';

const PNG = redPixelPngBase64();
const WAV = toneWavBase64();

/** Registered once per process: zod keeps schemas with an `id` in its global registry, and lists them under `$defs`. */
const ADDRESS = z.object({ street: z.string(), city: z.string() }).partial().meta({ id: 'address' });

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;
type ElicitParams = { message: string; requestedSchema: Record<string, unknown> };

/** Throws (the SDK answers `isError`) when the client did not declare the capability a tool needs. */
function requireClientCapability(server: McpServer, capability: 'sampling' | 'elicitation'): void {
  if (server.server.getClientCapabilities()?.[capability] === undefined) {
    throw new Error(`The client does not support ${capability}`);
  }
}

/** Sends `elicitation/create` for this call and describes the client's answer. */
async function elicit(extra: ToolExtra, params: ElicitParams): Promise<string> {
  const result = await extra.sendRequest({ method: 'elicitation/create', params: params as never }, ElicitResultSchema);
  return `Elicitation completed: action=${result.action}, content=${JSON.stringify(result.content ?? {})}`;
}

function registerTools(server: McpServer): void {
  server.registerTool('test_simple_text', { description: 'Returns one text content item' }, () =>
    text('This is a simple text response for testing.'),
  );
  server.registerTool('test_image_content', { description: 'Returns a 1×1 red PNG' }, () => ({
    content: [{ type: 'image', data: PNG, mimeType: 'image/png' }],
  }));
  server.registerTool('test_audio_content', { description: 'Returns a short WAV tone' }, () => ({
    content: [{ type: 'audio', data: WAV, mimeType: 'audio/wav' }],
  }));
  server.registerTool('test_embedded_resource', { description: 'Returns an embedded text resource' }, () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'This is an embedded resource content.',
        },
      },
    ],
  }));
  server.registerTool('test_multiple_content_types', { description: 'Returns text, an image and a resource' }, () => ({
    content: [
      { type: 'text', text: 'Multiple content types test:' },
      { type: 'image', data: PNG, mimeType: 'image/png' },
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ test: 'data', value: 123 }),
        },
      },
    ],
  }));
  server.registerTool(
    'test_tool_with_logging',
    { description: 'Sends three info log messages, 50 ms apart' },
    async (extra) => {
      const log = (data: string) =>
        extra.sendNotification({ method: 'notifications/message', params: { level: 'info', data } });
      await log('Tool execution started');
      await sleep(50);
      await log('Tool processing data');
      await sleep(50);
      await log('Tool execution completed');
      return text('Logging completed: 3 messages sent');
    },
  );
  server.registerTool(
    'test_tool_with_progress',
    { description: 'Reports progress 0, 50 and 100 of 100, 50 ms apart' },
    async (extra) => {
      const progressToken = extra._meta?.progressToken;
      for (const progress of [0, 50, 100]) {
        if (progressToken !== undefined) {
          await extra.sendNotification({
            method: 'notifications/progress',
            params: { progressToken, progress, total: 100 },
          });
        }
        if (progress < 100) await sleep(50);
      }
      return text('Progress completed');
    },
  );
  server.registerTool('test_error_handling', { description: 'Always fails' }, () => {
    throw new Error('This tool intentionally returns an error for testing');
  });
  server.registerTool(
    'test_sampling',
    { description: 'Asks the client to sample the LLM', inputSchema: { prompt: z.string() } },
    async ({ prompt }, extra) => {
      requireClientCapability(server, 'sampling');
      const result = await extra.sendRequest(
        {
          method: 'sampling/createMessage',
          params: { messages: [{ role: 'user', content: { type: 'text', text: prompt } }], maxTokens: 100 },
        },
        CreateMessageResultSchema,
      );
      const answer = result.content.type === 'text' ? result.content.text : `(${result.content.type})`;
      return text(`LLM response: ${answer}`);
    },
  );
  server.registerTool(
    'test_elicitation',
    { description: 'Asks the client for a user name and e-mail address', inputSchema: { message: z.string() } },
    async ({ message }, extra) => {
      requireClientCapability(server, 'elicitation');
      const answer = await elicit(extra, {
        message,
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return text(`User response: ${answer}`);
    },
  );
  server.registerTool(
    'test_elicitation_sep1034_defaults',
    { description: 'Elicitation whose fields of every primitive type have defaults (SEP-1034)' },
    async (extra) =>
      text(
        await elicit(extra, {
          message: 'Please review your profile',
          requestedSchema: {
            type: 'object',
            properties: {
              name: { type: 'string', description: 'Name', default: 'John Doe' },
              age: { type: 'integer', description: 'Age', default: 30 },
              score: { type: 'number', description: 'Score', default: 95.5 },
              status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
              verified: { type: 'boolean', description: 'Verified', default: true },
            },
          },
        }),
      ),
  );
  server.registerTool(
    'test_elicitation_sep1330_enums',
    { description: 'Elicitation with the five enum forms (SEP-1330)' },
    async (extra) =>
      text(
        await elicit(extra, {
          message: 'Please choose',
          requestedSchema: {
            type: 'object',
            properties: {
              untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
              titledSingle: {
                type: 'string',
                oneOf: [
                  { const: 'value1', title: 'First Option' },
                  { const: 'value2', title: 'Second Option' },
                  { const: 'value3', title: 'Third Option' },
                ],
              },
              legacyEnum: {
                type: 'string',
                enum: ['opt1', 'opt2', 'opt3'],
                enumNames: ['Option One', 'Option Two', 'Option Three'],
              },
              untitledMulti: { type: 'array', items: { type: 'string', enum: ['option1', 'option2', 'option3'] } },
              titledMulti: {
                type: 'array',
                items: {
                  anyOf: [
                    { const: 'value1', title: 'First Choice' },
                    { const: 'value2', title: 'Second Choice' },
                    { const: 'value3', title: 'Third Choice' },
                  ],
                },
              },
            },
          },
        }),
      ),
  );
  server.registerTool(
    'json_schema_2020_12_tool',
    {
      description: 'Tool with JSON Schema 2020-12 features',
      inputSchema: z.strictObject({ name: z.string().optional(), address: ADDRESS.optional() }),
    },
    ({ name }) => text(`Hello ${name ?? 'nobody'}`),
  );
  server.registerTool(
    'test_reconnection',
    { description: 'Closes its SSE stream mid-call, then answers on the stream the client resumes (SEP-1699)' },
    async (extra) => {
      await sleep(50);
      extra.closeSSEStream?.();
      await sleep(200);
      return text('Reconnection test completed');
    },
  );
}

function registerResources(server: McpServer): void {
  server.registerResource(
    'static-text',
    'test://static-text',
    { description: 'A static text resource', mimeType: 'text/plain' },
    (uri) => ({
      contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'This is the content of the static text resource.' }],
    }),
  );
  server.registerResource(
    'static-binary',
    'test://static-binary',
    { description: 'A static binary resource (a PNG)', mimeType: 'image/png' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'image/png', blob: PNG }] }),
  );
  server.registerResource(
    'template-data',
    new ResourceTemplate('test://template/{id}/data', { list: undefined }),
    { description: 'Data by id', mimeType: 'application/json' },
    (uri, { id }) => ({
      contents: [
        {
          uri: uri.href,
          mimeType: 'application/json',
          text: JSON.stringify({ id, templateTest: true, data: `Data for ID: ${String(id)}` }),
        },
      ],
    }),
  );
  server.registerResource(
    'watched-resource',
    'test://watched-resource',
    { description: 'A resource clients may subscribe to', mimeType: 'text/plain' },
    (uri) => ({ contents: [{ uri: uri.href, mimeType: 'text/plain', text: 'Watched resource content' }] }),
  );
  const subscriptions = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, ({ params }) => {
    subscriptions.add(params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, ({ params }) => {
    subscriptions.delete(params.uri);
    return {};
  });
}

function registerPrompts(server: McpServer): void {
  server.registerPrompt('test_simple_prompt', { description: 'A prompt without arguments' }, () => ({
    messages: [{ role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } }],
  }));
  server.registerPrompt(
    'test_prompt_with_arguments',
    {
      description: 'A prompt with two arguments',
      argsSchema: {
        arg1: completable(z.string().describe('First test argument'), (value) =>
          ['paris', 'park', 'party', 'test', 'testValue1'].filter((v) => v.startsWith(value)),
        ),
        arg2: z.string().describe('Second test argument'),
      },
    },
    ({ arg1, arg2 }) => ({
      messages: [
        { role: 'user', content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` } },
      ],
    }),
  );
  server.registerPrompt(
    'test_prompt_with_embedded_resource',
    {
      description: 'A prompt embedding the resource it is given',
      argsSchema: { resourceUri: z.string().describe('URI of the resource to embed') },
    },
    ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: { uri: resourceUri, mimeType: 'text/plain', text: 'Embedded resource content for testing.' },
          },
        },
        { role: 'user', content: { type: 'text', text: 'Please process the embedded resource above.' } },
      ],
    }),
  );
  server.registerPrompt('test_prompt_with_image', { description: 'A prompt with an image' }, () => ({
    messages: [
      { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
    ],
  }));
}

/**
 * A new conformance server (one per session). Install middleware on it before connecting it.
 *
 * @returns the server, with every tool, resource and prompt registered
 */
export function createConformanceServer(): McpServer {
  const server = new McpServer(
    { name: 'mcp-resource-guard-conformance', version: '1.0.0' },
    { capabilities: { logging: {}, resources: { subscribe: true } } },
  );
  registerTools(server);
  registerResources(server);
  registerPrompts(server);
  return server;
}
