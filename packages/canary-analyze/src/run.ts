// The step: inputs, the analysis, then the JSON report, the summary and the outputs, set only once all is written.
import { errorMessage, escapeCell, urlCredentials, writeFileAtomically, type Runtime } from '@shiprail/core';
import { join } from 'node:path';
import { analyze, type AnalysisPlan, type AnalysisResult } from './analysis.ts';
import { CONFIDENCE, TOLERANCE, type Verdict } from './judge.ts';
import { loadMetrics, parseInputs, type CanaryAnalyzeInputs } from './inputs.ts';
import type { MetricDefinition } from './metrics-file.ts';
import { PrometheusClient, QUERY_TIMEOUT_MS } from './prometheus.ts';
import { SPENDING } from './sequential.ts';
import { renderSummary } from './summary.ts';

export async function runCanaryAnalyze(runtime: Runtime): Promise<void> {
  const inputs = parseInputs(runtime.inputs);
  // Header values alone (a bearer token) are masked too, not only the whole `Name: value` lines.
  for (const [, value] of inputs['prometheus-headers']) if (value.length >= 4) runtime.mask(value);
  for (const credential of urlCredentials(inputs['prometheus-url'])) runtime.mask(credential);
  const metrics = await loadMetrics(inputs.metrics, runtime.github.workspace);

  let verdict: Verdict;
  try {
    verdict = await judgeCanary(runtime, inputs, metrics);
  } catch (error) {
    // Past its inputs the step always says what it decided: whatever stopped the judgement makes it
    // inconclusive, never a pass.
    runtime.setOutput('decision', 'inconclusive');
    await runtime.appendSummary(`## ❔ Canary analysis: inconclusive\n\n${escapeCell(errorMessage(error))}\n`);
    throw error;
  }
  const { decision, score, reason } = verdict;
  if (decision === 'marginal') runtime.log.warning(`canary analysis is marginal: ${reason}`);
  if (decision === 'fail' || decision === 'inconclusive') {
    throw new Error(`canary analysis: ${decision}, score ${score}: ${reason}`);
  }
  runtime.log.info(`canary analysis: ${decision}, score ${score}: ${reason}`);
}

/** Runs the analysis; the outputs are set only once the report and the summary are complete. */
async function judgeCanary(
  runtime: Runtime,
  inputs: CanaryAnalyzeInputs,
  metrics: MetricDefinition[],
): Promise<Verdict> {
  const plan: AnalysisPlan = {
    metrics,
    baseline: inputs.baseline,
    canary: inputs.canary,
    durationMs: inputs.duration,
    intervalMs: inputs.interval,
    stepMs: inputs.step,
    thresholds: { pass: inputs['pass-score'], marginal: inputs['marginal-score'] },
  };
  const client = new PrometheusClient({
    url: inputs['prometheus-url'],
    headers: inputs['prometheus-headers'],
    sleep: (ms) => runtime.clock.sleep(ms),
    now: () => runtime.clock.now(),
    redact: (text) => runtime.redact(text),
    // Every query, retries included, ends by the last round plus one query's time.
    deadline: runtime.clock.now() + inputs.duration + QUERY_TIMEOUT_MS,
  });
  if (client.urlAuthorization) {
    runtime.mask(client.urlAuthorization);
    runtime.mask(client.urlAuthorization.replace(/^Basic /, ''));
  }
  const result = await analyze(plan, client, runtime.clock, runtime.log);
  const report = runtime.redact(`${JSON.stringify(buildReport(result, plan), null, 2)}\n`);
  const summary = renderSummary(result, plan);
  const reportPath = await writeReport(runtime.tempDir, report);
  runtime.setOutput('decision', result.verdict.decision);
  runtime.setOutput('score', result.verdict.score);
  runtime.setOutput('report', reportPath);
  await runtime.appendSummary(summary);
  return result.verdict;
}

/** The JSON report: every round, metric, query, sample count, statistic and verdict. */
export function buildReport(result: AnalysisResult, plan: AnalysisPlan): Record<string, unknown> {
  const iso = (ms: number): string => new Date(ms).toISOString();
  const lastRound = result.rounds.length;
  return {
    decision: result.verdict.decision,
    score: result.verdict.score,
    reason: result.verdict.reason,
    judge: {
      test: 'mann-whitney',
      confidence: CONFIDENCE,
      tolerance: TOLERANCE,
      effectSize: 'meanRatio',
      dependence: 'window+autocorrelation',
      sequential: { spending: SPENDING, alpha: Math.round((1 - CONFIDENCE) * 1e6) / 1e6 },
    },
    thresholds: plan.thresholds,
    baseline: plan.baseline,
    canary: plan.canary,
    durationSeconds: plan.durationMs / 1000,
    intervalSeconds: plan.intervalMs / 1000,
    stepSeconds: plan.stepMs / 1000,
    startedAt: iso(result.startedAt),
    finishedAt: iso(result.finishedAt),
    stoppedEarly: result.stoppedEarly,
    rounds: result.rounds.map((round) => ({
      round: round.round,
      start: iso(round.start),
      end: iso(round.end),
      boundary: round.boundary,
      decision: round.verdict.decision,
      score: round.verdict.score,
      reason: round.verdict.reason,
      metrics: round.metrics.map((metric) => ({
        name: metric.name,
        direction: metric.direction,
        critical: metric.critical,
        weight: metric.weight,
        queries: metric.queries,
        classification: metric.classification,
        reason: metric.reason,
        ...(metric.error === undefined ? {} : { error: metric.error }),
        ...(metric.judgement
          ? {
              samples: { baseline: metric.judgement.baseline.count, canary: metric.judgement.canary.count },
              ...(metric.judgement.dependence
                ? {
                    effectiveSamples: metric.judgement.dependence.effective,
                    dependence: {
                      samplesPerWindow: metric.judgement.dependence.samplesPerWindow,
                      autocorrelationTime: metric.judgement.dependence.autocorrelationTime,
                      varianceFactor: metric.judgement.dependence.factor,
                    },
                  }
                : {}),
              baselineStats: metric.judgement.baseline,
              canaryStats: metric.judgement.canary,
              statistics: {
                u: metric.judgement.u ?? null,
                z: metric.judgement.z ?? null,
                pValue: metric.judgement.pValue ?? null,
                interval:
                  metric.judgement.lower === undefined ? null : [metric.judgement.lower, metric.judgement.upper],
                estimate: metric.judgement.estimate ?? null,
                ratio: metric.judgement.ratio ?? null,
              },
            }
          : {}),
        // The time series of the last round, for charts; earlier rounds are prefixes of it.
        ...(round.round === lastRound && metric.series ? { series: metric.series } : {}),
      })),
    })),
  };
}

/** The report in a directory of its own, written whole or not at all. */
async function writeReport(tempDir: string, report: string): Promise<string> {
  const { mkdtemp } = process.getBuiltinModule('node:fs/promises');
  const path = join(await mkdtemp(join(tempDir, 'canary-analyze-')), 'report.json');
  await writeFileAtomically(path, report);
  return path;
}
