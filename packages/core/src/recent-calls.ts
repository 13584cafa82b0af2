/**
 * The tools of the last calls to end, by call id, for the loop watchdog: a block is reported when the loop
 * comes back, often after the call that blocked it has ended. A ring of fixed size indexed by the call's
 * number: noting a call costs two array writes, and nothing is allocated per call.
 */

/** How many of the last calls are remembered. */
const SIZE = 64;

/** The last calls to end, id → tool. */
export class RecentCalls {
  readonly #ids = new Int32Array(SIZE).fill(-1);
  readonly #tools: (string | undefined)[] = new Array<string | undefined>(SIZE).fill(undefined);

  /**
   * Notes that a call ended.
   *
   * @param numericId - the call id as a number
   * @param toolName - its tool
   */
  note(numericId: number, toolName: string): void {
    const slot = numericId & (SIZE - 1);
    this.#ids[slot] = numericId;
    this.#tools[slot] = toolName;
  }

  /**
   * The tool of a call among the last to end.
   *
   * @param callId - the call id
   * @returns its tool, or undefined if the call is not among them
   */
  toolOf(callId: string): string | undefined {
    const id = Number(callId) | 0;
    const slot = id & (SIZE - 1);
    return this.#ids[slot] === id ? this.#tools[slot] : undefined;
  }
}
