// A real Prometheus for tests and the demo: it scrapes live targets (the mesh traffic's `/metrics`, see
// traffic.ts) at a short interval, and serves generated series backfilled as TSDB blocks with `promtool
// tsdb create-blocks-from openmetrics` (hours of history in a moment, for the analysis's own tests).
// Plain functions (no jest globals), so `node` can import this file directly.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, waitForHttp } from './loopback.ts';

export interface PrometheusServer {
  url: string;
  /** The TSDB directory (removed by stop()). */
  dataDir: string;
  /** The process, for measuring what it costs. */
  pid: number;
  stop(): Promise<void>;
}

export interface StartPrometheusOptions {
  /** OpenMetrics text (ending with `# EOF`) to backfill. */
  openMetrics?: string;
  /** `host:port` targets whose `/metrics` is scraped (job `mesh`), every `scrapeIntervalMs`. */
  scrapeTargets?: readonly string[];
  /** Default 1 s: a judgement over seconds needs a sample every second. */
  scrapeIntervalMs?: number;
  prometheus?: string;
  promtool?: string;
  readyTimeoutMs?: number;
}

/** The configuration file: the scrape targets, if any, at the given interval. */
export function prometheusConfig(targets: readonly string[], intervalMs: number): string {
  const interval = `${Math.max(1, Math.round(intervalMs / 1000))}s`;
  if (targets.length === 0) return 'global:\n  scrape_interval: 1h\nscrape_configs: []\n';
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  scrape_timeout: ${interval}`,
    'scrape_configs:',
    '  - job_name: mesh',
    '    static_configs:',
    `      - targets: [${targets.map((target) => JSON.stringify(target)).join(', ')}]`,
    '',
  ].join('\n');
}

/** Writes the backfilled series' blocks into `dataDir`. */
function backfill(root: string, dataDir: string, openMetrics: string, promtool: string): void {
  const input = join(root, 'series.om');
  writeFileSync(input, openMetrics);
  const result = spawnSync(promtool, ['tsdb', 'create-blocks-from', 'openmetrics', '--quiet', input, dataDir], {
    encoding: 'utf8',
  });
  if (result.status !== 0) {
    rmSync(root, { recursive: true, force: true });
    throw new Error(`promtool create-blocks-from openmetrics failed: ${result.stderr || result.error?.message || ''}`);
  }
}

/** Backfills the series, starts Prometheus over them and its scrape targets; resolves once `/-/ready` answers. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const root = mkdtempSync(join(tmpdir(), 'prometheus-'));
  const dataDir = join(root, 'data');
  if (options.openMetrics === undefined) mkdirSync(dataDir);
  else backfill(root, dataDir, options.openMetrics, options.promtool ?? 'promtool');
  const config = join(root, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(options.scrapeTargets ?? [], options.scrapeIntervalMs ?? 1000));

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(
    options.prometheus ?? 'prometheus',
    [
      `--config.file=${config}`,
      `--storage.tsdb.path=${dataDir}`,
      // Retention counts back from the newest block; generous, so that no backfilled block is dropped.
      '--storage.tsdb.retention.time=3650d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => (running = false));

  const stop = async (): Promise<void> => {
    if (running) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(root, { recursive: true, force: true });
  };

  const ready = await waitForHttp(`${url}/-/ready`, {
    timeoutMs: options.readyTimeoutMs ?? 30_000,
    isRunning: () => running,
  });
  if (ready === 'ready') return { url, dataDir, pid: child.pid ?? 0, stop };
  await stop();
  throw new Error(
    ready === 'exited'
      ? `prometheus exited before it was ready: ${stderr.trim()}`
      : `prometheus was not ready within the timeout: ${stderr.trim()}`,
  );
}

/** The canary scenarios served by canaryOpenMetrics, as the `app` label. */
export const CANARY_SCENARIOS = {
  /** The canary behaves like the baseline. */
  healthy: { errorFactor: 1, latencyFactor: 1, traffic: true },
  /** Five times the baseline's share of 5xx responses. */
  errors: { errorFactor: 5, latencyFactor: 1, traffic: true },
  /** Responses 1.5 times slower. */
  slow: { errorFactor: 1, latencyFactor: 1.5, traffic: true },
  /** The canary gets no requests: its counters stay flat, so every ratio is 0/0. */
  idle: { errorFactor: 1, latencyFactor: 1, traffic: false },
  /** Twice the errors: meant for a metrics file where the error rate is critical. */
  critical: { errorFactor: 2, latencyFactor: 1, traffic: true },
} as const;
export type CanaryScenario = keyof typeof CANARY_SCENARIOS;

export interface CanaryDataOptions {
  /** The last sample's time (ms); default now. */
  end?: number;
  minutes?: number;
  scrapeSeconds?: number;
}

/** A deterministic noise in [-1, 1] per (stream, index). */
function noise(stream: number, index: number): number {
  let h = Math.imul(index + 0x9e37_79b9, 0x85eb_ca6b) ^ Math.imul(stream + 1, 0xc2b2_ae35);
  h = Math.imul(h ^ (h >>> 16), 0x7feb_352d);
  h = Math.imul(h ^ (h >>> 15), 0x846c_a68b);
  h ^= h >>> 16;
  return ((h >>> 0) / 0xffff_ffff) * 2 - 1;
}

/**
 * OpenMetrics for every scenario: `http_requests_total{app,track,code}` counters (about 20 requests/s,
 * 1 % of them 500 on the baseline) and `http_request_duration_seconds_sum`/`_count` (about 100 ms), for
 * track="stable" and track="canary". The canary replays the baseline's noise shifted by a few scrapes,
 * so a healthy canary has the same distribution without being a copy.
 */
export function canaryOpenMetrics(options: CanaryDataOptions = {}): string {
  const scrapeMs = (options.scrapeSeconds ?? 15) * 1000;
  const end = Math.floor((options.end ?? Date.now()) / scrapeMs) * scrapeMs;
  const count = Math.round(((options.minutes ?? 60) * 60_000) / scrapeMs) + 1;
  const start = end - (count - 1) * scrapeMs;
  const requests: string[] = [];
  const durationSum: string[] = [];
  const durationCount: string[] = [];
  const seconds = (ms: number): string => (ms / 1000).toFixed(3);

  for (const [app, scenario] of Object.entries(CANARY_SCENARIOS)) {
    for (const track of ['stable', 'canary'] as const) {
      const shift = track === 'canary' ? 7 : 0;
      const traffic = track === 'stable' || scenario.traffic;
      const errorFactor = track === 'canary' ? scenario.errorFactor : 1;
      const latencyFactor = track === 'canary' ? scenario.latencyFactor : 1;
      let ok = 1000;
      let failed = 10;
      let sum = 100;
      let total = 1000;
      const labels = `app="${app}",track="${track}"`;
      const okLines: string[] = [];
      const failedLines: string[] = [];
      for (let index = 0; index < count; index += 1) {
        const at = seconds(start + index * scrapeMs);
        if (index > 0 && traffic) {
          const n = index + shift;
          const perScrape = (20 + 4 * noise(1, n)) * (scrapeMs / 1000);
          const errorShare = 0.01 * (1 + 0.3 * noise(2, n)) * errorFactor;
          const latency = 0.1 * (1 + 0.2 * noise(3, n)) * latencyFactor;
          failed += perScrape * errorShare;
          ok += perScrape * (1 - errorShare);
          sum += perScrape * latency;
          total += perScrape;
        }
        okLines.push(`http_requests_total{${labels},code="200"} ${ok.toFixed(4)} ${at}`);
        failedLines.push(`http_requests_total{${labels},code="500"} ${failed.toFixed(4)} ${at}`);
        durationSum.push(`http_request_duration_seconds_sum{${labels}} ${sum.toFixed(4)} ${at}`);
        durationCount.push(`http_request_duration_seconds_count{${labels}} ${total.toFixed(4)} ${at}`);
      }
      requests.push(...okLines, ...failedLines);
    }
  }
  return [
    '# HELP http_requests Requests served.',
    '# TYPE http_requests counter',
    ...requests,
    '# TYPE http_request_duration_seconds_sum gauge',
    ...durationSum,
    '# TYPE http_request_duration_seconds_count gauge',
    ...durationCount,
    '# EOF',
    '',
  ].join('\n');
}

/** The metrics of the backfilled series (canaryOpenMetrics): an error rate and a mean latency. */
export const SYNTHETIC_METRICS_YAML = `# The canary metrics of the generated series: an error rate and a mean latency, both bad when they rise.
metrics:
  - name: error-rate
    query: sum(rate(http_requests_total{ {{selector}}, code=~"5.." }[1m])) / sum(rate(http_requests_total{ {{selector}} }[1m]))
    direction: increase
  - name: latency
    query: sum(rate(http_request_duration_seconds_sum{ {{selector}} }[1m])) / sum(rate(http_request_duration_seconds_count{ {{selector}} }[1m]))
    direction: increase
`;

/** The sample's canary metrics (its `.github/canary.yml`): what the mesh recorded of the traffic. */
export const CANARY_METRICS_YAML = readFileSync(new URL('../../sample/canary-metrics.yml', import.meta.url), 'utf8');
