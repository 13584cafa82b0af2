/**
 * The isolation scenario's trivial tool: answers with its text argument. The same function is registered in-process
 * and, through `isolated()`, as a worker's handler module, so the two differ only in where the handler runs.
 */

/** Its arguments. */
export interface EchoArgs {
  readonly text?: string;
}

/**
 * The handler.
 *
 * @param args - the call's arguments
 * @returns the text, as the tool's result
 */
export default function echo(args: EchoArgs | undefined): { content: { type: 'text'; text: string }[] } {
  return { content: [{ type: 'text', text: String(args?.text ?? '') }] };
}
