export {
  analyze,
  alignSeries,
  QueriesUnusableError,
  roundOffsets,
  type AnalysisPlan,
  type AnalysisResult,
  type MetricResult,
  type RoundResult,
} from './analysis.ts';
export {
  CONFIDENCE,
  TOLERANCE,
  judgeMetric,
  sampleDependence,
  scoreMetrics,
  type Classification,
  type Decision,
  type DependenceModel,
  type Direction,
  type JudgeOptions,
  type MetricJudgement,
  type SampleDependence,
  type ScoredMetric,
  type Verdict,
} from './judge.ts';
export { loadMetrics, parseInputs, type CanaryAnalyzeInputs } from './inputs.ts';
export { parseMetricsDefinition, renderQuery, type MetricDefinition } from './metrics-file.ts';
export {
  PrometheusClient,
  PrometheusUnavailableError,
  QUERY_TIMEOUT_MS,
  QueryRejectedError,
  type Series,
} from './prometheus.ts';
export { buildReport, runCanaryAnalyze } from './run.ts';
export { parsePromQLDuration, queryMemoryMs } from './query-window.ts';
export {
  autocorrelationTime,
  mannWhitney,
  mannWhitneySorted,
  nearestDifference,
  normalCdf,
  normalQuantile,
  shiftedRankStatistic,
  type MannWhitneyResult,
} from './statistics.ts';
export {
  MAX_BOUNDARY,
  SPENDING,
  SPENDING_FUNCTIONS,
  alphaSpent,
  boundaryConfidence,
  roundBoundaries,
  sequentialBoundaries,
  type SpendingFunction,
} from './sequential.ts';
export { chart, formatNumber, renderSummary } from './summary.ts';
