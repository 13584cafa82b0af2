/**
 * What the client (and the model reading the result) is told when the guard stops or refuses a call: plain words
 * and what to try, in MiB, ms and counts; the operator's details (level, scope, the option to raise) go to the
 * result's `_meta` and the audit log, not into the text.
 */

import { ErrorCode, type ResourceGuardError } from '@mcp-resource-guard/core';

function amount(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${Math.ceil(ms)} ms` : `${amount(Math.ceil(ms / 100) / 10)} s`;
}

/** Whose budget it was, in words, by the limit's scope. */
function whose(scope: unknown): { subject: string; its: string; advice: string } {
  switch (scope) {
    case 'tool':
      return { subject: "the tool's calls together", its: 'their', advice: 'try again in a moment' };
    case 'session':
      return { subject: "this session's calls together", its: 'their', advice: 'try again in a moment' };
    case 'process':
      return { subject: 'the server', its: 'its', advice: 'try again later' };
    default:
      return { subject: 'the tool', its: 'its', advice: 'try a smaller input' };
  }
}

function limitText(data: Readonly<Record<string, unknown>>): string {
  const usage = typeof data.usage === 'number' ? data.usage : 0;
  const limit = typeof data.limit === 'number' ? data.limit : 0;
  const { subject, its, advice } = whose(data.scope);
  switch (data.resource) {
    case 'memoryMb':
      return `${subject} ran out of ${its} memory budget: ${amount(usage)} MiB of ${amount(limit)} MiB; ${advice}`;
    case 'tempStorageMb':
      return `${subject} ran out of ${its} temporary storage: ${amount(usage)} MiB of ${amount(limit)} MiB; ${advice}`;
    case 'cpuPercent':
      return `${subject} used too much CPU: ${amount(usage)} % of a core, when ${amount(limit)} % is allowed; ${advice}`;
    case 'fileHandles':
      return `${subject} had too many files open at once: ${amount(usage)}, when ${amount(limit)} are allowed; ${data.scope === 'call' || data.scope === undefined ? 'try fewer files at a time' : advice}`;
    case 'networkConnections':
      return `${subject} had too many network connections open at once: ${amount(usage)}, when ${amount(limit)} are allowed; ${data.scope === 'call' || data.scope === undefined ? 'try fewer at a time' : advice}`;
    case 'executionTimeMs':
      return data.scope === 'call' || data.scope === undefined
        ? `the tool took too long and was stopped at its time limit of ${seconds(limit)}; try a smaller or simpler request`
        : `${subject} ran out of ${its} time budget (${seconds(limit)}); ${advice}`;
    default:
      return `${subject} ran out of ${its} resource budget; ${advice}`;
  }
}

/**
 * The text the client gets for a call the guard stopped or refused.
 *
 * @param error - the guard's error
 * @returns one or two plain sentences
 */
export function clientMessage(error: ResourceGuardError): string {
  const data = error.data ?? {};
  const retry = typeof data.retryAfterMs === 'number' ? data.retryAfterMs : undefined;
  const again = retry === undefined ? 'try again later' : `try again in ${seconds(retry)}`;
  switch (error.code) {
    case ErrorCode.LimitExceeded:
      return limitText(data);
    case ErrorCode.Throttled:
      return data.scope === 'session' || data.scope === 'process'
        ? `the server is refusing calls for now after a runaway call; ${again}`
        : `the tool is busy right now; ${again}`;
    case ErrorCode.ToolDeactivated:
      return data.scope === 'session'
        ? `the tool is unavailable to this session for now, after one of its calls overran the tool's limits; ${again}`
        : `the tool is unavailable for now, after its calls overran its limits; ${again}`;
    default:
      return error.message;
  }
}
