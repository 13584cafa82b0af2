// A corpus of tools registered identically on SDK v1 and v2 servers, and the calls that exercise them.
import * as z from 'zod';

export interface CorpusServer {
  registerTool(name: string, config: Record<string, unknown>, cb: (...args: never[]) => unknown): { disable(): void };
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

/** Registers the corpus; the same on both SDK majors (both accept zod v4 object schemas). */
export function registerCorpus(server: CorpusServer): void {
  server.registerTool('echo', { description: 'Echoes', inputSchema: z.object({ message: z.string() }) }, ((args: {
    message: string;
  }) => text(`echo: ${args.message}`)) as never);
  server.registerTool(
    'structured',
    {
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
    },
    ((args: { a: number; b: number }) => ({
      ...text(String(args.a + args.b)),
      structuredContent: { sum: args.a + args.b },
    })) as never,
  );
  server.registerTool('no_args', { title: 'No arguments' }, (() => text('none')) as never);
  server.registerTool('reports_error', {}, (() => ({ ...text('it failed'), isError: true })) as never);
  server.registerTool('throws', {}, (() => {
    throw new Error('tool exploded');
  }) as never);
  server.registerTool('rejects_non_error', {}, (() => Promise.reject('a plain string')) as never);
  server.registerTool('slow', {}, (async () => {
    await new Promise((r) => setTimeout(r, 15));
    return text('slow done');
  }) as never);
  server.registerTool('mixed', {}, (() => ({
    content: [
      { type: 'text', text: 'a' },
      { type: 'image', data: 'aGVsbG8=', mimeType: 'image/png' },
    ],
    _meta: { traceId: 'abc' },
  })) as never);
  server.registerTool('disabled', {}, (() => text('never')) as never).disable();
}

/** Calls made against the corpus: [tool name, arguments]. */
export const CORPUS_CALLS: readonly (readonly [string, Record<string, unknown> | undefined])[] = [
  ['echo', { message: 'hello' }],
  ['echo', { message: 42 }],
  ['echo', undefined],
  ['structured', { a: 2, b: 3 }],
  ['no_args', undefined],
  ['reports_error', undefined],
  ['throws', undefined],
  ['rejects_non_error', undefined],
  ['slow', undefined],
  ['mixed', undefined],
  ['disabled', undefined],
  ['does_not_exist', { x: 1 }],
  ['', undefined],
];
