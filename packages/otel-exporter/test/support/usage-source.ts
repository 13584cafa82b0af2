// A usage source whose measured figures per call the test sets (applied on every sample and at the end of the call).
import type { MeasuredResource, ToolCall, UsageSource } from '@mcp-resource-guard/core';

export interface ScriptedUsage extends UsageSource {
  set(call: ToolCall, usage: Partial<Record<MeasuredResource, number>>): void;
}

export function scriptedUsage(): ScriptedUsage {
  const usage = new Map<ToolCall, Partial<Record<MeasuredResource, number>>>();
  const apply = (call: ToolCall): void => {
    for (const [resource, value] of Object.entries(usage.get(call) ?? {})) {
      call.measure(resource as MeasuredResource, value);
    }
  };
  return {
    name: 'scripted',
    set: (call, u) => {
      usage.set(call, { ...usage.get(call), ...u });
    },
    sample(calls) {
      for (const call of calls) apply(call);
    },
    callEnded: apply,
  };
}
