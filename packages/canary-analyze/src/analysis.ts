// The analysis loop: every `interval` a round queries baseline and canary for each metric over the
// samples since the analysis began, judges them and scores the round; a failing round ends the
// analysis early. `duration: 0` is one round at once over the last `interval`.
import type { Clock, Log } from '@shiprail/core';
import {
  judgeMetric,
  scoreMetrics,
  type Classification,
  type MetricJudgement,
  type ScoreThresholds,
  type Verdict,
} from './judge.ts';
import { renderQuery, type MetricDefinition } from './metrics-file.ts';
import { queryMemoryMs } from './query-window.ts';
import { PrometheusUnavailableError, QueryRejectedError, type PrometheusClient, type Series } from './prometheus.ts';

export interface AnalysisPlan {
  metrics: readonly MetricDefinition[];
  baseline: string;
  canary: string;
  durationMs: number;
  intervalMs: number;
  stepMs: number;
  thresholds: ScoreThresholds;
}

export interface MetricSeries {
  /** Evaluation timestamps (ms) and the values of both sides there (null: no sample). */
  timestamps: number[];
  baseline: Array<number | null>;
  canary: Array<number | null>;
}

export interface MetricResult {
  name: string;
  queries: { baseline: string; canary: string };
  direction: MetricDefinition['direction'];
  critical: boolean;
  weight: number;
  classification: Classification;
  reason: string;
  judgement?: MetricJudgement;
  error?: string;
  series?: MetricSeries;
}

export interface RoundResult {
  round: number;
  /** The window judged (ms since the epoch). */
  start: number;
  end: number;
  verdict: Verdict;
  metrics: MetricResult[];
}

export interface AnalysisResult {
  verdict: Verdict;
  rounds: RoundResult[];
  startedAt: number;
  finishedAt: number;
  /** True when a failing round ended the analysis before `duration`. */
  stoppedEarly: boolean;
}

/** The elapsed times (ms after the start) at which rounds judge: every interval, and at the end. */
export function roundOffsets(durationMs: number, intervalMs: number): number[] {
  if (durationMs <= 0) return [0];
  const offsets: number[] = [];
  for (let offset = intervalMs; offset < durationMs; offset += intervalMs) offsets.push(offset);
  offsets.push(durationMs);
  return offsets;
}

export async function analyze(
  plan: AnalysisPlan,
  client: PrometheusClient,
  clock: Clock,
  log: Log,
): Promise<AnalysisResult> {
  const startedAt = clock.now();
  const offsets = roundOffsets(plan.durationMs, plan.intervalMs);
  const rounds: RoundResult[] = [];
  for (const [index, offset] of offsets.entries()) {
    const wait = startedAt + offset - clock.now();
    if (wait > 0) await clock.sleep(wait);
    const end = plan.durationMs <= 0 ? startedAt : startedAt + offset;
    const start = plan.durationMs <= 0 ? end - plan.intervalMs : startedAt;
    const metrics = await Promise.all(plan.metrics.map((metric) => judgeOne(metric, plan, client, start, end)));
    const verdict = scoreMetrics(metrics, plan.thresholds);
    rounds.push({ round: index + 1, start, end, verdict, metrics });
    log.info(`round ${index + 1}/${offsets.length}: ${verdict.decision}, score ${verdict.score} (${verdict.reason})`);
    if (verdict.decision === 'fail') break;
  }
  const last = rounds[rounds.length - 1];
  if (!last) throw new Error('the analysis ran no round');
  return {
    verdict: last.verdict,
    rounds,
    startedAt,
    finishedAt: clock.now(),
    stoppedEarly: rounds.length < offsets.length,
  };
}

async function judgeOne(
  metric: MetricDefinition,
  plan: AnalysisPlan,
  client: PrometheusClient,
  start: number,
  end: number,
): Promise<MetricResult> {
  const queries = {
    baseline: renderQuery(metric.query, plan.baseline),
    canary: renderQuery(metric.query, plan.canary),
  };
  const base = {
    name: metric.name,
    queries,
    direction: metric.direction,
    critical: metric.critical,
    weight: metric.weight,
  };
  let sides: [Series | undefined, Series | undefined];
  try {
    sides = (await Promise.all(
      (['baseline', 'canary'] as const).map(async (side) => {
        const series = await client.queryRange({ query: queries[side], start, end, stepMs: plan.stepMs });
        if (series.length > 1) {
          throw new Error(
            `the ${side} query returned ${series.length} series; aggregate it (sum(...), avg(...), histogram_quantile(...)) so that it returns one`,
          );
        }
        return series[0];
      }),
    )) as [Series | undefined, Series | undefined];
  } catch (error) {
    const message =
      error instanceof QueryRejectedError
        ? `Prometheus rejected the query of metric '${metric.name}' (${error.errorType}): ${error.message}`
        : error instanceof PrometheusUnavailableError
          ? error.message
          : `querying metric '${metric.name}' failed: ${error instanceof Error ? error.message : String(error)}`;
    return { ...base, classification: 'Error', reason: message, error: message };
  }
  const series = alignSeries(sides[0], sides[1]);
  const judgement = judgeMetric(
    series.baseline.filter((value): value is number => value !== null),
    series.canary.filter((value): value is number => value !== null),
    {
      direction: metric.direction,
      allowedIncrease: metric.allowedIncrease,
      allowedDecrease: metric.allowedDecrease,
      max: metric.max,
      min: metric.min,
      samplesPerWindow: queryMemoryMs(metric.query) / plan.stepMs,
    },
  );
  return { ...base, classification: judgement.classification, reason: judgement.reason, judgement, series };
}

/** Both sides on one time axis (the union of their timestamps). */
export function alignSeries(baseline: Series | undefined, canary: Series | undefined): MetricSeries {
  const baselineAt = new Map(baseline?.points ?? []);
  const canaryAt = new Map(canary?.points ?? []);
  const timestamps = [...new Set([...baselineAt.keys(), ...canaryAt.keys()])].sort((a, b) => a - b);
  return {
    timestamps,
    baseline: timestamps.map((time) => baselineAt.get(time) ?? null),
    canary: timestamps.map((time) => canaryAt.get(time) ?? null),
  };
}
