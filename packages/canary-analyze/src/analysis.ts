// The analysis loop: every `interval` a round queries baseline and canary for each metric over the
// samples since the analysis began, judges them at the round's sequential boundary (one false-alarm
// budget for the whole analysis, see sequential.ts) and scores the round; a failing round ends the
// analysis early, and so does a round where a query failed in a way no later round can change (a
// rejected query, refused access, a malformed answer). `duration: 0` is one round at once over the
// last `interval`. Before waiting for the first round, every query is tried once, so that such
// mistakes end the analysis at once rather than after an interval.
import {
  ClassifiedError,
  classifyFailure,
  errorMessage,
  escapeUntrusted,
  type Clock,
  type Failure,
  type Log,
} from '@shiprail/core';
import {
  CONFIDENCE,
  judgeMetric,
  scoreMetrics,
  type Classification,
  type MetricJudgement,
  type ScoreThresholds,
  type Verdict,
} from './judge.ts';
import { renderQuery, type MetricDefinition } from './metrics-file.ts';
import { queryMemoryMs } from './query-window.ts';
import { roundBoundaries } from './sequential.ts';
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
  /** What another round would do about the error (`permanent`: meet it again). */
  failure?: Failure;
  series?: MetricSeries;
}

export interface RoundResult {
  round: number;
  /** The window judged (ms since the epoch). */
  start: number;
  end: number;
  /** The round's sequential boundary: a metric fails when its shift interval at ±boundary excludes the tolerance band. */
  boundary: number;
  verdict: Verdict;
  metrics: MetricResult[];
}

export interface AnalysisResult {
  verdict: Verdict;
  rounds: RoundResult[];
  startedAt: number;
  finishedAt: number;
  /** True when a failing round (or a query no round can run) ended the analysis before `duration`. */
  stoppedEarly: boolean;
}

/** The metrics whose queries Prometheus will never answer, found by trying each once. */
export class QueriesUnusableError extends Error {
  readonly metrics: MetricResult[];
  constructor(metrics: MetricResult[]) {
    super(`canary analysis: inconclusive: ${[...new Set(metrics.map((metric) => metric.reason))].join('; ')}`);
    this.name = 'QueriesUnusableError';
    this.metrics = metrics;
  }
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
  const boundaries = roundBoundaries(offsets, plan.durationMs, 1 - CONFIDENCE);
  if (offsets.length > 1 || plan.durationMs > 0) await tryQueries(plan, client, startedAt);
  const rounds: RoundResult[] = [];
  for (const [index, offset] of offsets.entries()) {
    const wait = startedAt + offset - clock.now();
    if (wait > 0) await clock.sleep(wait);
    const end = plan.durationMs <= 0 ? startedAt : startedAt + offset;
    const start = plan.durationMs <= 0 ? end - plan.intervalMs : startedAt;
    const boundary = boundaries[index] as number;
    const metrics = await Promise.all(
      plan.metrics.map((metric) => judgeOne(metric, plan, client, { start, end, boundary })),
    );
    const verdict = scoreMetrics(metrics, plan.thresholds);
    rounds.push({ round: index + 1, start, end, boundary, verdict, metrics });
    log.info(
      `round ${index + 1}/${offsets.length}: ${verdict.decision}, score ${verdict.score} (${escapeUntrusted(verdict.reason)})`,
    );
    if (verdict.decision === 'fail' || metrics.some((metric) => metric.failure === 'permanent')) break;
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

/** Runs every query once over the last step; throws QueriesUnusableError for those that can never work. */
async function tryQueries(plan: AnalysisPlan, client: PrometheusClient, at: number): Promise<void> {
  const tried = await Promise.all(
    plan.metrics.map((metric) => queryMetric(metric, plan, client, at - plan.stepMs, at)),
  );
  const unusable = tried.filter(
    (result): result is MetricResult => 'failure' in result && result.failure === 'permanent',
  );
  if (unusable.length > 0) throw new QueriesUnusableError(unusable);
}

async function judgeOne(
  metric: MetricDefinition,
  plan: AnalysisPlan,
  client: PrometheusClient,
  round: { start: number; end: number; boundary: number },
): Promise<MetricResult> {
  const answer = await queryMetric(metric, plan, client, round.start, round.end);
  if (!('sides' in answer)) return answer;
  const series = alignSeries(answer.sides[0], answer.sides[1]);
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
      boundary: round.boundary,
    },
  );
  return {
    ...describeMetric(metric, plan),
    classification: judgement.classification,
    reason: judgement.reason,
    judgement,
    series,
  };
}

function describeMetric(metric: MetricDefinition, plan: AnalysisPlan): Omit<MetricResult, 'classification' | 'reason'> {
  return {
    name: metric.name,
    queries: { baseline: renderQuery(metric.query, plan.baseline), canary: renderQuery(metric.query, plan.canary) },
    direction: metric.direction,
    critical: metric.critical,
    weight: metric.weight,
  };
}

/** Both sides' series of one metric, or the metric's Error result. */
async function queryMetric(
  metric: MetricDefinition,
  plan: AnalysisPlan,
  client: PrometheusClient,
  start: number,
  end: number,
): Promise<{ sides: [Series | undefined, Series | undefined] } | MetricResult> {
  const base = describeMetric(metric, plan);
  const { queries } = base;
  try {
    const sides = (await Promise.all(
      (['baseline', 'canary'] as const).map(async (side) => {
        const series = await client.queryRange({ query: queries[side], start, end, stepMs: plan.stepMs });
        if (series.length > 1) {
          throw new SeveralSeriesError(
            `the ${side} query returned ${series.length} series; aggregate it (sum(...), avg(...), histogram_quantile(...)) so that it returns one`,
          );
        }
        return series[0];
      }),
    )) as [Series | undefined, Series | undefined];
    return { sides };
  } catch (error) {
    const message =
      error instanceof QueryRejectedError
        ? `Prometheus rejected the query of metric '${metric.name}' (${error.errorType}): ${error.message}`
        : error instanceof PrometheusUnavailableError
          ? error.message
          : `querying metric '${metric.name}' failed: ${errorMessage(error)}`;
    return { ...base, classification: 'Error', reason: message, error: message, failure: classifyFailure(error) };
  }
}

/** A query that returns more than one series: it will on every round. */
class SeveralSeriesError extends ClassifiedError {
  constructor(message: string) {
    super(message, 'permanent');
  }
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
