/**
 * What the client (and the model reading the result) is told when the guard stops or refuses a call: plain words
 * and what to try, in MiB, ms and counts; the operator's details (level, scope, the option to raise) go to the
 * result's `_meta` and the audit log, not into the text.
 */

import { CallRefused, ErrorCode, type Refusal, ResourceGuardError } from '@mcp-resource-guard/core';
import { errorResult, type ToolCallResult } from './tool-call-result.js';

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
  if (CallRefused.is(error)) return refusalText(error.refusal);
  if (error.code === ErrorCode.LimitExceeded) return limitText(error.data ?? {});
  return error.message;
}

function refusalText(r: Refusal): string {
  const again = r.retryAfterMs === undefined ? 'try again later' : `try again in ${seconds(r.retryAfterMs)}`;
  switch (r.cause) {
    case 'queue_full':
    case 'wait_timeout':
      return r.scope === 'tool'
        ? `the tool is busy right now; ${again}`
        : r.scope === 'session'
          ? `this session's calls are using their whole budget right now; ${again}`
          : `the server is busy right now; ${again}`;
    case 'emergency':
      if (r.code === ErrorCode.Throttled) return `the server is refusing calls for now after a runaway call; ${again}`;
      return r.scope === 'session'
        ? `the tool is unavailable to this session for now, after one of its calls overran the tool's limits; ${again}`
        : `the tool is unavailable for now, after its calls overran its limits; ${again}`;
    case 'probing':
      return `the tool is being tested after its calls overran its limits; ${again}`;
    default:
      return `the tool is unavailable; ${again}`;
  }
}

/**
 * The answer for a call the guard refused or stopped: an `isError` result whose text the model can act on, with
 * the operator's details (the guard's own message, the level, scope and limit, what to raise) in `_meta`.
 *
 * @param error - the guard's error
 * @returns the result
 */
export function guardErrorResult(error: ResourceGuardError): ToolCallResult {
  return errorResult(clientMessage(error), {
    code: error.code,
    ...(error.data ?? {}),
    message: error.message,
    hint: error.hint,
  });
}

/**
 * The answer for a call the guard stopped, from its stop reason (normally the guard's error).
 *
 * @param reason - why the call was stopped
 * @returns the result
 */
export function stoppedResult(reason: unknown): ToolCallResult {
  return ResourceGuardError.is(reason) ? guardErrorResult(reason) : errorResult(String(reason));
}
