/** A usage source whose memory figures the test sets by hand. */
import type { ToolCall, UsageSource } from '../../src/index.js';

/** A usage source reporting, for each call, the memory the test set for it (0 if none). */
export interface ScriptedMemorySource extends UsageSource {
  /** Sets the memory figure of `call`, in MB, from the next sample on. */
  set(call: ToolCall, mb: number): void;
}

/**
 * Creates a {@link ScriptedMemorySource}.
 *
 * @returns the source, to pass in `sources`
 */
export function memorySource(): ScriptedMemorySource {
  const memory = new Map<ToolCall, number>();
  return {
    name: 'test-memory',
    set: (call, mb) => memory.set(call, mb),
    sample(calls) {
      for (const call of calls) call.measure('memoryMb', memory.get(call) ?? 0);
    },
  };
}
