// Against a real Prometheus (Debian's `prometheus`, over blocks backfilled with promtool): the client,
// the rounds (with an injected clock, so ten minutes of rounds take a moment) and the whole run.
import {
  analyze,
  parseMetricsDefinition,
  PrometheusClient,
  PrometheusUnavailableError,
  QueriesUnusableError,
  QueryRejectedError,
  runCanaryAnalyze,
  sequentialBoundaries,
  type AnalysisPlan,
} from '@shiprail/canary-analyze';
import type { Clock } from '@shiprail/core';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { dirname } from 'node:path';
import {
  freePort,
  listenOnLoopback,
  type LoopbackListener,
  SYNTHETIC_METRICS_YAML,
  canaryOpenMetrics,
  startPrometheus,
  type PrometheusServer,
} from '@shiprail/rehearsal/servers';
import { createTestRuntime, silentLog } from '@shiprail/testkit';

const MINUTE = 60_000;
const end = Math.floor(Date.now() / 15_000) * 15_000;
const canaryMetrics = await parseMetricsDefinition(SYNTHETIC_METRICS_YAML, { file: 'canary.yml' });
let prometheus: PrometheusServer;

beforeAll(async () => {
  prometheus = await startPrometheus({ openMetrics: canaryOpenMetrics({ end, minutes: 30 }) });
});
afterAll(async () => {
  await prometheus.stop();
});

/** A clock that jumps instead of waiting. */
function fakeClock(start: number): Clock & { sleeps: number[] } {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleep: (ms) => {
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
    sleeps,
  };
}

function plan(app: string, overrides: Partial<AnalysisPlan> = {}): AnalysisPlan {
  return {
    metrics: canaryMetrics,
    baseline: `app="${app}",track="stable"`,
    canary: `app="${app}",track="canary"`,
    durationMs: 0,
    intervalMs: 10 * MINUTE,
    stepMs: 15_000,
    thresholds: { pass: 95, marginal: 75 },
    ...overrides,
  };
}

describe('PrometheusClient against Prometheus', () => {
  test('a range query returns one series with a sample every step', async () => {
    const client = new PrometheusClient({ url: prometheus.url });
    const series = await client.queryRange({
      query: 'sum(rate(http_requests_total{app="healthy",track="stable"}[1m]))',
      start: end - 10 * MINUTE,
      end,
      stepMs: 15_000,
    });
    expect(series).toHaveLength(1);
    expect(series[0]?.points).toHaveLength(41);
    expect(series[0]?.points[0]?.[0]).toBe(end - 10 * MINUTE);
    // About 20 requests per second were generated.
    expect(series[0]?.points[5]?.[1]).toBeGreaterThan(15);
    expect(series[0]?.points[5]?.[1]).toBeLessThan(25);
  });

  test("a rejected query throws Prometheus' own error", async () => {
    const client = new PrometheusClient({ url: `${prometheus.url}/` });
    const failure = client.queryRange({ query: 'sum(rate(x[1m])', start: end - MINUTE, end, stepMs: 15_000 });
    await expect(failure).rejects.toThrow(QueryRejectedError);
    await expect(failure).rejects.toThrow(/unclosed left parenthesis/);
  });
});

describe('analysis rounds with an injected clock', () => {
  test.each([
    ['healthy', 'pass', 100],
    ['errors', 'fail', 50],
    ['slow', 'fail', 50],
    ['idle', 'inconclusive', 0],
  ])('duration 0 judges the last interval once: %s -> %s', async (app, decision, score) => {
    const clock = fakeClock(end);
    const result = await analyze(plan(app), new PrometheusClient({ url: prometheus.url }), clock, silentLog);
    expect(result.verdict).toMatchObject({ decision, score });
    expect(result.rounds).toHaveLength(1);
    expect(result.rounds[0]).toMatchObject({ start: end - 10 * MINUTE, end });
    expect(clock.sleeps).toEqual([]);
  });

  test('a healthy canary is judged every interval over all samples since the start, until duration', async () => {
    const start = end - 12 * MINUTE;
    const clock = fakeClock(start);
    const result = await analyze(
      plan('healthy', { durationMs: 10 * MINUTE, intervalMs: 2 * MINUTE }),
      new PrometheusClient({ url: prometheus.url }),
      clock,
      silentLog,
    );
    expect(result.rounds.map((round) => [round.start - start, round.end - start, round.verdict.decision])).toEqual([
      [0, 2 * MINUTE, 'pass'],
      [0, 4 * MINUTE, 'pass'],
      [0, 6 * MINUTE, 'pass'],
      [0, 8 * MINUTE, 'pass'],
      [0, 10 * MINUTE, 'pass'],
    ]);
    // Each round holds the samples of the whole analysis so far.
    const samples = result.rounds.map((round) => round.metrics[0]?.judgement?.canary.count);
    expect(samples).toEqual([9, 17, 25, 33, 41]);
    expect(clock.sleeps).toEqual(new Array(5).fill(2 * MINUTE));
    expect(result.stoppedEarly).toBe(false);
  });

  test('a failing canary stops the analysis at the first failing round', async () => {
    const clock = fakeClock(end - 12 * MINUTE);
    const result = await analyze(
      plan('errors', { durationMs: 10 * MINUTE, intervalMs: 2 * MINUTE }),
      new PrometheusClient({ url: prometheus.url }),
      clock,
      silentLog,
    );
    // After 2 minutes, 9 samples of [1m] windows are worth 2.25 independent ones: not yet evidence. The
    // early rounds' boundaries are the O'Brien-Fleming ones of five looks, stricter than the last.
    expect(result.rounds.map((round) => round.verdict.decision)).toEqual(['pass', 'pass', 'pass', 'fail']);
    expect(result.rounds.map((round) => round.boundary)).toEqual(
      sequentialBoundaries([0.2, 0.4, 0.6, 0.8, 1], 0.02).slice(0, 4),
    );
    expect(result.rounds[0]?.metrics[0]?.judgement?.dependence?.effective.canary).toBe(2.25);
    expect(result.stoppedEarly).toBe(true);
    expect(result.verdict.decision).toBe('fail');
    expect(result.rounds[3]?.metrics.map((metric) => metric.classification)).toEqual(['High', 'Pass']);
  });

  test('a critical metric failing makes the score 0 (and without critical the same data is marginal)', async () => {
    const yaml = (critical: boolean): string => `metrics:
  - name: error-rate
    query: sum(rate(http_requests_total{ {{selector}}, code="500" }[1m])) / sum(rate(http_requests_total{ {{selector}} }[1m]))
    direction: increase
    critical: ${critical}
  - name: latency
    query: sum(rate(http_request_duration_seconds_sum{ {{selector}} }[1m])) / sum(rate(http_request_duration_seconds_count{ {{selector}} }[1m]))
    weight: 9
`;
    const judge = async (critical: boolean) =>
      analyze(
        plan('critical', { metrics: await parseMetricsDefinition(yaml(critical), { file: 'm.yml' }) }),
        new PrometheusClient({ url: prometheus.url }),
        fakeClock(end),
        silentLog,
      );
    expect((await judge(true)).verdict).toMatchObject({ decision: 'fail', score: 0 });
    expect((await judge(false)).verdict).toMatchObject({ decision: 'marginal', score: 90 });
  });

  test("a rejected query makes the analysis inconclusive, naming the metric and showing Prometheus' error", async () => {
    const metrics = await parseMetricsDefinition(
      `${SYNTHETIC_METRICS_YAML}  - name: broken\n    query: sum(rate(http_requests_total{ {{selector}} }[1m])\n`,
      { file: 'm.yml' },
    );
    const result = await analyze(
      plan('healthy', { metrics }),
      new PrometheusClient({ url: prometheus.url }),
      fakeClock(end),
      silentLog,
    );
    expect(result.verdict.decision).toBe('inconclusive');
    const broken = result.rounds[0]?.metrics[2];
    expect(broken?.classification).toBe('Error');
    expect(broken?.reason).toMatch(
      /^Prometheus rejected the query of metric 'broken' \(bad_data\): .*unclosed left parenthesis/,
    );
    expect(result.verdict.reason).toMatch(/broken/);
  });

  test('a rejected query ends a multi-round analysis before the first round, without waiting', async () => {
    const metrics = await parseMetricsDefinition(
      `${SYNTHETIC_METRICS_YAML}  - name: broken\n    query: sum(rate(http_requests_total{ {{selector}} }[1m])\n`,
      { file: 'm.yml' },
    );
    const clock = fakeClock(end - 12 * MINUTE);
    const analysis = analyze(
      plan('healthy', { metrics, durationMs: 10 * MINUTE, intervalMs: MINUTE }),
      new PrometheusClient({ url: prometheus.url }),
      clock,
      silentLog,
    );
    await expect(analysis).rejects.toThrow(QueriesUnusableError);
    await expect(analysis).rejects.toThrow(
      /^canary analysis: inconclusive: Prometheus rejected the query of metric 'broken' \(bad_data\)/,
    );
    expect(clock.sleeps).toEqual([]);
  });

  test('a query returning several series is an error that says how to aggregate', async () => {
    const metrics = await parseMetricsDefinition(
      'metrics:\n  - name: per-code\n    query: rate(http_requests_total{ {{selector}} }[1m])\n',
      {
        file: 'm.yml',
      },
    );
    const result = await analyze(
      plan('healthy', { metrics }),
      new PrometheusClient({ url: prometheus.url }),
      fakeClock(end),
      silentLog,
    );
    expect(result.verdict.decision).toBe('inconclusive');
    expect(result.rounds[0]?.metrics[0]?.reason).toMatch(/returned 2 series; aggregate it/);
  });
});

describe('PrometheusClient failures', () => {
  let listener: LoopbackListener | undefined;
  afterEach(async () => {
    await listener?.stop();
    listener = undefined;
  });

  async function serve(handler: Parameters<typeof createServer>[1]): Promise<string> {
    listener = await listenOnLoopback(createServer(handler));
    return listener.url;
  }

  const success = JSON.stringify({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: {},
          values: [
            [1700000000, '1.5'],
            [1700000015, 'NaN'],
          ],
        },
      ],
    },
  });

  test('retries 5xx with backoff, sends the auth headers, then succeeds', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const url = await serve((request, response) => {
      seen.push(request.headers);
      response.writeHead(seen.length < 3 ? 503 : 200, { 'content-type': 'application/json' });
      response.end(seen.length < 3 ? '{"status":"error","errorType":"unavailable","error":"overloaded"}' : success);
    });
    const delays: number[] = [];
    const client = new PrometheusClient({
      url,
      headers: [['Authorization', 'Bearer t0ken']],
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const series = await client.queryRange({
      query: 'up',
      start: 1_700_000_000_000,
      end: 1_700_000_015_000,
      stepMs: 15_000,
    });
    expect(series[0]?.points).toEqual([
      [1_700_000_000_000, 1.5],
      [1_700_000_015_000, Number.NaN],
    ]);
    expect(seen).toHaveLength(3);
    expect(seen.every((headers) => headers.authorization === 'Bearer t0ken')).toBe(true);
    expect(delays).toHaveLength(2);
    expect(delays[1]).toBeGreaterThan(delays[0] ?? 0);
  });

  test('credentials in the URL are sent as basic auth and kept out of errors', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const url = await serve((request, response) => {
      seen.push(request.headers);
      response.writeHead(500);
      response.end();
    });
    const client = new PrometheusClient({ url: url.replace('http://', 'http://reader:p%40ss@'), attempts: 1 });
    const failure = client.queryRange({ query: 'up', start: 0, end: 1000, stepMs: 1000 });
    await expect(failure).rejects.toThrow(/HTTP 500/);
    await expect(failure).rejects.not.toThrow(/p%40ss|p@ss/);
    expect(seen[0]?.authorization).toBe(`Basic ${Buffer.from('reader:p@ss').toString('base64')}`);
  });

  test.each([
    ['gives up after the attempts with the last status', 502, 'bad gateway', /HTTP 502: bad gateway/, 3],
    ['401 is not retried and points at prometheus-headers', 401, 'unauthorized', /prometheus-headers/, 1],
  ])('%s', async (_name, status, body, error, expectedCalls) => {
    let calls = 0;
    const url = await serve((_request, response) => {
      calls += 1;
      response.writeHead(status);
      response.end(body);
    });
    const client = new PrometheusClient({ url, sleep: () => Promise.resolve() });
    await expect(client.queryRange({ query: 'up', start: 0, end: 1000, stepMs: 1000 })).rejects.toThrow(error);
    expect(calls).toBe(expectedCalls);
  });

  test('a request that does not answer in time times out', async () => {
    const url = await serve(() => undefined);
    const client = new PrometheusClient({ url, timeoutMs: 200, attempts: 1 });
    await expect(client.queryRange({ query: 'up', start: 0, end: 1000, stepMs: 1000 })).rejects.toThrow(
      /did not answer within 200ms/,
    );
  });

  test('an unreachable Prometheus is unavailable, and the analysis is inconclusive', async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const client = new PrometheusClient({ url, sleep: () => Promise.resolve() });
    await expect(client.queryRange({ query: 'up', start: 0, end: 1000, stepMs: 1000 })).rejects.toThrow(
      PrometheusUnavailableError,
    );
    const result = await analyze(plan('healthy'), client, fakeClock(end), silentLog);
    expect(result.verdict.decision).toBe('inconclusive');
    expect(result.verdict.reason).toMatch(
      /2 of 2 metrics could not be queried .*could not reach Prometheus.*ECONNREFUSED/,
    );
  });
});

describe('runCanaryAnalyze in-process', () => {
  test('outputs, a JSON report of every round and metric, and a summary that starts with the decision', async () => {
    const runtime = createTestRuntime({
      inputs: {
        'prometheus-url': prometheus.url,
        metrics: SYNTHETIC_METRICS_YAML,
        baseline: 'app="healthy",track="stable"',
        canary: 'app="healthy",track="canary"',
        duration: '6m',
        interval: '3m',
      },
    });
    runtime.clock = fakeClock(end - 8 * MINUTE);
    await runCanaryAnalyze(runtime);
    expect(runtime.outputs).toMatchObject({ decision: 'pass', score: '100' });
    const reportPath = runtime.outputs['report'] ?? '';
    try {
      const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
        decision: string;
        rounds: Array<{ decision: string; metrics: Array<Record<string, unknown>> }>;
      };
      expect(report.decision).toBe('pass');
      expect(report.rounds).toHaveLength(2);
      expect(report.rounds[1]?.metrics[0]).toMatchObject({
        name: 'error-rate',
        classification: 'Pass',
        samples: { baseline: 25, canary: 25 },
        // [1m] windows at step 15 s: four samples share each window.
        effectiveSamples: { baseline: 6.25, canary: 6.25 },
        dependence: { samplesPerWindow: 4, varianceFactor: 4 },
        queries: { canary: expect.stringContaining('app="healthy",track="canary"') as unknown },
        statistics: { u: expect.any(Number) as unknown, pValue: expect.any(Number) as unknown },
      });
      expect(report.rounds[1]?.metrics[0]?.['series']).toBeDefined();
      expect(report.rounds[0]?.metrics[0]?.['series']).toBeUndefined();
    } finally {
      rmSync(dirname(reportPath), { recursive: true, force: true });
    }
    const summary = runtime.summaries.join('\n');
    expect(summary.split('\n')[0]).toBe('## ✅ Canary analysis: pass · score 100');
    expect(summary).toMatch(/\| \*\*error-rate\*\*<br>increase \| ✅ Pass \|/);
    expect(summary).toMatch(/\| 25 \/ 25 \| 6\.25 \/ 6\.25 \(÷ 4\) \|/);
    expect(summary.match(/```mermaid\nxychart-beta/g)).toHaveLength(2);
    expect(summary).toContain('### Rounds');
  });

  test('a failing canary sets the outputs, then fails the step', async () => {
    const runtime = createTestRuntime({
      inputs: {
        'prometheus-url': prometheus.url,
        metrics: SYNTHETIC_METRICS_YAML,
        baseline: 'app="slow",track="stable"',
        canary: 'app="slow",track="canary"',
        duration: '0',
        interval: '10m',
      },
    });
    runtime.clock = fakeClock(end);
    await expect(runCanaryAnalyze(runtime)).rejects.toThrow(/canary analysis: fail, score 50: .*latency High/);
    expect(runtime.outputs).toMatchObject({ decision: 'fail', score: '50' });
    expect(existsSync(runtime.outputs['report'] ?? '')).toBe(true);
    rmSync(dirname(runtime.outputs['report'] ?? ''), { recursive: true, force: true });
  });
});
