// The bundled action as the runner runs it, against a real Prometheus serving the generated scenarios.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runBundledAction, type BundledActionOptions } from '@shiprail/testkit';
import {
  freePort,
  SYNTHETIC_METRICS_YAML,
  canaryOpenMetrics,
  startPrometheus,
  type PrometheusServer,
} from '@shiprail/rehearsal/servers';

let prometheus: PrometheusServer;
let workspace: string;

const CRITICAL_METRICS = `metrics:
  - name: error-rate
    query: sum(rate(http_requests_total{ {{selector}}, code="500" }[1m])) / sum(rate(http_requests_total{ {{selector}} }[1m]))
    direction: increase
    critical: true
  - name: latency
    query: sum(rate(http_request_duration_seconds_sum{ {{selector}} }[1m])) / sum(rate(http_request_duration_seconds_count{ {{selector}} }[1m]))
    direction: increase
    weight: 9
`;

beforeAll(async () => {
  // The data ends now: the analysis (duration 0) judges the last 10 minutes of it.
  prometheus = await startPrometheus({ openMetrics: canaryOpenMetrics({ minutes: 30 }) });
  workspace = mkdtempSync(join(tmpdir(), 'canary-workspace-'));
  mkdirSync(join(workspace, '.github'));
  writeFileSync(join(workspace, '.github/canary.yml'), SYNTHETIC_METRICS_YAML);
  writeFileSync(join(workspace, '.github/critical.yml'), CRITICAL_METRICS);
  writeFileSync(join(workspace, '.github/malformed.yml'), 'metrics:\n  - name: error-rate\n    query: x: y: z\n');
  writeFileSync(
    join(workspace, '.github/no-selector.yml'),
    'metrics:\n  - name: error-rate\n    direction: increase\n    query: sum(rate(http_requests_total[1m]))\n',
  );
});
afterAll(async () => {
  await prometheus.stop();
  rmSync(workspace, { recursive: true, force: true });
});

function analyze(app: string, inputs: Record<string, string> = {}, options: BundledActionOptions = {}) {
  return runBundledAction('canary-analyze', {
    workspace,
    ...options,
    inputs: {
      'prometheus-url': prometheus.url,
      metrics: '.github/canary.yml',
      baseline: `app="${app}",track="stable"`,
      canary: `app="${app}",track="canary"`,
      duration: '0',
      interval: '10m',
      ...inputs,
    },
  });
}

describe('scenarios on a real Prometheus', () => {
  test.each([
    ['healthy', 'pass', '100', 0, undefined, {}],
    ['errors', 'fail', '50', 1, /error-rate High/, {}],
    ['slow', 'fail', '50', 1, /latency High/, {}],
    ['idle', 'inconclusive', '0', 1, /2 of 2 metrics have no data/, {}],
    ['critical', 'fail', '0', 1, /critical metric error-rate failed/, { metrics: '.github/critical.yml' }],
  ])('%s canary -> %s, score %s', async (app, decision, score, exitCode, error, inputs) => {
    const run = await analyze(app, inputs);
    expect(run.outputs).toMatchObject({ decision, score });
    expect(run.exitCode).toBe(exitCode);
    if (error) {
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(error);
    } else {
      expect(run.errors).toEqual([]);
    }
    expect(run.summary.split('\n')[0]).toMatch(new RegExp(`^## .* Canary analysis: ${decision} · score ${score}$`));
  });

  test('the critical scenario without critical is only marginal (weights 1 and 9)', async () => {
    const run = await analyze('critical', { metrics: CRITICAL_METRICS.replace('critical: true', 'critical: false') });
    expect(run.outputs).toMatchObject({ decision: 'marginal', score: '90' });
    expect(run.exitCode).toBe(0);
    expect(run.warnings.join('\n')).toMatch(/marginal/);
  });

  test('the summary has the per-metric table and a chart per metric', async () => {
    const run = await analyze('slow');
    expect(run.summary).toContain(
      '| Metric | Verdict | Query | Samples (baseline / canary) | Effective samples | Baseline median | Canary median | Shift interval (98 %)',
    );
    expect(run.summary).toMatch(
      /\| \*\*latency\*\*<br>increase \| ❌ High \| `sum\(rate\(http_request_duration_seconds_sum\{ app="slow",track="canary" \}/,
    );
    expect(run.summary.match(/```mermaid\nxychart-beta\n {2}title "(error-rate|latency)"/g)).toHaveLength(2);
    // The decision comes before any table.
    expect(run.summary.indexOf('fail · score 50')).toBeLessThan(run.summary.indexOf('| Metric |'));
  });
});

describe('secrets and the report', () => {
  test('auth headers are masked first and appear in no output, log, summary or report', async () => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'canary-temp-'));
    try {
      const run = await analyze(
        'healthy',
        { 'prometheus-headers': 'Authorization: Bearer s3cr3t-t0ken\nX-Scope-OrgID: tenant-a' },
        { env: { RUNNER_TEMP: runnerTemp } },
      );
      expect(run.exitCode).toBe(0);
      expect(run.masked).toEqual(expect.arrayContaining(['Bearer s3cr3t-t0ken', 'Authorization: Bearer s3cr3t-t0ken']));
      expect(run.stdout.indexOf('::add-mask::')).toBe(run.stdout.search(/::\w/));
      const withoutMasks = run.stdout.replace(/^::add-mask::.*$/gm, '');
      expect(withoutMasks).not.toContain('s3cr3t');
      expect(run.summary).not.toContain('s3cr3t');
      expect(JSON.stringify(run.outputs)).not.toContain('s3cr3t');
      const reportPath = run.outputs['report'] ?? '';
      expect(reportPath.startsWith(runnerTemp)).toBe(true);
      const report = readFileSync(reportPath, 'utf8');
      expect(report).not.toContain('s3cr3t');
      const parsed = JSON.parse(report) as {
        decision: string;
        rounds: Array<{ metrics: Array<{ name: string; samples: unknown }> }>;
      };
      expect(parsed.decision).toBe('pass');
      expect(parsed.rounds[0]?.metrics.map((metric) => metric.name)).toEqual(['error-rate', 'latency']);
      expect(parsed.rounds[0]?.metrics[0]?.samples).toEqual({
        baseline: expect.any(Number) as unknown,
        canary: expect.any(Number) as unknown,
      });
    } finally {
      rmSync(runnerTemp, { recursive: true, force: true });
    }
  });
});

describe('Prometheus cannot answer', () => {
  test('an unreachable Prometheus is inconclusive, never pass', async () => {
    const run = await analyze('healthy', { 'prometheus-url': `http://127.0.0.1:${await freePort()}` });
    expect(run.outputs).toMatchObject({ decision: 'inconclusive' });
    expect(run.exitCode).toBe(1);
    expect(run.errors[0]).toMatch(
      /inconclusive.*could not reach Prometheus at http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED/,
    );
    expect(run.summary).toMatch(/❔ Error/);
  }, 30_000);

  test('a rejected query is inconclusive, naming the metric and showing Prometheus’ error', async () => {
    const metrics = `${SYNTHETIC_METRICS_YAML}  - name: saturation\n    query: max(rate(process_cpu_seconds_total{ {{selector}} }[1m])\n`;
    const run = await analyze('healthy', { metrics });
    expect(run.outputs['decision']).toBe('inconclusive');
    expect(run.errors[0]).toMatch(/Prometheus rejected the query of metric 'saturation' \(bad_data\): .*parse error/);
  });
});

describe('user mistakes end the step before anything is queried', () => {
  test.each([
    [{ metrics: '.github/malformed.yml' }, /^\.github\/malformed\.yml:3: malformed YAML/],
    [
      { metrics: '.github/no-selector.yml' },
      /^\.github\/no-selector\.yml:4: metrics\[0\]\.query: the query of 'error-rate' has no \{\{selector\}\}/,
    ],
    [{ metrics: '.github/absent.yml' }, /^input 'metrics': no file '\.github\/absent\.yml'/],
    [{ 'pass-score': '120' }, /^input 'pass-score': must be at most 100, got 120$/],
    [{ 'marginal-score': '-5' }, /^input 'marginal-score': must be at least 0/],
    [{ 'pass-score': '60', 'marginal-score': '80' }, /^input 'marginal-score': must not exceed pass-score \(60\)/],
  ])('%p', async (inputs, message) => {
    const runnerTemp = mkdtempSync(join(tmpdir(), 'canary-temp-'));
    try {
      const run = await analyze('healthy', inputs, { env: { RUNNER_TEMP: runnerTemp } });
      expect(run.exitCode).toBe(1);
      expect(run.errors).toHaveLength(1);
      expect(run.errors[0]).toMatch(message);
      expect(run.outputs).toEqual({});
      expect(run.summary).toBe('');
      expect(readdirSync(runnerTemp)).toEqual([]);
    } finally {
      rmSync(runnerTemp, { recursive: true, force: true });
    }
  });

  test('a file mistake is annotated at its file and line', async () => {
    const run = await analyze('healthy', { metrics: '.github/no-selector.yml' });
    expect(run.stdout).toMatch(/^::error .*file=\.github\/no-selector\.yml,line=4/m);
  });
});
