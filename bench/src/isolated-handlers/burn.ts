/**
 * The isolation scenario's CPU-bound tool for throughput: a fixed amount of work (xorshift steps, the count given by
 * the call, calibrated in the runner), the same in-process and in a worker.
 */

/** Its arguments. */
export interface BurnArgs {
  readonly iterations: number;
}

/**
 * The handler.
 *
 * @param args - how many steps
 * @returns a value derived from every step (so the loop is not optimised away)
 */
export default function burn(args: BurnArgs): { content: { type: 'text'; text: string }[] } {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < args.iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return { content: [{ type: 'text', text: String(x & 1) }] };
}
