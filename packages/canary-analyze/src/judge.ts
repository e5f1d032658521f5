// The per-metric judge and the score, after Kayenta's NetflixACAJudge: NaN removal, Mann-Whitney at 98 %
// confidence (or at a round's sequential boundary), a tolerance band of ±25 % of the Hodges-Lehmann estimate, the mean-ratio effect size as a
// second gate, `direction`, critical metrics and the 50 % no-data rule; plus Flagger-style absolute limits.
// Unlike Kayenta, the test counts what the samples are worth: samples of a range query taken closer than
// its window overlap, so the variance of U is widened by the samples' dependence (see SampleDependence).
import { autocorrelationTime, mannWhitneySorted, mean, sortAscending, sortedMedian } from './statistics.ts';

export type Direction = 'increase' | 'decrease' | 'either';
export type Classification = 'Pass' | 'High' | 'Low' | 'NoData' | 'Error';
export type Decision = 'pass' | 'marginal' | 'fail' | 'inconclusive';

/** Kayenta's fixed constants; an analysis of several rounds spends 1 - CONFIDENCE over all of them (sequential.ts). */
export const CONFIDENCE = 0.98;
export const TOLERANCE = 0.25;

export interface JudgeOptions {
  direction: Direction;
  /** Effect size (canary mean / baseline mean) at or above which a significant increase counts. */
  allowedIncrease: number;
  /** Effect size at or below which a significant decrease counts. */
  allowedDecrease: number;
  /** Absolute ceiling / floor for the canary's mean. */
  max?: number | undefined;
  min?: number | undefined;
  confidence?: number;
  /**
   * The deviate at which this round's interval ends (the round's sequential boundary); when given it
   * replaces `confidence`.
   */
  boundary?: number;
  /** Consecutive samples that share one range window of the query (window / step); 1 when unknown. */
  samplesPerWindow?: number;
  /**
   * What the test's variance factor counts: by default the larger of the query's window and the
   * samples' autocorrelation; `independent` takes every sample as independent, as Kayenta does
   * (overlapping windows then give false alarms). The others are there to measure each part alone.
   */
  dependence?: DependenceModel;
}

export type DependenceModel = 'window+autocorrelation' | 'window' | 'autocorrelation' | 'independent';

/** How dependent the samples are, and what they are worth as independent samples. */
export interface SampleDependence {
  /** From the query: consecutive samples sharing one range window. */
  samplesPerWindow: number;
  /** From the data: the integrated autocorrelation time of both sides' samples, pooled. */
  autocorrelationTime: number;
  /** The variance factor of the test: the larger of the two (1 when taken as independent). */
  factor: number;
  /** The effective sample size of each side: samples / factor. */
  effective: { baseline: number; canary: number };
}

export interface SampleStats {
  count: number;
  /** Values that were NaN or infinite and were left out. */
  removed: number;
  mean: number;
  median: number;
  min: number;
  max: number;
}

export interface MetricJudgement {
  classification: Exclude<Classification, 'Error'>;
  reason: string;
  baseline: SampleStats;
  canary: SampleStats;
  /** Mann-Whitney U of the canary against the baseline. */
  u?: number;
  z?: number;
  pValue?: number;
  /** Confidence interval and Hodges-Lehmann estimate of the shift canary - baseline. */
  lower?: number;
  upper?: number;
  estimate?: number;
  /** Canary mean / baseline mean; NaN when either mean is 0. */
  ratio?: number;
  dependence?: SampleDependence;
}

function summarizeSamples(values: readonly number[]): { finite: number[]; sorted: Float64Array; stats: SampleStats } {
  const finite = values.filter((value) => Number.isFinite(value));
  const sorted = sortAscending(finite);
  return {
    finite,
    sorted,
    stats: {
      count: finite.length,
      removed: values.length - finite.length,
      mean: mean(sorted),
      median: sortedMedian(sorted),
      min: sorted.length > 0 ? (sorted[0] ?? Number.NaN) : Number.NaN,
      max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? Number.NaN) : Number.NaN,
    },
  };
}

const sameSorted = (a: Float64Array, b: Float64Array): boolean =>
  a.length === b.length && a.every((value, index) => value === b[index]);

const format = (value: number): string =>
  Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);

/** The dependence of both sides' samples (in time order) and the test's variance factor. */
export function sampleDependence(
  baseline: readonly number[],
  canary: readonly number[],
  options: Pick<JudgeOptions, 'samplesPerWindow' | 'dependence'>,
): SampleDependence {
  const samplesPerWindow = Math.max(1, options.samplesPerWindow ?? 1);
  const autocorrelation = autocorrelationTime([baseline, canary]);
  const model = options.dependence ?? 'window+autocorrelation';
  const factor =
    model === 'independent'
      ? 1
      : model === 'window'
        ? samplesPerWindow
        : model === 'autocorrelation'
          ? autocorrelation
          : Math.max(samplesPerWindow, autocorrelation);
  const round = (value: number): number => Math.round(value * 100) / 100;
  return {
    samplesPerWindow: round(samplesPerWindow),
    autocorrelationTime: round(autocorrelation),
    factor: round(factor),
    effective: { baseline: round(baseline.length / factor), canary: round(canary.length / factor) },
  };
}

/** Classifies one metric: the canary's samples (in time order) against the baseline's. */
export function judgeMetric(
  baselineValues: readonly number[],
  canaryValues: readonly number[],
  options: JudgeOptions,
): MetricJudgement {
  const baseline = summarizeSamples(baselineValues);
  const canary = summarizeSamples(canaryValues);
  if (canary.sorted.length === 0 || baseline.sorted.length === 0) {
    const missing = [canary.sorted.length === 0 ? 'canary' : '', baseline.sorted.length === 0 ? 'baseline' : '']
      .filter(Boolean)
      .join(' and ');
    return {
      classification: 'NoData',
      reason: `no data for the ${missing}`,
      baseline: baseline.stats,
      canary: canary.stats,
    };
  }
  const dependence = sampleDependence(baseline.finite, canary.finite, options);
  const stats = { baseline: baseline.stats, canary: canary.stats, dependence };

  const limits = absoluteLimits(canary.stats.mean, options);
  if (sameSorted(canary.sorted, baseline.sorted)) {
    return limits ?? { classification: 'Pass', reason: 'canary and baseline data are identical', ratio: 1, ...stats };
  }
  const lowest = Math.min(canary.stats.min, baseline.stats.min);
  if (lowest === Math.max(canary.stats.max, baseline.stats.max)) {
    return limits ?? { classification: 'Pass', reason: 'every value is the same', ratio: 1, ...stats };
  }

  const test = mannWhitneySorted(
    canary.sorted,
    baseline.sorted,
    options.confidence ?? CONFIDENCE,
    dependence.factor,
    options.boundary,
  );
  const ratio =
    canary.stats.mean === 0 || baseline.stats.mean === 0 ? Number.NaN : canary.stats.mean / baseline.stats.mean;
  const statistics = {
    u: test.u,
    z: test.z,
    pValue: test.pValue,
    lower: test.lower,
    upper: test.upper,
    estimate: test.estimate,
    ratio,
  };
  const band = TOLERANCE * Math.abs(test.estimate);
  const interval = `[${format(test.lower)}, ${format(test.upper)}]`;
  const ratioText = Number.isNaN(ratio) ? 'undefined' : format(ratio);

  if (
    options.direction !== 'decrease' &&
    test.lower > band &&
    (Number.isNaN(ratio) || ratio >= options.allowedIncrease)
  ) {
    return {
      classification: 'High',
      reason: `canary higher: shift interval ${interval} lies above the tolerance ±${format(band)}, mean ratio ${ratioText}`,
      ...stats,
      ...statistics,
    };
  }
  if (
    options.direction !== 'increase' &&
    test.upper < -band &&
    (Number.isNaN(ratio) || ratio <= options.allowedDecrease)
  ) {
    return {
      classification: 'Low',
      reason: `canary lower: shift interval ${interval} lies below the tolerance ±${format(band)}, mean ratio ${ratioText}`,
      ...stats,
      ...statistics,
    };
  }
  if (limits) return { ...limits, ...statistics };
  return {
    classification: 'Pass',
    reason: `no significant ${options.direction === 'either' ? 'change' : options.direction}: shift interval ${interval}, mean ratio ${ratioText}`,
    ...stats,
    ...statistics,
  };

  function absoluteLimits(canaryMean: number, limitOptions: JudgeOptions): MetricJudgement | undefined {
    if (limitOptions.max !== undefined && canaryMean > limitOptions.max) {
      return {
        classification: 'High',
        reason: `canary mean ${format(canaryMean)} is above max ${limitOptions.max}`,
        ...stats,
      };
    }
    if (limitOptions.min !== undefined && canaryMean < limitOptions.min) {
      return {
        classification: 'Low',
        reason: `canary mean ${format(canaryMean)} is below min ${limitOptions.min}`,
        ...stats,
      };
    }
    return undefined;
  }
}

export interface ScoredMetric {
  name: string;
  classification: Classification;
  weight: number;
  critical: boolean;
  /** Why the metric could not be judged (query rejected, Prometheus unreachable). */
  error?: string;
}

export interface Verdict {
  decision: Decision;
  /** 0-100. */
  score: number;
  reason: string;
}

export interface ScoreThresholds {
  pass: number;
  marginal: number;
}

/**
 * The score is the weighted share of passing metrics among those with data; a failing critical metric
 * makes it 0. The decision compares it with the thresholds, except that an analysis where a metric could
 * not be queried, half or more of the metrics have no data, or a critical metric has no data is
 * inconclusive: missing data is never a pass. A critical failure is a fail whatever else is missing.
 */
export function scoreMetrics(metrics: readonly ScoredMetric[], thresholds: ScoreThresholds): Verdict {
  const judged = metrics.filter((metric) => metric.classification !== 'NoData' && metric.classification !== 'Error');
  const totalWeight = judged.reduce((sum, metric) => sum + metric.weight, 0);
  const passWeight = judged
    .filter((metric) => metric.classification === 'Pass')
    .reduce((sum, metric) => sum + metric.weight, 0);
  const share = totalWeight > 0 ? (100 * passWeight) / totalWeight : 0;
  const score = Math.round(share * 100) / 100;

  const criticalFailures = metrics.filter(
    (metric) => metric.critical && (metric.classification === 'High' || metric.classification === 'Low'),
  );
  if (criticalFailures.length > 0) {
    return {
      decision: 'fail',
      score: 0,
      reason: `critical metric ${criticalFailures.map((m) => m.name).join(', ')} failed`,
    };
  }
  const errors = metrics.filter((metric) => metric.classification === 'Error');
  if (errors.length > 0) {
    const first = errors[0];
    return {
      decision: 'inconclusive',
      score,
      reason: `${errors.length} of ${metrics.length} metrics could not be queried${first?.error ? ` (${first.name}: ${first.error})` : ''}`,
    };
  }
  const noData = metrics.filter((metric) => metric.classification === 'NoData');
  if (metrics.length === 0 || noData.length * 2 >= metrics.length) {
    return { decision: 'inconclusive', score, reason: `${noData.length} of ${metrics.length} metrics have no data` };
  }
  const criticalNoData = noData.filter((metric) => metric.critical);
  if (criticalNoData.length > 0) {
    return {
      decision: 'inconclusive',
      score,
      reason: `critical metric ${criticalNoData.map((m) => m.name).join(', ')} has no data`,
    };
  }
  const failing = judged
    .filter((metric) => metric.classification !== 'Pass')
    .map((metric) => `${metric.name} ${metric.classification}`);
  const detail = failing.length > 0 ? `; ${failing.join(', ')}` : '';
  if (score >= thresholds.pass)
    return { decision: 'pass', score, reason: `score ${score} ≥ pass-score ${thresholds.pass}${detail}` };
  if (score >= thresholds.marginal) {
    return {
      decision: 'marginal',
      score,
      reason: `score ${score} ≥ marginal-score ${thresholds.marginal} but < pass-score ${thresholds.pass}${detail}`,
    };
  }
  return { decision: 'fail', score, reason: `score ${score} < marginal-score ${thresholds.marginal}${detail}` };
}
