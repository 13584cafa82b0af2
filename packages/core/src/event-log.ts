/**
 * Writes the guard's events an operator should see to its logger, one line each, in plain words with the details
 * as fields: a leak closed or left open, a call stopped at a limit, a tool or session deactivated and back, a blocked
 * event loop, an internal failure. Nothing is written for a call that ended clean.
 */

import type { CleanupReport } from './cleanup.js';
import type { EventHub } from './event-hub.js';
import type { GuardEvents } from './guard-events.js';
import type { GuardLogger } from './guard-logger.js';

const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function logCleanup(logger: GuardLogger, r: CleanupReport): void {
  const fields: Record<string, unknown> = { tool: r.toolName, callId: r.callId, sessionId: r.sessionId };
  if (r.taskId !== undefined) fields.taskId = r.taskId;
  if (r.mode === 'report') {
    logger.info(
      { ...fields, event: 'leak_reported', reason: r.reason, open: r.failed, handles: r.survivors },
      `${plural(r.survived, 'handle')} the call left open ${r.survived === 1 ? 'was' : 'were'} left running (leaks policy 'report')`,
    );
    return;
  }
  if (r.attempted === 0) return;
  const closedCount = r.attempted - r.survived;
  const what = r.reason === 'leak' ? 'the call left open' : `of a call stopped (${r.reason})`;
  const survived = r.survived > 0 ? `; ${plural(r.survived, 'handle')} could not be closed` : '';
  logger.warn(
    {
      ...fields,
      event: r.reason === 'leak' ? 'leak_closed' : 'cleanup',
      reason: r.reason,
      closed: r.closed,
      survived: r.survived,
      ...(r.survived > 0 ? { survivors: r.survivors } : {}),
      durationMs: Math.round(r.durationMs * 100) / 100,
    },
    `closed ${plural(closedCount, 'handle')} ${what}${survived}`,
  );
}

/**
 * Subscribes the logger to the guard's events.
 *
 * @param events - the guard's events (subscribed for the guard's whole life, late cleanups after close() included)
 * @param logger - where lines go
 */
export function logGuardEvents(events: EventHub<GuardEvents>, logger: GuardLogger): void {
  events.on('cleanup', (r) => logCleanup(logger, r));
  events.on('limit', (e) => {
    if (e.level === undefined || e.level === 'emergency' || e.previous === e.level) return;
    const fields = {
      event: 'limit',
      scope: e.scope,
      tool: e.tool,
      callId: e.callId,
      sessionId: e.sessionId,
      limitName: e.limitName,
      limitLevel: e.level,
      usage: Math.round(e.usage * 100) / 100,
      limit: e.limit,
    };
    const where = e.scope === 'call' ? 'a call' : `the ${e.scope}`;
    if (e.level === 'cleanup') {
      logger.warn(fields, `${where} reached ${e.limitName} (${fields.usage} of ${e.limit}): stopped`);
    } else if (e.level === 'throttle' && e.scope !== 'call') {
      logger.info(fields, `${where} reached ${Math.round(e.ratio * 100)} % of ${e.limitName}: new calls wait`);
    } else {
      logger.debug(fields, `${where} reached ${Math.round(e.ratio * 100)} % of ${e.limitName}`);
    }
  });
  events.on('emergency', (e) =>
    logger.error(
      {
        event: 'emergency',
        scope: e.scope,
        tool: e.tool,
        sessionId: e.sessionId,
        resource: e.resource,
        usage: Math.round(e.usage * 100) / 100,
        limit: e.limit,
        coolDownMs: e.coolDownMs,
        stoppedCalls: e.stoppedCalls,
      },
      `${e.tool === undefined ? `the ${e.scope}` : `tool ${e.tool}`}${e.sessionId === undefined ? '' : ` (session ${e.sessionId})`} reached the emergency level of its ${e.resource} limit: refused for ${Math.round(e.coolDownMs / 1000)} s, ${plural(e.stoppedCalls, 'call')} stopped`,
    ),
  );
  events.on('state', (e) => {
    if (e.from === 'deactivated' && e.to !== 'unregistered') {
      logger.info(
        { event: 'state', tool: e.tool, from: e.from, to: e.to, reason: e.reason },
        `tool ${e.tool} is available again`,
      );
    }
  });
  events.on('blocked', (e) =>
    logger.warn(
      { event: 'blocked', durationMs: Math.round(e.durationMs), tool: e.tool, callId: e.callId },
      `the event loop was blocked for ${Math.round(e.durationMs)} ms${e.tool === undefined ? '' : ` in a call of ${e.tool}`}`,
    ),
  );
  events.on('internalError', (e) =>
    logger.error(
      { event: 'internal_error', source: e.source, err: e.error },
      `the guard failed in ${e.source}; the tool call went on untracked there`,
    ),
  );
}
