// The canary's data from real traffic: what one judgement costs. Steady traffic to a baseline and a
// canary (12 requests a second each), scraped every second by Prometheus, for the 15 s the rehearsal
// judges, then canary-analyze's one round over it; against the floor measured in the same run, the same
// 15 s with Prometheus started and idle (nothing to scrape, no traffic). CPU is this process's and
// Prometheus's, read from /proc.
import { analyze, parseMetricsDefinition, PrometheusClient } from '@shiprail/canary-analyze';
import { sleep } from '@shiprail/core';
import { silentLog } from '@shiprail/testkit';
import { meshSelector } from '@shiprail/rehearsal';
import {
  CANARY_METRICS_YAML,
  MeshTraffic,
  startPrometheus,
  startSampleService,
  type PrometheusServer,
} from '@shiprail/rehearsal/servers';
import { readFileSync } from 'node:fs';

const WINDOW_MS = 15_000;
const TICKS_PER_SECOND = 100;

/** User + system CPU (ms) of a process, from /proc/<pid>/stat. */
function processCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}

const ownCpuMs = (): number => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};

interface Cost {
  wallMs: number;
  nodeMs: number;
  prometheusMs: number;
}

async function measure(prometheus: PrometheusServer, body: () => Promise<void>): Promise<Cost> {
  const started = { wall: performance.now(), node: ownCpuMs(), prometheus: processCpuMs(prometheus.pid) };
  await body();
  return {
    wallMs: performance.now() - started.wall,
    nodeMs: ownCpuMs() - started.node,
    prometheusMs: processCpuMs(prometheus.pid) - started.prometheus,
  };
}

const idle = await startPrometheus({});
const floor = await measure(idle, () => sleep(WINDOW_MS));
await idle.stop();

const baseline = await startSampleService({});
const canary = await startSampleService({});
const traffic = await MeshTraffic.start();
const prometheus = await startPrometheus({ scrapeTargets: [traffic.scrapeTarget] });
let decision = '';
const judged = await measure(prometheus, async () => {
  traffic.send([
    { destination: { workload: 'api', namespace: 'shop-production' }, addresses: () => [baseline.url] },
    { destination: { workload: 'api', namespace: 'shop-canary' }, addresses: () => [canary.url] },
  ]);
  // The rehearsal's analysis starts once the canary rolled out, a moment after its traffic did.
  await sleep(WINDOW_MS + 2000);
  const result = await analyze(
    {
      metrics: await parseMetricsDefinition(CANARY_METRICS_YAML, { file: 'canary.yml' }),
      baseline: meshSelector('shop-production'),
      canary: meshSelector('shop-canary'),
      durationMs: 0,
      intervalMs: WINDOW_MS,
      stepMs: 1000,
      thresholds: { pass: 95, marginal: 75 },
    },
    new PrometheusClient({ url: prometheus.url }),
    { now: () => Date.now(), sleep },
    silentLog,
  );
  decision = result.verdict.decision;
});
await traffic.stop();
await prometheus.stop();
await baseline.stop();
await canary.stop();

const line = (name: string, cost: Cost, ratio: string): void =>
  console.log(
    `  ${name.padEnd(34)} ${(cost.wallMs / 1000).toFixed(1).padStart(5)} s wall  ${cost.nodeMs.toFixed(0).padStart(5)} ms CPU node  ${cost.prometheusMs.toFixed(0).padStart(5)} ms CPU prometheus  ${ratio}`,
  );
const cpu = (cost: Cost): number => cost.nodeMs + cost.prometheusMs;
console.log(`one canary judgement over ${WINDOW_MS / 1000} s of traffic (decision: ${decision}):`);
line('floor: prometheus idle, no traffic', floor, 'baseline');
line(
  'traffic, scrapes, one judgement',
  judged,
  `${(cpu(judged) / Math.max(1, cpu(floor))).toFixed(1)}x the floor's CPU`,
);
