// The guard's metrics through @opentelemetry/exporter-prometheus, scraped by a real Prometheus server, from real tool
// calls through an MCP server; the example alert rules and dashboard queries evaluated by that Prometheus.
// Needs the `prometheus` and `promtool` binaries (Debian: apt-get install prometheus); skipped without them.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { instrumentGuard } from '@mcp-resource-guard/otel-exporter';
import { sleep, until } from '@mcp-resource-guard/test-support';
import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driveScenario, type OtelMcpServer, startOtelMcpServer } from './support/otel-mcp-server.js';
import {
  freePort,
  hasBinary,
  type PrometheusServer,
  type PromSample,
  startPrometheus,
} from './support/otel-prometheus.js';

const hasPrometheus = hasBinary('prometheus');
const hasPromtool = hasBinary('promtool');
const SKIPPED_PROMETHEUS = hasPrometheus
  ? ''
  : ' [skipped: no `prometheus` binary on PATH; apt-get install prometheus]';
const SKIPPED_PROMTOOL = hasPromtool ? '' : ' [skipped: no `promtool` binary on PATH; apt-get install prometheus]';
if (!hasPrometheus || !hasPromtool) {
  console.warn(`otel-prometheus.test.ts:${SKIPPED_PROMETHEUS}${SKIPPED_PROMTOOL}`);
}

const observability = fileURLToPath(new URL('../examples/observability/', import.meta.url));
const ALERTS = `${observability}alerts.yml`;
const ALERT_TESTS = `${observability}alerts.test.yml`;
const DASHBOARD = `${observability}dashboard.json`;

let prom: PrometheusServer;
let mcp: OtelMcpServer;
let meterProvider: MeterProvider;

/** One sample's value by the given label, e.g. `byLabel(samples, 'gen_ai_tool_name')`. */
const byLabel = (samples: PromSample[], label: string) =>
  Object.fromEntries(samples.map((s) => [s.metric[label] ?? '', s.value]));
const counts = (tool: string) => mcp.records.filter((r) => r.toolName === tool).length;

beforeAll(async () => {
  if (!hasPrometheus) return;
  // The exporter serves on a port found free just before; another process may take it in between: retry.
  let port = 0;
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    const exporter = new PrometheusExporter({ host: '127.0.0.1', port, preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    try {
      await exporter.startServer();
      meterProvider = provider;
      break;
    } catch (error) {
      await provider.shutdown().catch(() => {});
      if (attempt === 3) throw error;
    }
  }
  mcp = await startOtelMcpServer();
  instrumentGuard(mcp.guard, { meterProvider });
  prom = await startPrometheus({ target: `127.0.0.1:${port}`, ruleFiles: [ALERTS] });
  await prom.waitFor('up{job="mcp"}', (s) => s[0]?.value === 1, 'a scrape of the exporter');

  // Two batches with a scrape between them, so that rates over the window are positive.
  await driveScenario(mcp);
  await prom.waitFor(
    'mcp_server_operation_duration_count{gen_ai_tool_name="echo"}',
    (s) => s[0]?.value === 5,
    'a scrape of the first batch',
  );
  for (let i = 0; i < 5; i++) await mcp.call('echo', { message: `again ${i}` });
  for (let i = 0; i < 3; i++) await mcp.call('burn', { ms: 30 });
  await prom.waitFor(
    'mcp_server_operation_duration_count{gen_ai_tool_name="echo"}',
    (s) => s[0]?.value === 10,
    'a scrape of the second batch',
  );
  // A few more scrapes, so that every series has samples enough for increase() and rate().
  await sleep(3000);
}, 90_000);

afterAll(async () => {
  await prom?.stop();
  await mcp?.close();
  await meterProvider?.shutdown();
});

describe(`a real Prometheus scraping @opentelemetry/exporter-prometheus${SKIPPED_PROMETHEUS}`, () => {
  it.skipIf(!hasPrometheus)(
    'has the MCP duration histogram per tool and outcome, with every call counted',
    async () => {
      const total = await prom.query('sum by (gen_ai_tool_name, error_type) (mcp_server_operation_duration_count)');
      const got = Object.fromEntries(
        total.map((s) => [`${s.metric.gen_ai_tool_name}/${s.metric.error_type ?? ''}`, s.value]),
      );
      const expected: Record<string, number> = {};
      for (const r of mcp.records) {
        const errorType = r.outcome === 'ok' ? '' : r.outcome === 'limit' ? 'resource_limit' : r.outcome;
        const key = `${r.toolName}/${errorType}`;
        expected[key] = (expected[key] ?? 0) + 1;
      }
      expect(got).toEqual(expected);
      expect(got).toMatchObject({ 'echo/': 10, 'burn/': 6, 'leaky/': 2, 'fails/tool_error': 1, 'slow/timeout': 1 });

      const [sample] = await prom.query('mcp_server_operation_duration_count{gen_ai_tool_name="echo"}');
      expect(sample?.metric).toMatchObject({
        job: 'mcp',
        mcp_method_name: 'tools/call',
        gen_ai_operation_name: 'execute_tool',
        gen_ai_tool_name: 'echo',
        otel_scope_name: '@mcp-resource-guard/otel-exporter',
      });
      // The slow call ran about 300 ms (its limit): its median falls in the (0.2, 0.5] s bucket
      // (calls refused during its cool-down are recorded too, with no duration: left out here).
      const [median] = await prom.query(
        'histogram_quantile(0.5, sum by (le) (mcp_server_operation_duration_bucket{gen_ai_tool_name="slow",error_type!="rejected"}))',
      );
      expect(median?.value).toBeGreaterThan(0.2);
      expect(median?.value).toBeLessThanOrEqual(0.5);
    },
  );

  it.skipIf(!hasPrometheus)('has per-tool CPU time equal to what the guard attributed to the calls', async () => {
    const cpu = byLabel(await prom.query('mcp_resource_guard_call_cpu_time_sum'), 'gen_ai_tool_name');
    const attributed = mcp.records
      .filter((r) => r.toolName === 'burn')
      .reduce((t, r) => t + r.usage.cpuTimeMs / 1000, 0);
    expect(attributed).toBeGreaterThan(0.1); // 6 calls of 30 ms of busy loop
    expect(cpu.burn).toBeCloseTo(attributed, 9);
    expect(cpu.burn).toBeGreaterThan(10 * (cpu.echo ?? 0));
    const [rate] = await prom.query(
      'sum by (gen_ai_tool_name) (rate(mcp_resource_guard_call_cpu_time_sum{gen_ai_tool_name="burn"}[1m]))',
    );
    expect(rate?.value).toBeGreaterThan(0);
  });

  it.skipIf(!hasPrometheus)(
    'counts the limit levels, throttles and the emergency of the tool driven past its limit',
    async () => {
      const reported = mcp.guard.snapshot().tools.slow;
      const levels = byLabel(
        await prom.query(
          'sum by (mcp_resource_guard_limit_level) (mcp_resource_guard_limit_entries_total{gen_ai_tool_name="slow", mcp_resource_guard_resource="execution_time", mcp_resource_guard_scope="call"})',
        ),
        'mcp_resource_guard_limit_level',
      );
      expect(levels).toEqual(Object.fromEntries(Object.entries(reported?.levelEntries ?? {}).filter(([, n]) => n > 0)));
      expect(levels.cleanup).toBe(1);
      expect(levels.emergency).toBe(1);
      const emergencies = await prom.query('mcp_resource_guard_emergencies_total');
      expect(emergencies.map((s) => [s.metric.gen_ai_tool_name, s.metric.mcp_resource_guard_scope, s.value])).toEqual([
        ['slow', 'call', 1],
      ]);
      const throttles = byLabel(
        await prom.query(
          'sum by (mcp_resource_guard_throttle_action) (mcp_resource_guard_throttle_events_total{gen_ai_tool_name="slow"})',
        ),
        'mcp_resource_guard_throttle_action',
      );
      const emitted: Record<string, number> = {};
      for (const e of mcp.events.throttle) emitted[e.action] = (emitted[e.action] ?? 0) + 1;
      expect(throttles).toEqual(emitted);
      expect(throttles.rejected).toBe(1);
      const [state] = await prom.query('mcp_resource_guard_tool_status{gen_ai_tool_name="slow"} == 1');
      expect(state?.metric.mcp_resource_guard_tool_state).toBe('deactivated');
      const [cleanups] = await prom.query(
        'mcp_resource_guard_cleanups_total{gen_ai_tool_name="slow", mcp_resource_guard_cleanup_reason="timeout"}',
      );
      expect(cleanups?.value).toBe(1);
    },
  );

  it.skipIf(!hasPrometheus)('counts the leaked FileHandles and their cleanup', async () => {
    const [leaked] = await prom.query('mcp_resource_guard_handle_leaked_total');
    expect(leaked?.metric).toMatchObject({ gen_ai_tool_name: 'leaky', mcp_resource_guard_handle_kind: 'file' });
    expect(leaked?.value).toBe(counts('leaky'));
    const [closed] = await prom.query(
      'mcp_resource_guard_handle_closed_total{mcp_resource_guard_cleanup_reason="leak", mcp_resource_guard_handle_kind="file"}',
    );
    expect(closed?.value).toBe(2);
    const [duration] = await prom.query(
      'mcp_resource_guard_cleanup_duration_count{gen_ai_tool_name="leaky", mcp_resource_guard_cleanup_reason="leak"}',
    );
    expect(duration?.value).toBe(2);
    expect(await prom.query('mcp_resource_guard_handle_close_failed_total')).toEqual([]);
  });

  it.skipIf(!hasPrometheus)('uses no label beyond the documented ones, and no id as a label value', async () => {
    const series = await prom.query('{__name__=~"mcp_.+"}');
    expect(series.length).toBeGreaterThan(50);
    const allowed = new Set([
      '__name__',
      'job',
      'instance',
      'otel_scope_name',
      'otel_scope_version',
      'le',
      'mcp_method_name',
      'gen_ai_operation_name',
      'gen_ai_tool_name',
      'error_type',
      'mcp_resource_guard_handle_kind',
      'mcp_resource_guard_limit_level',
      'mcp_resource_guard_resource',
      'mcp_resource_guard_scope',
      'mcp_resource_guard_cleanup_reason',
      'mcp_resource_guard_cleanup_mode',
      'mcp_resource_guard_tool_state',
      'mcp_resource_guard_throttle_action',
    ]);
    const callIds = new Set(mcp.records.map((r) => r.callId));
    for (const s of series) {
      for (const [label, value] of Object.entries(s.metric)) {
        expect(allowed.has(label), label).toBe(true);
        if (label !== 'instance' && label !== 'le') expect(callIds.has(value), `${label}=${value}`).toBe(false);
      }
    }
  });

  it.skipIf(!hasPrometheus)(
    'loads the example alert rules and fires warn, throttle, cleanup, emergency and rejection alerts',
    async () => {
      const rules = await prom.api<{ groups: { rules: { name: string; health: string; lastError?: string }[] }[] }>(
        'rules',
      );
      const loaded = rules.groups.flatMap((g) => g.rules);
      expect(loaded.length).toBe(8);
      for (const rule of loaded) expect(rule.health, `${rule.name} ${rule.lastError ?? ''}`).toBe('ok');

      const expected = [
        'McpResourceGuardWarnLevel',
        'McpResourceGuardThrottleLevel',
        'McpResourceGuardCleanupLevel',
        'McpResourceGuardEmergency',
        'McpResourceGuardCallsRejected',
      ];
      type Alert = { labels: Record<string, string>; state: string };
      let alerts: Alert[] = [];
      // Up to 80 s: rule evaluation follows scrapes, and a loaded machine stretches both (40 s was once
      // too short, with the whole suite running right after a benchmark).
      await until(
        async () => {
          alerts = (await prom.api<{ alerts: Alert[] }>('alerts')).alerts;
          const firing = new Set(alerts.filter((a) => a.state === 'firing').map((a) => a.labels.alertname));
          return expected.every((name) => firing.has(name));
        },
        {
          what: () => `${expected.join(', ')} firing; got ${JSON.stringify(alerts)}`,
          timeoutMs: 80_000,
          intervalMs: 250,
        },
      );
      const firing = alerts.filter((a) => a.state === 'firing');
      for (const name of expected) {
        expect(
          firing.find((a) => a.labels.alertname === name),
          `${name} firing; got ${JSON.stringify(alerts)}`,
        ).toBeDefined();
      }
      // Every alert is about the tool driven past its limit; none about the tools that stayed within theirs.
      for (const alert of alerts) expect(alert.labels.gen_ai_tool_name, alert.labels.alertname).toBe('slow');
      expect(firing.find((a) => a.labels.alertname === 'McpResourceGuardEmergency')?.labels).toMatchObject({
        severity: 'critical',
        mcp_resource_guard_scope: 'call',
        mcp_resource_guard_resource: 'execution_time',
      });
    },
    100_000,
  );

  it.skipIf(!hasPrometheus)(
    'answers every query of the example Grafana dashboard, with data for the key panels',
    async () => {
      interface Panel {
        title: string;
        type: string;
        targets?: { expr: string }[];
      }
      const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
      const substitute = (expr: string) =>
        expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', '.*').replaceAll('$tool', '.*');
      const results = new Map<string, PromSample[]>();
      for (const panel of dashboard.panels) {
        for (const target of panel.targets ?? []) {
          // A query Prometheus rejects throws here, naming the panel.
          const samples = await prom.query(substitute(target.expr)).catch((error: unknown) => {
            throw new Error(`panel "${panel.title}": ${String(error)}`);
          });
          results.set(panel.title, [...(results.get(panel.title) ?? []), ...samples]);
        }
      }
      const withData = [
        'Calls per second, by tool',
        'Duration p50 and p99, by tool',
        'CPU, by tool (CPU seconds per second)',
        'Limit levels entered, by tool, level and resource',
        'Throttle events, by tool and action',
        'Cleanups, by tool and reason',
        'Leaked handles, by tool and kind',
        'Tool state',
      ];
      for (const title of withData) {
        expect(results.has(title), title).toBe(true);
        expect(results.get(title)?.length, title).toBeGreaterThan(0);
      }
      const cpu = byLabel(results.get('CPU, by tool (CPU seconds per second)') ?? [], 'gen_ai_tool_name');
      expect(cpu.burn).toBeGreaterThan(0);
    },
  );
});

describe(`the example alert rules${SKIPPED_PROMTOOL}`, () => {
  it.skipIf(!hasPromtool)('pass promtool check rules', () => {
    const result = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('SUCCESS: 8 rules found');
  });

  it.skipIf(!hasPromtool)('pass their promtool unit tests (alerts.test.yml)', () => {
    const result = spawnSync('promtool', ['test', 'rules', ALERT_TESTS], { encoding: 'utf8', timeout: 30_000 });
    expect(result.status, `${result.stdout}\n${result.stderr}`).toBe(0);
    expect(result.stdout).toContain('SUCCESS');
  });
});
