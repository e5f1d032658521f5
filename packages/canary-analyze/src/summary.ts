// The job summary: the decision and score first, then one row per metric, the rounds, and a Mermaid
// chart per metric of canary against baseline over time.
import { code, details, escapeCell, formatDuration, raw, table } from '@shiprail/core';
import type { AnalysisPlan, AnalysisResult, MetricResult, MetricSeries } from './analysis.ts';
import { CONFIDENCE, type Decision } from './judge.ts';
import { boundaryConfidence } from './sequential.ts';

const ICON: Record<Decision, string> = { pass: '✅', marginal: '⚠️', fail: '❌', inconclusive: '❔' };

/** A number as people read it: 4 significant digits, no exponent for ordinary magnitudes. */
export function formatNumber(value: number | undefined | null): string {
  if (value === undefined || value === null || Number.isNaN(value)) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  if (magnitude >= 1e-4 && magnitude < 1e9) return String(Number(value.toPrecision(4)));
  return value.toExponential(3);
}

const clock = (ms: number): string => new Date(ms).toISOString().slice(11, 19);

export function renderSummary(result: AnalysisResult, plan: AnalysisPlan): string {
  const { verdict, rounds } = result;
  const last = rounds[rounds.length - 1];
  const lines = [
    `## ${ICON[verdict.decision]} Canary analysis: ${verdict.decision} · score ${verdict.score}`,
    '',
    `**${verdict.decision}**: ${escapeCell(verdict.reason)}.`,
    '',
    `Canary ${code(plan.canary)} against baseline ${code(plan.baseline)}; ` +
      (plan.durationMs > 0
        ? `${rounds.length} round(s) every ${formatDuration(plan.intervalMs)} over ${formatDuration(plan.durationMs)}${result.stoppedEarly ? ', stopped early on fail' : ''}`
        : `one round over the last ${formatDuration(plan.intervalMs)}`) +
      `, step ${formatDuration(plan.stepMs)}; pass-score ${plan.thresholds.pass}, marginal-score ${plan.thresholds.marginal}.`,
    '',
  ];
  if (last) {
    lines.push(
      `### Metrics (window ${clock(last.start)}–${clock(last.end)} UTC)`,
      '',
      sequentialNote(rounds.length, last.boundary, plan),
      '',
      metricTable(last.metrics, last.boundary),
      '',
    );
  }
  if (rounds.length > 1) {
    lines.push(
      '### Rounds',
      '',
      table(
        ['Round', 'Window end (UTC)', 'Decision', 'Score', 'Why'],
        rounds.map((round) => [
          round.round,
          clock(round.end),
          round.verdict.decision,
          round.verdict.score,
          round.verdict.reason,
        ]),
      ),
      '',
    );
  }
  if (last) {
    const charts = last.metrics.filter((metric) => metric.series && metric.series.timestamps.length > 0);
    if (charts.length > 0) {
      lines.push(
        '### Canary against baseline',
        '',
        'In each chart the first line is the baseline, the second the canary.',
        '',
      );
      for (const metric of charts) if (metric.series) lines.push(chart(metric.name, metric.series), '');
    }
    const queries = last.metrics
      .map((metric) => `- **${escapeCell(metric.name)}**: ${code(metric.queries.canary)}`)
      .join('\n');
    lines.push(details('Canary queries', queries), '');
  }
  return lines.join('\n');
}

/** Why the interval of this round is as wide as it is. */
function sequentialNote(round: number, boundary: number, plan: AnalysisPlan): string {
  const budget = `${formatNumber(100 * (1 - CONFIDENCE))} %`;
  if (plan.durationMs <= 0) return `One look: each interval at ${formatNumber(100 * CONFIDENCE)} % confidence.`;
  return (
    `Round ${round}: each metric's interval ends at ±${formatNumber(boundary)} standard errors, the round's ` +
    `O'Brien-Fleming boundary, so that a metric of a healthy canary fails in any round of the analysis at most ${budget} of the time.`
  );
}

/** The two-sided confidence of an interval at ±boundary, as people read it (98.45 %, > 99.99 %). */
const intervalLevel = (boundary: number): string => {
  const confidence = boundaryConfidence(boundary);
  return confidence > 0.9999 ? '> 99.99 %' : `${Number((100 * confidence).toFixed(2))} %`;
};

function metricTable(metrics: readonly MetricResult[], boundary: number): string {
  const level = intervalLevel(boundary);
  return table(
    [
      'Metric',
      'Verdict',
      'Query',
      'Samples (baseline / canary)',
      'Effective samples',
      'Baseline median',
      'Canary median',
      `Shift interval (${level})`,
      'Shift estimate',
      'Mean ratio',
      'Why',
    ],
    metrics.map((metric) => {
      const judgement = metric.judgement;
      const flags = [
        metric.critical ? 'critical' : '',
        metric.weight !== 1 ? `weight ${metric.weight}` : '',
        metric.direction,
      ]
        .filter(Boolean)
        .join(', ');
      return [
        raw(`**${escapeCell(metric.name)}**<br>${escapeCell(flags)}`),
        `${verdictIcon(metric.classification)} ${metric.classification}`,
        raw(code(metric.queries.canary).replace(/\|/g, '\\|')),
        judgement ? `${judgement.baseline.count} / ${judgement.canary.count}` : '–',
        effectiveSamples(judgement),
        formatNumber(judgement?.baseline.median),
        formatNumber(judgement?.canary.median),
        judgement?.lower === undefined ? '–' : `[${formatNumber(judgement.lower)}, ${formatNumber(judgement.upper)}]`,
        formatNumber(judgement?.estimate),
        formatNumber(judgement?.ratio),
        metric.reason,
      ];
    }),
  );
}

/** What the samples are worth as independent ones, and why: `10.3 / 10.3 (÷ 4)`. */
function effectiveSamples(judgement: MetricResult['judgement']): string {
  const dependence = judgement?.dependence;
  if (!dependence) return '–';
  const { baseline, canary } = dependence.effective;
  return `${formatNumber(baseline)} / ${formatNumber(canary)} (÷ ${formatNumber(dependence.factor)})`;
}

function verdictIcon(classification: MetricResult['classification']): string {
  if (classification === 'Pass') return '✅';
  if (classification === 'High' || classification === 'Low') return '❌';
  return '❔';
}

/** At most this many points per chart: buckets are averaged beyond it. */
export const CHART_POINTS = 40;

/** A Mermaid xychart of both sides over time (bucket means; a gap repeats the previous value). */
export function chart(name: string, series: MetricSeries): string {
  const count = series.timestamps.length;
  const buckets = Math.min(CHART_POINTS, count);
  const baseline: number[] = [];
  const canary: number[] = [];
  for (let bucket = 0; bucket < buckets; bucket += 1) {
    const from = Math.floor((bucket * count) / buckets);
    const to = Math.floor(((bucket + 1) * count) / buckets);
    baseline.push(bucketMean(series.baseline, from, to, baseline[baseline.length - 1]));
    canary.push(bucketMean(series.canary, from, to, canary[canary.length - 1]));
  }
  const first = series.timestamps[0] ?? 0;
  const minutes = Math.max(1, Math.ceil(((series.timestamps[count - 1] ?? first) - first) / 60_000));
  const hasBaseline = baseline.some(Number.isFinite);
  const hasCanary = canary.some(Number.isFinite);
  const only =
    hasBaseline && hasCanary
      ? ''
      : hasBaseline
        ? ' (baseline only: no canary data)'
        : ' (canary only: no baseline data)';
  const title = `${name.replace(/["\\]/g, "'")}${only}`;
  const list = (values: number[]): string => `[${values.map((value) => chartNumber(orZero(value))).join(', ')}]`;
  const lines = [
    '```mermaid',
    'xychart-beta',
    `  title "${title}"`,
    `  x-axis "minutes after ${clock(first)} UTC" 0 --> ${minutes}`,
  ];
  if (hasBaseline) lines.push(`  line ${list(baseline)}`);
  if (hasCanary) lines.push(`  line ${list(canary)}`);
  lines.push('```');
  return lines.join('\n');
}

/** Mermaid's chart grammar takes plain decimals, not exponents. */
function chartNumber(value: number): string {
  const rounded = Number(value.toPrecision(4));
  const text = String(rounded);
  return text.includes('e') && Math.abs(rounded) < 1 ? rounded.toFixed(20).replace(/0+$/, '').replace(/\.$/, '') : text;
}

const orZero = (value: number): number => (Number.isFinite(value) ? value : 0);

function bucketMean(
  values: ReadonlyArray<number | null>,
  from: number,
  to: number,
  previous: number | undefined,
): number {
  let total = 0;
  let count = 0;
  for (let index = from; index < to; index += 1) {
    const value = values[index];
    if (value !== null && value !== undefined && Number.isFinite(value)) {
      total += value;
      count += 1;
    }
  }
  return count > 0 ? total / count : (previous ?? Number.NaN);
}
