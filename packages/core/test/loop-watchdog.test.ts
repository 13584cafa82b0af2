import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { describe, expect, it } from 'vitest';
import { type BlockedEvent, createResourceGuard } from '../src/index.js';

function block(ms: number): void {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    // the event loop is blocked
  }
}

describe('blocked event loop watchdog', () => {
  it('reports a block when the loop recovers, naming the call that was running', async () => {
    const guard = createResourceGuard({ watchdog: { thresholdMs: 100 } });
    // Let the watchdog thread start.
    await sleep(300);
    const seen: BlockedEvent[] = [];
    guard.on('blocked', (e) => seen.push(e));
    const call = await guard.admit({ toolName: 'spin' });
    call.run(() => block(500));
    await until(() => seen.length > 0, { what: 'a blocked event', timeoutMs: 2000, intervalMs: 20 });
    call.end('ok');
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ callId: call.callId, tool: 'spin' });
    expect(seen[0]?.durationMs).toBeGreaterThanOrEqual(100);
    expect(guard.audit().some((e) => e.action === 'blocked_loop' && e.tool === 'spin')).toBe(true);
    await guard.close();
  });

  it('with exitProcess, kills the process and writes one audit line first', () => {
    const core = fileURLToPath(new URL('../dist/index.js', import.meta.url));
    const script = `
      import { createResourceGuard } from ${JSON.stringify(core)};
      const guard = createResourceGuard({ watchdog: { thresholdMs: 100, exitProcess: true } });
      setTimeout(async () => {
        const call = await guard.admit({ toolName: 'runaway' });
        call.run(() => { const end = Date.now() + 5000; while (Date.now() < end) {} });
        process.stdout.write('survived');
      }, 300);
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(result.signal).toBe('SIGKILL');
    expect(result.stdout).toBe('');
    const line = JSON.parse(result.stderr.trim().split('\n').at(-1) ?? '{}') as { action?: string; detail?: string };
    expect(line.action).toBe('blocked_loop');
    expect(line.detail).toMatch(/by call 1; exiting/);
  });
});
